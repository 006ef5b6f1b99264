// What a preview on the real Pulumi CLI shows and refuses before anything is written, and the
// emergency rotation that keeps the previous generation: the days of tests/pulumiUp.test.ts that
// tests/cli/lifecycle.test.ts and tests/cli/differential.test.ts do not run.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { CliResult, resourceSteps } from "../../cli/realProject";
import { useRealLab } from "../support/realLab";

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-26T06:00:00Z");

describe("the real Pulumi CLI: previews that refuse, and an emergency rotation", function () {
    this.timeout(300_000);
    const real = useRealLab({ per: "suite", project: { transpileOnly: true } });
    let sp: { id: string; appId: string };
    let stackCount = 0;

    /** A new stack for one add-in on a new Legacy principal, `extra` merged into its entry. */
    async function newStack(extra = ""): Promise<string> {
        sp = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const stack = `s${++stackCount}`;
        const init = await real.project.pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        assert.equal(init.code, 0, init.stderr);
        fs.appendFileSync(real.project.stackFile(stack), [
            "config:",
            "  addin-credentials:addins:",
            "    - name: hr-portal",
            `      clientId: ${sp.appId}`,
            `      firstGenerationStart: "${new Date(T0).toISOString()}"`,
            extra,
        ].join("\n"));
        return stack;
    }

    /** The run's failure as the CLI prints it; never the program's stack trace. */
    function refusal(run: CliResult): string {
        const text = run.stdout + run.stderr;
        assert.doesNotMatch(text, /unhandled exception|\n\s+at .*\(.*:\d+:\d+\)/, "a refusal is printed with the program's stack trace");
        return text.replace(/\s*\n\s*/g, " ");
    }

    it("an older unmanaged valid Sign key: the preview prints the risk and refuses, naming the key and the ways out; nothing is written", async () => {
        const stack = await newStack();
        const rogue = real.lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [{ type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" }],
        }).keyCredentials[0];
        real.lab.emu.clock.freeze(new Date(T0));
        const writesBefore = writes();

        const preview = await real.project.pulumi(["preview", "--stack", stack]);

        assert.equal(preview.code, 1);
        const text = refusal(preview);
        assert.match(text, new RegExp(`warning: hr-portal: key ${rogue} \\(Symmetric/Sign, 2026-01-01\\.\\.2027-06-01\\): older valid Sign key the app does not hold: SharePoint signs with the oldest valid key`));
        assert.match(text, new RegExp(`error: .*hr-portal: the inventory's cleanup would be refused, so the update would fail\\. SharePoint signs with key ${rogue} .*or set acceptOutage: true to go on anyway\\.`));
        assert.equal(writes(), writesBefore, "a preview writes nothing");
    });

    it("onboarding an add-in that works today without adopting its secret: up --yes stops at its preview, with the fix, and deploys nothing", async () => {
        const stack = await newStack();
        const key = crypto.randomBytes(32).toString("base64");
        const current = real.lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric" as const, usage, key, startDateTime: "2025-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" })),
        });
        real.lab.emu.clock.freeze(new Date(T0));

        const up = await real.project.pulumi(["up", "--yes", "--stack", stack], { eventLog: true });

        assert.equal(up.code, 1);
        const text = refusal(up);
        assert.match(text, new RegExp(`SharePoint signs with key ${current.keyCredentials[0]} \\(Symmetric/Sign, 2025-01-01\\.\\.2027-06-01, unmanaged-valid\\), which the remote web would not hold after this update`));
        assert.match(text, /adopt it \(adoptedKeyIds, adoptedSecretEndDateTime and adoptedClientSecrets\.hr-portal; npm run inventory -- --emit-config <client id> prints them\)/);
        // The update never ran: the run's events are its preview's, which failed, and no resource
        // was saved.
        assert.deepEqual([up.summary?.isPreview, up.summary?.result], [true, "failed"]);
        assert.deepEqual(real.project.checkpoint(stack).resources, []);
        assert.equal(real.lab.emu.tenant.credentials(sp.id).keyCredentials.length, 2, "the object is untouched");
    });

    it("an emergency rotation without revokePrevious adds generation 1 and keeps generation 0, which stays the secondary", async () => {
        const at = T0 + 100 * DAY;
        const stack = await newStack(`      manualRotations: [{at: "${new Date(at).toISOString()}", revokePrevious: false}]\n`);
        real.lab.emu.clock.freeze(new Date(T0));
        const first = await real.project.pulumi(["up", "--yes", "--stack", stack]);
        assert.equal(first.code, 0, first.stdout + first.stderr);

        real.lab.emu.clock.freeze(new Date(at));
        const up = await real.project.pulumi(["up", "--yes", "--stack", stack], { eventLog: true });

        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(resourceSteps(up.steps).filter((s) => !["same", "refresh"].includes(s.op)).map((s) => `${s.op} ${s.name}`).sort(), [
            "create hr-portal-slot-b", "create hr-portal-slot-b-bytes", "update hr-portal-inventory",
        ]);
        assert.deepEqual([...new Set(real.lab.emu.tenant.credentials(sp.id).keyCredentials.map((k) => k.displayName))].sort(), [
            "addin-credentials/hr-portal/gen-0/2026-11-26", "addin-credentials/hr-portal/gen-1/2027-03-06",
        ]);
        const output = await real.project.pulumi(["stack", "output", "addins", "--stack", stack, "--show-secrets", "--json"]);
        const secrets = (JSON.parse(output.stdout) as Record<string, { clientSecret: string; secondaryClientSecret: string }>)["hr-portal"];
        const keyOf = (displayName: string): string | undefined => real.lab.emu.tenant.credentials(sp.id).keyCredentials.find((k) => k.usage === "Sign" && k.displayName === displayName)?.key;
        assert.ok(secrets.clientSecret === keyOf("addin-credentials/hr-portal/gen-1/2027-03-06"), "ClientSecret is generation 1's");
        assert.ok(secrets.secondaryClientSecret === keyOf("addin-credentials/hr-portal/gen-0/2026-11-26"), "SecondaryClientSecret is generation 0's");
    });

    /** Graph writes so far (every request but a GET). */
    function writes(): number {
        return real.lab.emu.requests.filter((r) => r.method !== "GET").length;
    }
});
