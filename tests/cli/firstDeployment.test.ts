// The first deployment of an add-in on the real Pulumi CLI (cli/), in the project directory, with a
// file:// backend and the emulator: stack init, a stack file for one add-in, preview, up, stack
// output, and the next day's drift check. Before Pulumi.yaml named `main` and stopped declaring
// the secret `adoptedClientSecrets` with a plain default, this failed at the first preview (the
// CLI refused the config), and with only the config fixed, the CLI ran the component library
// instead of index.ts and created nothing.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { CliStep, resourceSteps } from "../../cli/realProject";
import { useRealLab } from "../support/realLab";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-12-01T06:00:00Z");

describe("the real Pulumi CLI: a first deployment", function () {
    this.timeout(300_000);
    const real = useRealLab({ per: "suite" });

    it("pulumi version is the version of @pulumi/pulumi in package-lock.json", async () => {
        const version = await real.project.pulumi(["version"]);
        assert.equal(version.code, 0, version.stderr);
        assert.equal(version.stdout.trim(), `v${real.project.cli.versions.pulumi}`);
    });

    it("stack init, one add-in, preview, up: the object holds exactly generation 0, its secret is the stack's output, and the next day has nothing to do", async () => {
        // GIVEN an add-in principal, and a new stack whose file names it (no adoptedClientSecrets)
        const sp = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        real.lab.emu.clock.freeze(new Date(T0));
        const init = await real.project.pulumi(["stack", "init", "dev", "--secrets-provider", "passphrase"]);
        assert.equal(init.code, 0, init.stderr);
        const salt = /^encryptionsalt: .+$/m.exec(fs.readFileSync(real.project.stackFile("dev"), "utf8"))?.[0];
        assert.ok(salt !== undefined, "stack init writes the passphrase's salt into the stack file");
        fs.writeFileSync(real.project.stackFile("dev"), [
            salt,
            "config:",
            "  addin-credentials:addins:",
            "    - name: hr-portal",
            `      clientId: ${sp.appId}`,
            '      firstGenerationStart: "2026-12-01"',
            "",
        ].join("\n"));

        // WHEN the operator previews, then deploys
        const preview = await real.project.pulumi(["preview"], { eventLog: true });
        assert.equal(preview.code, 0, preview.stdout + preview.stderr);
        assert.deepEqual(creates(preview.steps), [
            "addin-credentials:index:AddInCredentialSet hr-portal",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration hr-portal-slot-a",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory hr-portal-inventory",
            "pulumi:pulumi:Stack addin-credentials-dev",
            "random:index/randomBytes:RandomBytes hr-portal-slot-a-bytes",
        ]);
        assert.equal(real.lab.emu.tenant.credentials(sp.id).keyCredentials.length, 0, "a preview writes nothing");
        const up = await real.project.pulumi(["up", "--yes"], { eventLog: true });
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(up.summary?.resourceChanges, { create: 5 });

        // THEN the object holds generation 0: Sign, Verify and Password with one display name
        const creds = real.lab.emu.tenant.credentials(sp.id);
        const entries = [...creds.keyCredentials.map((k) => `${k.type} ${k.usage} ${k.displayName}`), ...creds.passwordCredentials.map((p) => `Password ${p.displayName}`)].sort();
        assert.deepEqual(entries, [
            "Password addin-credentials/hr-portal/gen-0/2026-12-01",
            "Symmetric Sign addin-credentials/hr-portal/gen-0/2026-12-01",
            "Symmetric Verify addin-credentials/hr-portal/gen-0/2026-12-01",
        ]);

        // AND the stack's output holds its secret: the base64 of the keys' bytes
        const output = await real.project.pulumi(["stack", "output", "addins", "--show-secrets", "--json"]);
        assert.equal(output.code, 0, output.stderr);
        const addins = JSON.parse(output.stdout) as Record<string, { clientId: string; clientSecret: string }>;
        const sign = creds.keyCredentials.find((k) => k.usage === "Sign");
        assert.equal(addins["hr-portal"].clientId, sp.appId);
        assert.equal(addins["hr-portal"].clientSecret, sign?.key);
        const hidden = await real.project.pulumi(["stack", "output", "addins", "--json"]);
        assert.doesNotMatch(hidden.stdout, new RegExp(escape(addins["hr-portal"].clientSecret)), "without --show-secrets the secret is not printed");

        // AND the state file holds it only encrypted
        const state = real.project.stateText("dev");
        assert.ok(!state.includes(addins["hr-portal"].clientSecret), "the state file holds the client secret in plain text");
        assert.match(state, /"ciphertext"/);

        // AND the next day, the drift check the pipeline runs has nothing to do, and once SharePoint
        // has taken the new keys (24 hours), the add-in works with the delivered secret
        real.lab.emu.clock.freeze(new Date(T0 + DAY + HOUR));
        const drift = await real.project.pulumi(["preview", "--refresh", "--expect-no-changes", "--diff"], { eventLog: true });
        assert.equal(drift.code, 0, drift.stdout + drift.stderr);
        assert.deepEqual(changes(drift.steps), []);
        const check = await real.lab.emu.checkAddIn(sp.appId, { clientSecret: addins["hr-portal"].clientSecret, secondaryClientSecret: null });
        assert.deepEqual([check.contextTokenValid, check.accessTokenOk, check.reason], [true, true, null]);
    });
});

/** `type name` of every resource a run creates, sorted. */
function creates(steps: readonly CliStep[] | undefined): string[] {
    return resourceSteps(steps).filter((s) => s.op === "create").map((s) => `${s.type} ${s.name}`).sort();
}

/** Every step that changes something (not same, not refresh, not read). */
function changes(steps: readonly CliStep[] | undefined): string[] {
    return resourceSteps(steps).filter((s) => !["same", "refresh", "read"].includes(s.op)).map((s) => `${s.op} ${s.name}`);
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
