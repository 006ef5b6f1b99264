// The pure tenant report (tools/tenantReport.ts) and the shared inspection of one object
// (tools/inventoryReport.ts): which principals are add-ins, their state and urgency order,
// names, and the stack entries --emit-config prints. No Graph, no emulator.
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import type { KeyCredentialView, PasswordCredentialView } from "../components/graph/credentials";
import { inspectCredentials, nextExpiry, signingKey } from "../tools/inventoryReport";
import {
    ApplicationView, assignNames, emitConfig, findAddIns, formatEmittedYaml, formatTenantTable, nameFromDisplayName, reportAddIns, reportExitCode,
    selectAddIns, ServicePrincipalView,
} from "../tools/tenantReport";

const NOW = new Date("2026-11-26T06:00:00Z");
const OPTIONS = { warnDays: 30 };

let counter = 0;
/** A deterministic GUID-shaped id with a readable tag in its last group. */
function id(tag: number): string {
    return `00000000-0000-4000-8000-${String(tag).padStart(12, "0")}`;
}
function next(): string {
    counter += 1;
    return id(900_000 + counter);
}

/** The classic secret: Sign + Verify + Password with one start and end. */
function secret(start: string, end: string, displayName: string | null = null, ids?: { sign: string; verify: string; password: string }) {
    const k = ids ?? { sign: next(), verify: next(), password: next() };
    const keys: KeyCredentialView[] = [
        { keyId: k.sign, type: "Symmetric", usage: "Sign", displayName, startDateTime: start, endDateTime: end },
        { keyId: k.verify, type: "Symmetric", usage: "Verify", displayName, startDateTime: start, endDateTime: end },
    ];
    const passwords: PasswordCredentialView[] = [{ keyId: k.password, displayName, startDateTime: start, endDateTime: end }];
    return { keys, passwords, ids: k };
}

function legacy(n: number, displayName: string, keys: KeyCredentialView[] = [], passwords: PasswordCredentialView[] = []): ServicePrincipalView {
    return { id: id(n), appId: id(1000 + n), displayName, servicePrincipalType: "Legacy", keyCredentials: keys, passwordCredentials: passwords };
}

