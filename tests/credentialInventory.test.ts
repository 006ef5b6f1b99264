// CredentialInventory as `pulumi up` runs it: the real program (index.ts) through the engine
// stand-in (preview, then update), dynamic resources in Pulumi's own dynamic provider host, Graph
// and ACS emulated in-process. The outage of the 2017 support article is replayed: the app's secret expired yesterday
// and an older, still valid Sign key it does not hold lingers on the principal.
// Engine: the stand-in, because what these cases check is the inventory provider's Graph work and
// the component's preview inspection (the same code on either engine), over 2 to 4 runs each; the
// engine's part for these resources (refresh, Check and Diff in a preview, update in place, the
// order of steps) is compared with the real CLI's in tests/cli/differential.test.ts.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { providerShim } from "../components/providerShim";
import type { InventoryReport } from "../components/addInCredentialSet";
import { DirectoryObject } from "../emulator/model";
import { RunResult, Step } from "../engine/deployment";
import { serializeProvider } from "../engine/providerHost";
import { EngineStack, EXIT, UpResult } from "../engine/stack";
import { Lab, startLab } from "../tools/lab";

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

    let lab: Lab;
    let stack: EngineStack;

    before(async () => {
        lab = await startLab();
    });

    beforeEach(() => {
        lab.emu.reset();
        lab.emu.clock.freeze(T0);
        stack = lab.newStack();
    });

    after(async () => {
        await lab?.close();
    });

    // ---- helpers ----------------------------------------------------------------------------

    /** The 2017 article's principal: expired set the app holds + lingering older Sign key; and a foreign principal. */
    function seedScenario() {
        const emu = lab.emu;
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
        return lab.emu.tenant.get(objectId) as DirectoryObject;
    }

    function keyIdsOf(objectId: string): string[] {
        const o = holder(objectId);
        return [...o.keyCredentials, ...o.passwordCredentials].map((e) => e.keyId).sort();
    }

    function config(clientId: string, extra: Record<string, unknown> = {}): Record<string, string> {
        return {
            "addin-credentials:addins": JSON.stringify([{ name: "hr-portal", clientId, firstGenerationStart: T0.toISOString(), ...extra }]),
        };
    }

    function outputsOf(run: RunResult): AddInOutputs {
        return (run.outputs.addins.value as Record<string, AddInOutputs>)["hr-portal"];
    }

    const changes = (run: RunResult) => run.steps.filter((s: Step) => s.op !== "same" && s.op !== "refresh").map((s) => `${s.op} ${s.name}`);

    /** One pulumi up that must succeed, with the preview planning what the update does. */
    async function up(cfg: Record<string, string>, secretKeys: string[] = []): Promise<UpResult & { update: RunResult }> {
        const result = await stack.up({ config: cfg, secretKeys });
        assert.equal(result.exitCode, EXIT.success, result.error);
        assert.equal(result.planMismatch, undefined, JSON.stringify(result.planMismatch));
        return result as UpResult & { update: RunResult };
    }

    // ---- tests ------------------------------------------------------------------------------

    it("stores a small provider text that loads the implementation from the installed package", async () => {
        const text = await serializeProvider(providerShim("CredentialInventory"));

        assert.match(text, /require\("addin-credentials\/dynamic-providers"\)/);
        assert.doesNotMatch(text, /classifyCredentials/, "no copy of the implementation");
        assert.ok(text.length < 5000, `${text.length} bytes`);
    });

    it('cleanup "unmanaged": removes the lingering Sign key after the new generation exists, reports it, and the add-in works once the new key propagated', async () => {
        // GIVEN the 2017 article's principal: the add-in is down
        const { sp, appKey, expired, lingering, foreign } = seedScenario();
        const foreignBefore = keyIdsOf(foreign.id);
        const down = await lab.emu.checkAddIn(sp.appId, { clientSecret: appKey });
        assert.equal(down.contextTokenValid && down.accessTokenOk, false);

        // WHEN one pulumi up runs with cleanup "unmanaged"
        const result = await up(config(sp.appId, { cleanup: "unmanaged" }));
        const run = result.update;

        // THEN the preview said what the update would remove, the update removed it and reported it
        const removal = `key ${lingering} (Symmetric/Sign, 2023-06-01..2027-03-01): unmanaged, valid until 2027-03-01, and cleanup is "unmanaged"; ${LINGERING_RISK}`;
        assert.ok(result.preview.logs.some((l) => l.severity === "info" && l.message.trim() === `hr-portal: this update removes ${removal}`), JSON.stringify(result.preview.logs));
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
            [`info: hr-portal: removed ${removal}`],
        );
        assert.deepEqual(keyIdsOf(foreign.id), foreignBefore, "another object's credentials are untouched");
        assert.ok(run.steps.findIndex((s) => s.name === "hr-portal-slot-a" && s.op === "create") < run.steps.findIndex((s) => s.name === "hr-portal-inventory" && s.op === "create"), "cleanup after the generation");

        // AND once the new key has propagated (24 h), SharePoint signs with it and the app validates
        const secrets = { clientSecret: out.clientSecret ?? "", secondaryClientSecret: out.secondaryClientSecret };
        lab.emu.clock.advance(24 * HOUR + 1000);
        const check = await lab.emu.checkAddIn(sp.appId, secrets);
        assert.equal(check.reason, null);
        assert.ok(check.contextTokenValid && check.accessTokenOk);
    });

    it('cleanup "expired" (default): the preview refuses, because SharePoint would go on signing with the lingering key the app does not hold', async () => {
        const { sp, lingering } = seedScenario();

        const refused = await stack.up({ config: config(sp.appId) });

        assert.equal(refused.exitCode, EXIT.error);
        assert.equal(refused.update, undefined);
        assert.match(refused.error ?? "", new RegExp(`hr-portal: the inventory's cleanup would be refused, so the update would fail\\. SharePoint signs with key ${lingering} ` +
            "\\(Symmetric/Sign, 2023-06-01\\.\\.2027-03-01, unmanaged-valid\\), which the remote web would not hold after this update"));
        assert.match(refused.error ?? "", new RegExp(`remove it \\(removeKeyIds: \\[${lingering}\\]\\); or set acceptOutage: true to go on anyway\\.`));
        assert.deepEqual(stack.checkpoint.resources, [], "nothing was deployed");
    });

    it('cleanup "expired" with acceptOutage: keeps the lingering Sign key, warns with the risk in the preview and the update, and the add-in stays broken', async () => {
        const { sp, lingering } = seedScenario();

        const result = await up(config(sp.appId, { acceptOutage: true }));

        const out = outputsOf(result.update);
        assert.ok(keyIdsOf(sp.id).includes(lingering));
        assert.deepEqual(out.inventory.removed, []);
        const risk = `key ${lingering} (Symmetric/Sign, 2023-06-01..2027-03-01): ${LINGERING_RISK}`;
        assert.deepEqual(out.inventory.risks, [risk]);
        for (const run of [result.preview, result.update]) {
            assert.ok(run.logs.some((l) => l.severity === "warning" && l.message.trim() === `hr-portal: ${risk}`), `${run.kind}: ${JSON.stringify(run.logs)}`);
        }
        assert.equal(out.inventory.entries.find((e) => e.keyId === lingering)?.classification, "unmanaged-valid");

        lab.emu.clock.advance(24 * HOUR + 1000);
        const check = await lab.emu.checkAddIn(sp.appId, { clientSecret: out.clientSecret ?? "", secondaryClientSecret: out.secondaryClientSecret });
        assert.equal(check.contextTokenValid, false, "SharePoint still signs with the lingering key");
    });

    it("refuses cleanup of the adopted secret in the preview, with a clear error, and removes nothing", async () => {
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const key = crypto.randomBytes(32).toString("base64");
        const adopted = lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric", usage, key, startDateTime: "2024-12-01T00:00:00Z", endDateTime: "2027-12-01T00:00:00Z" })),
        });
        const cfg = {
            ...config(sp.appId, { cleanup: "unmanaged", adoptedSecretEndDateTime: "2027-12-01T00:00:00Z", adoptedKeyIds: adopted.keyCredentials }),
            "addin-credentials:adoptedClientSecrets": JSON.stringify({ "hr-portal": key }),
        };

        const result = await stack.up({ config: cfg, secretKeys: ["addin-credentials:adoptedClientSecrets"] });

        assert.equal(result.exitCode, EXIT.error);
        assert.equal(result.update, undefined, "the preview failed, so the update did not run");
        assert.match(result.error ?? "", /hr-portal: the inventory's cleanup would be refused, so the update would fail\. cleanup would remove key \S+ \(Symmetric\/(Sign|Verify)\), key \S+ \(Symmetric\/(Sign|Verify)\): the adopted secret the app uses today \(ends 2027-12-01\)/);
        assert.match(result.error ?? "", /set forceCleanup: true/);
        assert.doesNotMatch(result.error ?? "", new RegExp(key.replace(/[+/=]/g, ".")));
        assert.equal(holder(sp.id).keyCredentials.filter((k) => k.displayName === null).length, 2, "nothing removed");

        // The provider refuses too, when an update runs without a preview (pulumi up --skip-preview).
        const update = await stack.update({ config: cfg, secretKeys: ["addin-credentials:adoptedClientSecrets"] });
        assert.equal(update.ok, false);
        assert.match(update.error ?? "", /cleanup refused, nothing was removed\. cleanup would remove key/);
        assert.equal(holder(sp.id).keyCredentials.filter((k) => k.displayName === null).length, 2, "nothing removed");
    });

    it("removes a duplicate password that a late-applied create left with the generation's name, by repairing the generation", async () => {
        // GIVEN a generation in place, and a second password with its display name (an addPassword
        // that timed out, was retried, and then applied late by Graph)
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        await up(config(sp.appId));
        const own = holder(sp.id).passwordCredentials[0];
        const duplicate = lab.emu.tenant.seedCredentials(sp.id, {
            passwordCredentials: [{ displayName: own.displayName, startDateTime: own.startDateTime.toISOString(), endDateTime: own.endDateTime.toISOString() }],
        }).passwordCredentials[0];

        // WHEN the next pulumi up runs
        const result = await up(config(sp.appId));

        // THEN the preview said so, the generation was updated in place, and only the duplicate went
        assert.ok(result.preview.logs.some((l) => l.message.trim() === `hr-portal: generation "${own.displayName}" has 2 key(s) and 2 password(s); its update removes the ones it did not create`), JSON.stringify(result.preview.logs));
        assert.deepEqual(changes(result.update), ["update hr-portal-slot-a"]);
        assert.deepEqual(holder(sp.id).passwordCredentials.map((p) => p.keyId), [own.keyId]);
        assert.ok(!holder(sp.id).passwordCredentials.some((p) => p.keyId === duplicate));
        assert.equal(holder(sp.id).keyCredentials.length, 2);
    });

    it("has no perpetual diff: a second up with the same clock changes nothing, and the drift job is green", async () => {
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const first = await up(config(sp.appId));
        assert.deepEqual(changes(first.update).filter((c) => !c.includes("AddInCredentialSet")).sort(), ["create hr-portal", "create hr-portal-inventory", "create hr-portal-slot-a", "create hr-portal-slot-a-bytes"]);

        const second = await up(config(sp.appId));
        const drift = await stack.preview({ config: config(sp.appId), expectNoChanges: true });

        assert.deepEqual(changes(second.update), []);
        assert.equal(drift.exitCode, EXIT.success, drift.error);
        assert.deepEqual(second.update.logs.filter((l) => l.severity === "warning"), []);
    });

    it("repairs a managed entry deleted out of band in place, and reports a new risky unmanaged key in the next preview (which fails)", async () => {
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const first = await up(config(sp.appId));
        lab.emu.clock.advance(HOUR);

        // GIVEN someone removes the managed password by hand
        const o = holder(sp.id);
        const keysBefore = o.keyCredentials.map((k) => k.keyId).sort();
        o.passwordCredentials = o.passwordCredentials.filter((p) => !p.displayName?.startsWith("addin-credentials/"));
        const drift = await stack.preview({ config: config(sp.appId), expectNoChanges: true });
        // THEN the drift job is red and plans an in-place repair of the generation (no replacement)
        assert.equal(drift.exitCode, EXIT.noChangesExpected);
        assert.deepEqual(changes(drift.preview), ["update hr-portal-slot-a"]);
        const repaired = await up(config(sp.appId));
        assert.equal(holder(sp.id).passwordCredentials.filter((p) => p.displayName?.startsWith("addin-credentials/hr-portal/gen-0/")).length, 1, "the password is back");
        assert.deepEqual(holder(sp.id).keyCredentials.map((k) => k.keyId).sort(), keysBefore, "the keys were never removed");
        assert.equal(outputsOf(repaired.update).clientSecret, outputsOf(first.update).clientSecret, "the secret value did not change");

        // GIVEN someone adds an older valid Sign key the app does not hold
        const rogue = lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [{ type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" }],
        }).keyCredentials[0];
        const afterRogue = await stack.preview({ config: config(sp.appId) });
        // THEN the preview warns with the risk and fails: SharePoint signs with it now
        assert.ok(afterRogue.preview.logs.some((l) => l.severity === "warning" && l.message.includes(`key ${rogue} (Symmetric/Sign, 2026-01-01..2027-06-01): older valid Sign key`)));
        assert.equal(afterRogue.exitCode, EXIT.error);
        assert.match(afterRogue.error ?? "", new RegExp(`SharePoint signs with key ${rogue}`));
    });

    it("shows removals that came due in the next preview, and does them in the next up", async () => {
        const { sp, expired } = seedScenario();
        await up(config(sp.appId, { cleanup: "unmanaged" }));

        // GIVEN the expired set's grace period has passed
        lab.emu.clock.freeze(new Date("2026-12-02T06:00:00Z"));
        const preview = await stack.preview({ config: config(sp.appId, { cleanup: "unmanaged" }) });

        // THEN the preview updates the inventory and lists each pending removal, removing nothing yet
        assert.ok(changes(preview.preview).includes("update hr-portal-inventory"), JSON.stringify(preview.preview.steps));
        const expiredIds = [...expired.keyCredentials, ...expired.passwordCredentials];
        for (const id of expiredIds) {
            assert.ok(preview.preview.logs.some((l) => l.severity === "info" && l.message.includes("this update removes ") && l.message.includes(id)), id);
            assert.ok(keyIdsOf(sp.id).includes(id));
        }
        const result = await up(config(sp.appId, { cleanup: "unmanaged" }));
        assert.deepEqual(outputsOf(result.update).inventory.removed.map((r) => r.keyId).sort(), expiredIds.sort());
        assert.equal(outputsOf(result.update).inventory.removed[0].reason, "expired on 2026-11-25, longer ago than the grace period of 7 day(s)");
        assert.deepEqual(changes((await up(config(sp.appId, { cleanup: "unmanaged" }))).update), [], "nothing left to do");
    });

    it("removes exactly the listed keyIds, once, and names in the preview one that is on no entry", async () => {
        const { sp, lingering, expired } = seedScenario();
        const listed = { cleanup: "none", removeKeyIds: [lingering, expired.passwordCredentials[0]] };

        const result = await up(config(sp.appId, listed));
        assert.deepEqual(outputsOf(result.update).inventory.removed.map((r) => [r.keyId, r.reason.split(";")[0]]), [
            [lingering, "listed in removeKeyIds"],
            [expired.passwordCredentials[0], "listed in removeKeyIds"],
        ]);
        // The keyIds stay in config: later runs do not fail on them.
        lab.emu.clock.advance(HOUR);
        const again = await up(config(sp.appId, listed));
        assert.deepEqual(changes(again.update), []);

        // A keyId on no entry (removed earlier, or mistyped) changes nothing; the preview says so.
        const unknown = crypto.randomUUID();
        const noted = await up(config(sp.appId, { ...listed, removeKeyIds: [...listed.removeKeyIds, unknown] }));
        assert.ok(noted.preview.logs.some((l) => l.severity === "warning" && l.message.trim() ===
            `hr-portal: removeKeyIds: keyId ${unknown} is neither a key nor a password on this object: removed earlier, or mistyped (npm run inventory lists the keyIds).`), JSON.stringify(noted.preview.logs));
    });
});
