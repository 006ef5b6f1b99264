// CredentialInventory as `pulumi up` runs it: the real program (index.ts) through the lifecycle
// harness, dynamic resources in Pulumi's own dynamic provider host, Graph and ACS emulated
// in-process. The seed's outage (DOMAIN.md §3) is replayed: the app's secret expired yesterday and
// an older, still valid Sign key it does not hold lingers on the principal.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { credentialInventoryProvider } from "../components/credentialInventory";
import type { InventoryReport } from "../components/addInCredentialSet";
import { Emulator, startEmulator } from "../emulator";
import { DirectoryObject } from "../emulator/model";
import { LifecycleHarness, PROGRAM_PATH, RunResult } from "../harness/lifecycle";
import { emulatorEnv, ProviderHost, serializeProvider, startProviderHost } from "./support/providerHost";

const HOUR = 3_600_000;
const T0 = new Date("2026-11-26T06:00:00Z");
const LINGERING_RISK =
    "older valid Sign key the app does not hold: SharePoint signs with the oldest valid key, so it will sign with this one until 2027-03-01 " +
    "and the add-in's context tokens will fail validation";

interface AddInOutputs {
    clientSecret?: string;
    secondaryClientSecret?: string;
    inventory: InventoryReport;
}

describe("CredentialInventory (program + provider host + emulator)", function () {
    this.timeout(60_000);

    let emu: Emulator;
    let host: ProviderHost;

    before(async () => {
        emu = await startEmulator({ port: 0 });
        host = await startProviderHost({
            env: emulatorEnv(emu, { ADDIN_CREDENTIALS_RETRY_BASE_MS: "5", ADDIN_CREDENTIALS_MAX_ATTEMPTS: "4" }),
        });
    });

    beforeEach(() => {
        emu.reset();
        emu.clock.freeze(T0);
    });

    after(async () => {
        await host?.stop();
        await emu?.close();
    });

    // ---- helpers ----------------------------------------------------------------------------

    /** The seed's principal: expired set the app holds + lingering older Sign key; and a foreign principal. */
    function seedScenario() {
        const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const appKey = crypto.randomBytes(32).toString("base64");
        const expired = emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({
                type: "Symmetric", usage, key: appKey, startDateTime: "2023-11-25T00:00:00Z", endDateTime: "2026-11-25T00:00:00Z",
            })),
            passwordCredentials: [{ startDateTime: "2023-11-25T00:00:00Z", endDateTime: "2026-11-25T00:00:00Z" }],
        });
        const lingering = emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [{ type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2023-06-01T00:00:00Z", endDateTime: "2027-03-01T00:00:00Z" }],
        }).keyCredentials[0];
        const foreign = emu.tenant.addLegacyServicePrincipal({ displayName: "Another add-in" });
        emu.tenant.seedCredentials(foreign.id, {
            keyCredentials: [
                { type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2020-01-01T00:00:00Z", endDateTime: "2021-01-01T00:00:00Z" },
                { type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2023-06-01T00:00:00Z", endDateTime: "2027-03-01T00:00:00Z" },
            ],
        });
        return { sp, appKey, expired, lingering, foreign };
    }

    function holder(objectId: string): DirectoryObject {
        return emu.tenant.get(objectId) as DirectoryObject;
    }

    function keyIdsOf(objectId: string): string[] {
        const o = holder(objectId);
        return [...o.keyCredentials, ...o.passwordCredentials].map((e) => e.keyId).sort();
    }

    function config(clientId: string, extra: Record<string, unknown> = {}): Record<string, string> {
        return {
            "addin-credentials:addins": JSON.stringify([{ name: "hr-portal", clientId, firstGenerationStart: T0.toISOString(), ...extra }]),
            "addin-credentials:planningTime": emu.clock.now().toISOString(),
        };
    }

    function outputsOf(run: RunResult): AddInOutputs {
        return (run.outputs.addins.value as Record<string, AddInOutputs>)["hr-portal"];
    }

    const changes = (run: RunResult) => run.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);

    // ---- tests ------------------------------------------------------------------------------

    it("serializes the provider without live objects or classes (the host runs it)", async () => {
        const text = await serializeProvider(credentialInventoryProvider);

        assert.doesNotMatch(text, /class \w+ extends Error/);
        assert.match(text, /classifyCredentials/);
    });

    it('cleanup "unmanaged": removes the lingering Sign key after the new generation exists, reports it, and the add-in works once the new key propagated', async () => {
        // GIVEN the seed's principal: the add-in is down
        const { sp, appKey, expired, lingering, foreign } = seedScenario();
        const foreignBefore = keyIdsOf(foreign.id);
        const down = await emu.checkAddIn(sp.appId, { clientSecret: appKey });
        assert.equal(down.contextTokenValid && down.accessTokenOk, false);

        // WHEN one pulumi up runs with cleanup "unmanaged"
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        const run = await harness.run({ config: config(sp.appId, { cleanup: "unmanaged" }) });

        // THEN the lingering key is gone and reported; the expired set waits for its grace period
        const out = outputsOf(run);
        assert.deepEqual(out.inventory.removed.map((r) => [r.keyId, r.kind, r.type, r.usage, r.startDateTime, r.endDateTime, r.reason]), [
            [lingering, "key", "Symmetric", "Sign", "2023-06-01T00:00:00Z", "2027-03-01T00:00:00Z", `unmanaged, valid until 2027-03-01, and cleanup is "unmanaged"; ${LINGERING_RISK}`],
        ]);
        assert.ok(!keyIdsOf(sp.id).includes(lingering));
        for (const id of [...expired.keyCredentials, ...expired.passwordCredentials]) {
            assert.ok(keyIdsOf(sp.id).includes(id), `expired ${id} is kept inside the grace period`);
        }
        assert.deepEqual(out.inventory.risks, []);
        assert.deepEqual(
            run.logs.filter((l) => l.message.includes("removed")).map((l) => `${l.severity}: ${l.message.trim()}`),
            [`info: hr-portal: removed key ${lingering} (Symmetric/Sign, 2023-06-01..2027-03-01): unmanaged, valid until 2027-03-01, and cleanup is "unmanaged"; ${LINGERING_RISK}`],
        );
        assert.deepEqual(keyIdsOf(foreign.id), foreignBefore, "another object's credentials are untouched");
        assert.ok(run.steps.findIndex((s) => s.name === "hr-portal-slot-a") < run.steps.findIndex((s) => s.name === "hr-portal-inventory"), "cleanup after the generation");

        // AND once the new key has propagated (24 h), SharePoint signs with it and the app validates
        const secrets = { clientSecret: out.clientSecret ?? "", secondaryClientSecret: out.secondaryClientSecret };
        emu.clock.advance(24 * HOUR + 1000);
        const check = await emu.checkAddIn(sp.appId, secrets);
        assert.equal(check.reason, null);
        assert.ok(check.contextTokenValid && check.accessTokenOk);
    });

    it('cleanup "expired" (default): keeps the lingering Sign key, warns with the risk, and the add-in stays broken', async () => {
        const { sp, lingering } = seedScenario();
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });

        const run = await harness.run({ config: config(sp.appId) });

        const out = outputsOf(run);
        assert.ok(keyIdsOf(sp.id).includes(lingering));
        assert.deepEqual(out.inventory.removed, []);
        const risk = `key ${lingering} (Symmetric/Sign, 2023-06-01..2027-03-01): ${LINGERING_RISK}`;
        assert.deepEqual(out.inventory.risks, [risk]);
        assert.ok(run.logs.some((l) => l.severity === "warning" && l.message.trim() === `hr-portal: ${risk}`), JSON.stringify(run.logs));
        assert.equal(out.inventory.entries.find((e) => e.keyId === lingering)?.classification, "unmanaged-valid");

        emu.clock.advance(24 * HOUR + 1000);
        const check = await emu.checkAddIn(sp.appId, { clientSecret: out.clientSecret ?? "", secondaryClientSecret: out.secondaryClientSecret });
        assert.equal(check.contextTokenValid, false, "SharePoint still signs with the lingering key");
    });

    it("refuses cleanup of the adopted secret with a clear error and removes nothing", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const key = crypto.randomBytes(32).toString("base64");
        emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric", usage, key, startDateTime: "2024-12-01T00:00:00Z", endDateTime: "2027-12-01T00:00:00Z" })),
        });
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        const cfg = {
            ...config(sp.appId, { cleanup: "unmanaged", adoptedSecretEndDateTime: "2027-12-01T00:00:00Z" }),
            "addin-credentials:adoptedClientSecrets": JSON.stringify({ "hr-portal": key }),
        };

        await assert.rejects(harness.run({ config: cfg, secretKeys: ["addin-credentials:adoptedClientSecrets"] }), (e: Error) => {
            assert.match(e.message, /cleanup refused, nothing was removed\. cleanup would remove key \S+ \(Symmetric\/(Sign|Verify)\), key \S+ \(Symmetric\/(Sign|Verify)\): the adopted secret the app uses today \(ends 2027-12-01\)/);
            assert.match(e.message, /set forceCleanup: true/);
            assert.doesNotMatch(e.message, new RegExp(key.replace(/[+/=]/g, ".")));
            return true;
        });
        assert.equal(holder(sp.id).keyCredentials.filter((k) => k.displayName === null).length, 2, "nothing removed");
    });

    it("removes a duplicate password that a late-applied create left with the generation's name", async () => {
        // GIVEN a generation in place, and a second password with its display name (an addPassword
        // that timed out, was retried, and then applied late by Graph)
        const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        await harness.run({ config: config(sp.appId) });
        const own = holder(sp.id).passwordCredentials[0];
        const duplicate = emu.tenant.seedCredentials(sp.id, {
            passwordCredentials: [{ displayName: own.displayName, startDateTime: own.startDateTime.toISOString(), endDateTime: own.endDateTime.toISOString() }],
        }).passwordCredentials[0];

        // WHEN the next pulumi up runs (default cleanup "expired")
        const run = await harness.run({ config: config(sp.appId) });

        // THEN the duplicate is removed and reported; the generation's own entries stay
        assert.deepEqual(outputsOf(run).inventory.removed.map((r) => [r.keyId, r.reason]), [
            [duplicate, `a duplicate of generation "${own.displayName}" left by a create attempt Graph applied late; nobody holds its value`],
        ]);
        assert.deepEqual(holder(sp.id).passwordCredentials.map((p) => p.keyId), [own.keyId]);
        assert.equal(holder(sp.id).keyCredentials.length, 2);
    });

    it("has no perpetual diff: a second run with the same clock is all same, and a preview too", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        const first = await harness.run({ config: config(sp.appId) });
        assert.deepEqual(changes(first), ["create hr-portal-slot-a-bytes", "create hr-portal-slot-a", "create hr-portal-inventory"]);

        const second = await harness.run({ config: config(sp.appId) });
        const preview = await harness.run({ config: config(sp.appId), preview: true });

        assert.deepEqual(changes(second), []);
        assert.ok(second.steps.length >= 3 && second.steps.every((s) => s.op === "same"));
        assert.deepEqual(changes(preview), []);
        assert.deepEqual(second.logs.filter((l) => l.severity === "warning"), []);
    });

    it("reports out-of-band deletion of a managed entry and a new risky unmanaged key in the next preview", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        await harness.run({ config: config(sp.appId) });
        emu.clock.advance(HOUR);

        // GIVEN someone removes the managed password by hand
        const o = holder(sp.id);
        o.passwordCredentials = o.passwordCredentials.filter((p) => !p.displayName?.startsWith("addin-credentials/"));
        const afterDeletion = await harness.run({ config: config(sp.appId), preview: true });
        // THEN the preview replaces the generation (a slot whose entries went missing)
        assert.ok(changes(afterDeletion).includes("replace hr-portal-slot-a"), JSON.stringify(afterDeletion.steps));
        await harness.run({ config: config(sp.appId) });

        // GIVEN someone adds an older valid Sign key the app does not hold
        const rogue = emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [{ type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" }],
        }).keyCredentials[0];
        const afterRogue = await harness.run({ config: config(sp.appId), preview: true });
        // THEN the preview updates the inventory and warns with the risk
        assert.deepEqual(changes(afterRogue), ["refresh-changed hr-portal-inventory", "update hr-portal-inventory"]);
        assert.ok(afterRogue.logs.some((l) => l.severity === "warning" && l.message.includes(`key ${rogue} (Symmetric/Sign, 2026-01-01..2027-06-01): older valid Sign key`)));
    });

    it("shows removals that came due in the next preview, and does them in the next up", async () => {
        const { sp, expired } = seedScenario();
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        await harness.run({ config: config(sp.appId, { cleanup: "unmanaged" }) });

        // GIVEN the expired set's grace period has passed
        emu.clock.freeze(new Date("2026-12-02T06:00:00Z"));
        const preview = await harness.run({ config: config(sp.appId, { cleanup: "unmanaged" }), preview: true });

        // THEN the preview updates the inventory and lists each pending removal, removing nothing yet
        assert.ok(changes(preview).includes("update hr-portal-inventory"), JSON.stringify(preview.steps));
        const expiredIds = [...expired.keyCredentials, ...expired.passwordCredentials];
        for (const id of expiredIds) {
            assert.ok(preview.logs.some((l) => l.severity === "info" && l.message.includes(`cleanup will remove `) && l.message.includes(id)), id);
            assert.ok(keyIdsOf(sp.id).includes(id));
        }
        const up = await harness.run({ config: config(sp.appId, { cleanup: "unmanaged" }) });
        assert.deepEqual(outputsOf(up).inventory.removed.map((r) => r.keyId).sort(), expiredIds.sort());
        assert.equal(outputsOf(up).inventory.removed[0].reason, "expired on 2026-11-25, longer ago than the grace period of 7 day(s)");
        assert.deepEqual(changes(await harness.run({ config: config(sp.appId, { cleanup: "unmanaged" }) })), [], "nothing left to do");
    });

    it("removes exactly the listed keyIds, once, and refuses an unknown one by name", async () => {
        const { sp, lingering, expired } = seedScenario();
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        const listed = { cleanup: "none", removeKeyIds: [lingering, expired.passwordCredentials[0]] };

        const run = await harness.run({ config: config(sp.appId, listed) });
        assert.deepEqual(outputsOf(run).inventory.removed.map((r) => [r.keyId, r.reason.split(";")[0]]), [
            [lingering, "listed in removeKeyIds"],
            [expired.passwordCredentials[0], "listed in removeKeyIds"],
        ]);
        // The keyIds stay in config: later runs do not fail on them.
        emu.clock.advance(HOUR);
        const again = await harness.run({ config: config(sp.appId, listed) });
        assert.deepEqual(changes(again), []);

        const unknown = crypto.randomUUID();
        await assert.rejects(
            harness.run({ config: config(sp.appId, { ...listed, removeKeyIds: [...listed.removeKeyIds, unknown] }) }),
            new RegExp(`removeKeyIds: keyId ${unknown} is neither a key nor a password on this object`),
        );
    });
});