describe("findAddIns", () => {
    it("keeps the principals whose credential-holding object has a Symmetric key, matching applications by appId", () => {
        const hr = secret("2025-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
        const crm = secret("2025-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
        const cert: KeyCredentialView = { keyId: next(), type: "AsymmetricX509Cert", usage: "Verify", startDateTime: "2025-01-01T00:00:00Z", endDateTime: "2027-01-01T00:00:00Z" };
        const sps: ServicePrincipalView[] = [
            legacy(1, "HR portal", hr.keys, hr.passwords),
            legacy(2, "Old add-in, keys removed", [], [{ keyId: next(), startDateTime: "2020-01-01T00:00:00Z", endDateTime: "2021-01-01T00:00:00Z" }]),
            { id: id(3), appId: id(1003).toUpperCase(), displayName: "CRM", servicePrincipalType: "Application", keyCredentials: [], passwordCredentials: [] },
            // Symmetric keys on an app-backed principal itself are not where its credentials live (components/graph/target.ts).
            { id: id(4), appId: id(1004), displayName: "SAML app", servicePrincipalType: "Application", keyCredentials: [{ ...hr.keys[0], keyId: next() }, cert], passwordCredentials: [] },
        ];
        const apps: ApplicationView[] = [
            { id: id(503), appId: id(1003), displayName: "CRM (app)", keyCredentials: crm.keys, passwordCredentials: crm.passwords },
            { id: id(504), appId: id(1004), displayName: "SAML app", keyCredentials: [cert], passwordCredentials: [] },
            { id: id(505), appId: id(1005), displayName: "Orphan", keyCredentials: crm.keys, passwordCredentials: [] },
        ];

        const found = findAddIns(sps, apps);

        assert.deepEqual(found.addIns.map((a) => [a.displayName, a.target.kind, a.target.objectId, a.servicePrincipalId]), [
            ["HR portal", "servicePrincipal", id(1), id(1)],
            ["CRM", "application", id(503), id(3)],
        ]);
        assert.equal(found.addIns[1].credentials.keyCredentials, crm.keys);
        assert.deepEqual(found.applicationsWithoutPrincipal, [{ appId: id(1005), displayName: "Orphan", objectId: id(505) }]);
    });
});

describe("inspectCredentials", () => {
    it("judges an unmanaged principal as if the app held the newest secret, and marks nothing adopted", () => {
        const older = secret("2024-01-01T00:00:00Z", "2027-03-01T00:00:00Z");
        const newer = secret("2026-06-01T00:00:00Z", "2029-06-01T00:00:00Z");

        const i = inspectCredentials({ keyCredentials: [...older.keys, ...newer.keys], passwordCredentials: [...older.passwords, ...newer.passwords] }, NOW, OPTIONS);

        assert.deepEqual(i.entries.filter((e) => e.risk !== undefined).map((e) => e.keyId), [older.ids.sign]);
        assert.equal(
            i.entries.find((e) => e.keyId === older.ids.sign)?.risk,
            `if the remote web holds only the newest secret (Sign key ${newer.ids.sign}, ends 2029-06-01), this is an older valid Sign key the app does not hold: ` +
                "SharePoint signs with the oldest valid key, so it will sign with this one until 2027-03-01 and the add-in's context tokens will fail validation",
        );
        assert.equal(i.entries.filter((e) => e.adopted).length, 0);
        assert.deepEqual([i.exitCode, i.down, i.risky, i.expiresInDays], [1, false, true, undefined]);
        assert.equal(signingKey(i.entries, NOW)?.keyId, older.ids.sign);
        assert.equal(nextExpiry(i.entries, NOW), "2027-03-01T00:00:00Z");
    });

    it("reports no risk for one valid secret, and down when every Sign key has expired", () => {
        const one = secret("2025-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
        const fine = inspectCredentials({ keyCredentials: one.keys, passwordCredentials: one.passwords }, NOW, OPTIONS);
        assert.deepEqual([fine.exitCode, fine.problems], [0, []]);

        const gone = secret("2023-01-01T00:00:00Z", "2026-11-25T00:00:00Z");
        const down = inspectCredentials({ keyCredentials: gone.keys, passwordCredentials: gone.passwords }, NOW, OPTIONS);
        assert.deepEqual([down.exitCode, down.down, down.problems], [1, true, ["no valid Symmetric Sign key on the object: SharePoint cannot sign context tokens for this add-in."]]);
        assert.equal(signingKey(down.entries, NOW), undefined);
        assert.equal(nextExpiry(down.entries, NOW), undefined);
    });
});

describe("reportAddIns", () => {
    /** One principal per state, listed in an order the report must change. */
    function tenant() {
        const healthy = secret("2025-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
        const soon = secret("2023-12-01T00:00:00Z", "2026-12-10T00:00:00Z");
        const sooner = secret("2023-12-01T00:00:00Z", "2026-12-01T00:00:00Z");
        const down = secret("2023-01-01T00:00:00Z", "2026-10-01T00:00:00Z");
        const older = secret("2024-01-01T00:00:00Z", "2027-03-01T00:00:00Z");
        const newer = secret("2026-06-01T00:00:00Z", "2029-06-01T00:00:00Z");
        const managed = secret("2026-01-01T00:00:00Z", "2028-12-31T00:00:00Z", "addin-credentials/hr-portal/gen-0/2026-01-01");
        return findAddIns([
            legacy(1, "Healthy", healthy.keys, healthy.passwords),
            legacy(2, "Due soon", soon.keys, soon.passwords),
            legacy(3, "Due sooner", sooner.keys, sooner.passwords),
            legacy(4, "Down", down.keys, down.passwords),
            legacy(5, "Risky", [...older.keys, ...newer.keys], [...older.passwords, ...newer.passwords]),
            legacy(6, "HR Portal", managed.keys, managed.passwords),
            legacy(7, "HR portal", healthy.keys.map((k) => ({ ...k, keyId: next() })), []),
        ], []).addIns;
    }

    it("classifies each add-in and sorts down, at-risk, expiring (soonest first), ok", () => {
        const reports = reportAddIns(tenant(), NOW, OPTIONS);

        assert.deepEqual(reports.map((r) => [r.displayName, r.state, r.name, r.managedBy.join(",")]), [
            ["Down", "down", "down", ""],
            ["Risky", "at-risk", "risky", ""],
            ["Due sooner", "expiring", "due-sooner", ""],
            ["Due soon", "expiring", "due-soon", ""],
            ["Healthy", "ok", "healthy", ""],
            ["HR portal", "ok", "hr-portal-2", ""],
            ["HR Portal", "ok", "hr-portal", "hr-portal"],
        ]);
        assert.equal(reportExitCode(reports), 1);
        assert.equal(reportExitCode(reports.filter((r) => r.state === "ok")), 0);
        const sooner = reports[2];
        assert.deepEqual(sooner.problems, [`the newest valid Sign key ${sooner.signingKey?.keyId} expires on 2026-12-01, in 4 day(s) (--warn-days 30).`]);
        assert.equal(sooner.signingKey?.endDateTime, "2026-12-01T00:00:00Z");
        assert.equal(sooner.nextExpiry, "2026-12-01T00:00:00Z");
    });

    it("prints a table with one line per add-in, the attention last", () => {
        const lines = formatTenantTable(reportAddIns(tenant(), NOW, OPTIONS)).split("\n");
        assert.equal(lines.length, 2 + 7);
        assert.match(lines[0], /^state\s+name\s+client id\s+display name\s+holder\s+signs with\s+until\s+next expiry\s+managed by\s+attention$/);
        assert.match(lines[2], /^down\s+down\s+0{8}-0000-4000-8000-000000001004\s+Down\s+Legacy SP\s+-\s+-\s+-\s+-\s+no valid Symmetric Sign key on the object/);
        assert.match(lines[8], /^ok\s+hr-portal\s+\S+\s+HR Portal\s+Legacy SP\s+\S+\s+2028-12-31\s+2028-12-31\s+hr-portal$/);
    });
});

describe("names", () => {
    it("derives lower-case, dash-separated names of at most 40 characters that start with a letter", () => {
        assert.equal(nameFromDisplayName("Contoso HR Portal (PROD)"), "contoso-hr-portal-prod");
        assert.equal(nameFromDisplayName("2019 Intranet"), "addin-2019-intranet");
        assert.equal(nameFromDisplayName("  ***  "), "addin");
        assert.equal(nameFromDisplayName("Café Économie"), "cafe-economie");
        const long = nameFromDisplayName("A very long add-in display name that goes on and on");
        assert.equal(long, "a-very-long-add-in-display-name-that-goe");
        assert.equal(long.length, 40);
        assert.equal(nameFromDisplayName("x".repeat(39) + " y"), "x".repeat(39), "no trailing dash after cutting");
    });

    it("makes names unique, reserving the sets that already manage a principal", () => {
        const names = assignNames([
            { clientId: "b", displayName: "HR portal", managedBy: [] },
            { clientId: "a", displayName: "HR portal", managedBy: [] },
            { clientId: "c", displayName: "Anything", managedBy: ["hr-portal"] },
            { clientId: "d", displayName: "x".repeat(45), managedBy: [] },
            { clientId: "e", displayName: "x".repeat(41), managedBy: [] },
        ]);
        assert.deepEqual(Object.fromEntries(names), {
            c: "hr-portal", a: "hr-portal-2", b: "hr-portal-3", e: "x".repeat(40), d: `${"x".repeat(38)}-2`,
        });
    });
});

describe("--emit-config", () => {
    const adopted = { sign: id(11), verify: id(12), password: id(13) };

    function report(name: string, keys: KeyCredentialView[], passwords: PasswordCredentialView[]) {
        return reportAddIns(findAddIns([legacy(1, name, keys, passwords)], []).addIns, NOW, OPTIONS);
    }

    it("adopts the signing key with the Verify key and the Password of exactly its dates", () => {
        const current = secret("2024-12-01T00:00:00Z", "2027-12-01T00:00:00Z", null, adopted);
        // Same end day, other instant: a different secret, not part of the adoption.
        const nearly: KeyCredentialView = { keyId: id(14), type: "Symmetric", usage: "Verify", startDateTime: "2024-12-01T00:00:00Z", endDateTime: "2027-12-01T10:00:00Z" };
        const [r] = report("HR portal", [...current.keys, nearly], current.passwords);

        const out = emitConfig([r], NOW);

        assert.deepEqual(out.addIns.map((a) => a.entry), [{
            name: "hr-portal", clientId: id(1001), firstGenerationStart: "2026-11-26",
            adoptedKeyIds: [id(11), id(12), id(13)], adoptedSecretEndDateTime: "2027-12-01T00:00:00Z",
        }]);
        assert.equal(out.addIns[0].secretCommand, "pulumi config set --secret --path 'adoptedClientSecrets.hr-portal' '<ClientSecret from the remote web's web.config>'");
        assert.equal(out.addIns[0].risky, false);
        assert.deepEqual(out.addIns[0].notes, [
            `adopts the secret SharePoint signs with today: Sign key ${id(11)}, Verify key ${id(12)}, password ${id(13)}; it ends 2027-12-01T00:00:00Z.`,
        ]);
    });

    it("says an adoption with another valid Sign key is not safe to assume, and adopts the oldest (the one SharePoint signs with)", () => {
        const older = secret("2024-01-01T00:00:00Z", "2027-03-01T00:00:00Z", null, adopted);
        const newer = secret("2026-06-01T00:00:00Z", "2029-06-01T00:00:00Z");
        const [r] = report("Risky", [...older.keys, ...newer.keys], [...older.passwords, ...newer.passwords]);

        const [a] = emitConfig([r], NOW).addIns;

        assert.equal(a.risky, true);
        assert.deepEqual(a.entry.adoptedKeyIds, [id(11), id(12), id(13)]);
        assert.match(a.notes[1], new RegExp(`^NOT SAFE TO ASSUME: besides the adopted key there is another valid Sign key \\(${newer.ids.sign}, 2026-06-01 to 2029-06-01\\)\\. ` +
            `SharePoint signs with the oldest valid key, ${id(11)}, until 2027-03-01: adopt it only if web\\.config's ClientSecret`));
        assert.match(formatEmittedYaml({ addIns: [a], skipped: [] }), /\n {4}#\s+NOT SAFE TO ASSUME: /);
    });

    it("adopts nothing for a down add-in, warns when the adopted secret ends within 24 h, and skips managed ones", () => {
        const gone = secret("2023-01-01T00:00:00Z", "2026-11-20T00:00:00Z");
        const [down] = report("Down", gone.keys, gone.passwords);
        const tomorrow = secret("2023-12-01T00:00:00Z", "2026-11-27T00:00:00Z");
        const [due] = report("Due", tomorrow.keys, tomorrow.passwords);
        const gen = secret("2026-01-01T00:00:00Z", "2028-12-31T00:00:00Z", "addin-credentials/crm/gen-0/2026-01-01");
        const [managed] = report("CRM", gen.keys, gen.passwords);

        const out = emitConfig([down, due, managed], NOW);

        assert.deepEqual(out.addIns[0].entry, { name: "down", clientId: id(1001), firstGenerationStart: "2026-11-26" });
        assert.equal(out.addIns[0].secretCommand, null);
        assert.match(out.addIns[0].notes[0], /^down now: no valid Symmetric Sign key, so there is no secret to adopt\./);
        assert.equal(out.addIns[1].notes[1], "the adopted secret ends in 18 h, sooner than the up to 24 h SharePoint may take to accept a new key: run pulumi up now; the add-in can fail from its end until the new generation has propagated.");
        assert.deepEqual(out.skipped.map((s) => s.reason), ['already managed by set "crm": its entry is in the stack that manages it; a second entry would make a second set on the same object.']);
        assert.equal(out.addIns.length, 2);
    });

    it("prints YAML that, pasted under addin-credentials:addins of a stack file, reads back as the entries", () => {
        const one = secret("2024-12-01T00:00:00Z", "2027-12-01T00:00:00Z", null, adopted);
        const two = secret("2023-01-01T00:00:00Z", "2026-11-20T00:00:00Z");
        const reports = reportAddIns(findAddIns([legacy(1, "HR portal", one.keys, one.passwords), legacy(2, "Expense reports", two.keys, two.passwords)], []).addIns, NOW, OPTIONS);
        const out = emitConfig(selectAddIns(reports, ["hr-portal", id(1002)]), NOW);

        const text = formatEmittedYaml(out);
        const stack = yaml.load(`config:\n  addin-credentials:addins:\n${text}`) as { config: Record<string, unknown> };

        assert.deepEqual(stack.config["addin-credentials:addins"], out.addIns.map((a) => a.entry));
        assert.deepEqual(Object.keys(stack.config), ["addin-credentials:addins"]);
        assert.match(text, /\n# {3}pulumi config set --secret --path 'adoptedClientSecrets\.hr-portal' '<ClientSecret from the remote web's web\.config>'\n/);
        assert.doesNotMatch(text, /adoptedClientSecrets\.expense-reports/, "nothing to adopt for the down add-in");
    });

    it("selects by client id, name or display name, and names what it cannot find", () => {
        const a = secret("2025-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
        const reports = reportAddIns(findAddIns([legacy(1, "Twin app!", a.keys, []), legacy(2, "Twin app!", a.keys.map((k) => ({ ...k, keyId: next() })), []), legacy(3, "Solo", a.keys, [])], []).addIns, NOW, OPTIONS);

        assert.deepEqual(selectAddIns(reports, ["SOLO", id(1001), "twin-app-2", "solo"]).map((r) => r.clientId), [id(1003), id(1001), id(1002)]);
        assert.throws(() => selectAddIns(reports, ["nope"]), /^Error: --emit-config: "nope" is no add-in of this tenant \(a client id, a name or a display name from npm run inventory -- --all;/);
        assert.throws(() => selectAddIns(reports, ["twin APP!"]), new RegExp(`^Error: --emit-config: "twin APP!" is the display name of 2 add-ins \\(twin-app ${id(1001)}, twin-app-2 ${id(1002)}\\); give the client id or name\\.$`));
    });
});
