// `npm run inventory`: the CLI spawned as a separate process (as a pipeline runs it) against the
// emulator running in this process, in its one-add-in and tenant modes, plus its pure argument parsing.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as path from "node:path";
import { Emulator, startEmulator } from "../emulator";
import { parseInventoryArgs } from "../tools/inventory";

const ROOT = path.resolve(__dirname, "..");
const NOW = new Date("2026-11-26T06:00:00Z");

interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
}

describe("npm run inventory", function () {
    this.timeout(60_000);

    let emu: Emulator;

    before(async () => {
        emu = await startEmulator({ port: 0 });
    });

    beforeEach(() => {
        emu.reset();
        emu.clock.freeze(NOW);
    });

    after(async () => {
        await emu?.close();
    });

    /** Spawns the CLI (asynchronously: the emulator answers from this process's event loop). */
    function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
        return new Promise((resolve) => {
            execFile(
                process.execPath,
                ["-r", "ts-node/register", "tools/inventory.ts", ...args],
                {
                    cwd: ROOT,
                    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", ADDIN_CREDENTIALS_GRAPH_TOKEN: emu.token, ADDIN_CREDENTIALS_RETRY_BASE_MS: "5", ...env },
                },
                (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
            );
        });
    }

    const key = () => crypto.randomBytes(32).toString("base64");

    /** A principal with a managed generation (gen-0) ending on `end`, and optionally a lingering older Sign key. */
    function principal(end: string, lingering: boolean) {
        const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const name = "addin-credentials/hr-portal/gen-0/2026-11-26";
        const k = key();
        const managed = emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric", usage, key: k, displayName: name, startDateTime: "2026-11-26T06:00:00Z", endDateTime: end })),
            passwordCredentials: [{ displayName: name, startDateTime: "2026-11-26T06:00:00Z", endDateTime: end }],
        });
        const old = lingering
            ? emu.tenant.seedCredentials(sp.id, {
                keyCredentials: [{ type: "Symmetric", usage: "Sign", key: key(), startDateTime: "2023-06-01T00:00:00Z", endDateTime: "2027-03-01T00:00:00Z" }],
            }).keyCredentials[0]
            : undefined;
        return { sp, managed, lingering: old };
    }

    it("prints the classified table and exits 0 when nothing needs attention", async () => {
        const { sp, managed } = principal("2029-11-25T06:00:00Z", false);

        const r = await cli(["--client-id", sp.appId, "--graph", emu.url]);

        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.split("\n");
        assert.equal(lines[0], `servicePrincipal ${sp.id} (client id ${sp.appId}), directory time 2026-11-26T06:00:00.000Z: 3 entries`);
        assert.match(lines[2], /^keyId\s+kind\s+type\s+usage\s+display name\s+start\s+end\s+classification\s+risk$/);
        const signRow = lines.find((l) => l.startsWith(managed.keyCredentials[0]) || l.startsWith(managed.keyCredentials[1])) ?? "";
        assert.match(signRow, /\s+key\s+Symmetric\s+(Sign|Verify)\s+addin-credentials\/hr-portal\/gen-0\/2026-11-26\s+2026-11-26\s+2029-11-25\s+managed$/);
        assert.match(r.stdout, new RegExp(`${managed.passwordCredentials[0]}\\s+password\\s+Password\\s+-\\s+addin-credentials/hr-portal/gen-0/2026-11-26`));
        assert.match(r.stdout, /OK: no entry will break the add-in, and the current secret is not due\./);
    });

    it("exits 1 and names the risk when an older valid Sign key the app does not hold lingers (JSON)", async () => {
        const { sp, lingering } = principal("2029-11-25T06:00:00Z", true);

        const r = await cli(["--client-id", sp.appId, "--json"], { ADDIN_CREDENTIALS_GRAPH_URL: emu.url });

        assert.equal(r.code, 1, r.stderr);
        const report = JSON.parse(r.stdout) as { target: { kind: string; objectId: string }; now: string; entries: { keyId: string; classification: string; risk?: string }[]; problems: string[]; exitCode: number };
        assert.deepEqual(report.target, { kind: "servicePrincipal", objectId: sp.id });
        assert.equal(report.now, "2026-11-26T06:00:00.000Z");
        const entry = report.entries.find((e) => e.keyId === lingering);
        assert.equal(entry?.classification, "unmanaged-valid");
        assert.equal(
            entry?.risk,
            "older valid Sign key the app does not hold: SharePoint signs with the oldest valid key, so it will sign with this one until 2027-03-01 " +
                "and the add-in's context tokens will fail validation",
        );
        assert.deepEqual(report.problems, [`key ${lingering}: ${entry?.risk}`]);
        assert.equal(report.exitCode, 1);
        assert.doesNotMatch(r.stdout, /"key"\s*:\s*"|hint|secretText/, "no key value or password hint");
    });

    it("exits 1 when the current generation expires within --warn-days, 0 with a shorter window", async () => {
        const { sp } = principal("2026-12-16T06:00:00Z", false);

        const due = await cli(["--client-id", sp.appId, "--graph", emu.url]);
        assert.equal(due.code, 1);
        assert.match(due.stdout, /ATTENTION: the newest managed generation \(addin-credentials\/hr-portal\/gen-0\/2026-11-26\) expires on 2026-12-16, in 20 day\(s\) \(--warn-days 30\)\./);

        const fine = await cli(["--client-id", sp.appId, "--graph", emu.url, "--warn-days", "10"]);
        assert.equal(fine.code, 0, fine.stdout);
    });

    it("exits 2 with a clear message for an unknown client id and for usage errors", async () => {
        const unknown = crypto.randomUUID();
        const missing = await cli(["--client-id", unknown, "--graph", emu.url]);
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, new RegExp(`No service principal with client id \\(appId\\) ${unknown} exists in this tenant`));

        const usage = await cli(["--graph", emu.url]);
        assert.equal(usage.code, 2);
        assert.match(usage.stderr, /--client-id is required/);
    });

    describe("--all and --emit-config", () => {
        /** A small seeded tenant: 500 principals, 5 add-ins in each seeded state. */
        function tenant() {
            return emu.tenant.seedPopulation({ principals: 500, seed: 5, addInsPerState: 5 });
        }

        it("lists every add-in by urgency as JSON, with progress on stderr, exiting 1, and shows no secret", async () => {
            const seeded = tenant();

            const r = await cli(["--all", "--json", "--graph", emu.url]);

            assert.equal(r.code, 1, r.stderr);
            const report = JSON.parse(r.stdout) as {
                scanned: { servicePrincipals: number; applications: number; requests: number };
                counts: Record<string, number>;
                addIns: { clientId: string; state: string }[];
                exitCode: number;
            };
            assert.deepEqual(report.scanned, { servicePrincipals: 500, applications: seeded.applications, requests: 2, pages: { servicePrincipals: 1, applications: 1 } });
            assert.deepEqual(report.counts, { down: 5, "at-risk": 5, expiring: 5, ok: 10 });
            assert.deepEqual(report.addIns.map((a) => a.state), [...Array(5).fill("down"), ...Array(5).fill("at-risk"), ...Array(5).fill("expiring"), ...Array(10).fill("ok")]);
            assert.deepEqual(report.addIns.map((a) => a.clientId).sort(), seeded.addIns.map((a) => a.appId).sort());
            assert.equal(report.exitCode, 1);
            assert.match(r.stderr, /^inventory: servicePrincipals: page 1, 500 read$/m);
            assert.match(r.stderr, new RegExp(`^inventory: read 500 service principals and ${seeded.applications} applications in 2 requests, \\d+\\.\\d s$`, "m"));
            const secrets = seeded.addIns.flatMap((a) => {
                const c = emu.tenant.credentials(a.holderId);
                return [...c.keyCredentials.map((k) => k.key), ...c.passwordCredentials.map((p) => p.secretText)];
            });
            assert.equal(secrets.length, 5 * (3 + 3 + 3 + 6 + 3));
            assert.deepEqual(secrets.filter((s) => r.stdout.includes(s) || r.stderr.includes(s)), [], "no key value or password leaked");
            assert.doesNotMatch(r.stdout, /"hint"|secretText/);
        });

        it("prints the table for people and exits 0 when no add-in needs attention", async () => {
            const { sp } = principal("2029-11-25T06:00:00Z", false);
            emu.tenant.addApplication({ displayName: "No keys at all" });

            const r = await cli(["--all", "--graph", emu.url]);

            assert.equal(r.code, 0, r.stderr);
            const lines = r.stdout.split("\n");
            assert.equal(lines[0], "Tenant at directory time 2026-11-26T06:00:00.000Z: 2 service principals, 1 applications; 1 add-in(s) hold Symmetric keys.");
            assert.match(lines[2], /^state\s+name\s+client id\s+display name\s+holder\s+signs with\s+until\s+next expiry\s+managed by\s+attention$/);
            assert.match(lines[4], new RegExp(`^ok\\s+hr-portal\\s+${sp.appId}\\s+HR portal\\s+Legacy SP\\s+[0-9a-f-]{36}\\s+2029-11-25\\s+2029-11-25\\s+hr-portal$`));
            assert.equal(lines[6], "OK: no add-in is down, at risk or due.");
        });

        it("emits stack entries for the chosen add-ins, and exits 2 naming a choice that is no add-in", async () => {
            const seeded = tenant();
            const healthy = seeded.addIns.find((a) => a.state === "healthy");
            assert.ok(healthy);

            const r = await cli(["--emit-config", healthy.appId, "--graph", emu.url]);

            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`\\n {4}- name: [a-z][a-z0-9-]+\\n {6}clientId: ${healthy.appId}\\n {6}firstGenerationStart: '2026-11-26'\\n {6}adoptedKeyIds:\\n {8}- ${healthy.signingKeyId}\\n`));
            assert.match(r.stdout, /^# {3}pulumi config set --secret --path 'adoptedClientSecrets\.[a-z0-9-]+' '<ClientSecret from the remote web's web\.config>'$/m);

            const wrong = await cli(["--emit-config", "no-such-add-in", "--graph", emu.url]);
            assert.equal(wrong.code, 2);
            assert.match(wrong.stderr, /^inventory: --emit-config: "no-such-add-in" is no add-in of this tenant \(a client id, a name or a display name/m);
            assert.equal(wrong.stdout, "");
        });
    });

    it("parses its options, rejecting bad ones with a message naming the option", () => {
        const id = "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11";
        assert.deepEqual(parseInventoryArgs(["--client-id", id, "--graph=http://127.0.0.1:1/v1.0/", "--json", "--warn-days", "7", "--set-name", "crm"]), {
            clientId: id, graph: "http://127.0.0.1:1", setName: "crm", warnDays: 7, json: true,
        });
        assert.equal(parseInventoryArgs(["--help"]), "help");
        assert.throws(() => parseInventoryArgs(["--client-id", "x"]), /--client-id must be the add-in's client id, a GUID; got "x"\./);
        assert.throws(() => parseInventoryArgs(["--client-id", id, "--warn-days=-1"]), /--warn-days must be a whole number of days, 0 or more; got "-1"\./);
        assert.throws(() => parseInventoryArgs(["--client-id", id, "--warn-days", "-1"]), /--warn-days needs a value; for a value starting with "-" write --warn-days=<value>\./);
        assert.throws(() => parseInventoryArgs(["--client-id", id, "stray"]), /unexpected argument "stray": every value follows its option; see --help\./);
        assert.throws(() => parseInventoryArgs(["--client-id", id, "--graph", "graph.microsoft.com"]), /--graph must be an http\(s\) URL/);
        assert.throws(() => parseInventoryArgs(["--client-id", id, "--everything"]), /unknown option "--everything"/);
        assert.throws(() => parseInventoryArgs(["--client-id", id, "--all"]), /^Error: give either --client-id <id> \(one add-in\) or --all \/ --emit-config \(the whole tenant\), not both\.$/);
        assert.throws(() => parseInventoryArgs(["--client-id"]), /--client-id needs a value\./);
        assert.deepEqual(parseInventoryArgs(["--all", "--warn-days=10"]), { all: true, graph: undefined, setName: undefined, warnDays: 10, json: false });
        assert.deepEqual(parseInventoryArgs(["--emit-config", "hr-portal, crm", "--emit-config", id, "--json"]), {
            all: true, emitConfig: ["hr-portal", "crm", id], graph: undefined, setName: undefined, warnDays: 30, json: true,
        });
        assert.throws(() => parseInventoryArgs(["--emit-config", " , "]), /--emit-config needs the add-ins to emit: names, client ids or display names from --all, comma-separated\./);
        assert.throws(() => parseInventoryArgs(["--emit-config", "crm", "--client-id", id]), /give either --client-id <id> \(one add-in\) or --all \/ --emit-config \(the whole tenant\), not both\./);
    });
});
