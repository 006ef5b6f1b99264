// The days that matter, each as the deploy pipeline runs it (`pulumi up --yes`: a preview, then
// the update, in fresh provider processes), through the engine stand-in, Pulumi's own dynamic
// provider host and the emulator: the preview must succeed, plan exactly what the update does,
// and the update must converge (the drift job that follows is green).
// Engine: the stand-in, because each day here also checks that the update did exactly what its
// preview planned (EngineStack.up's planMismatch; the CLI's up does not report its preview's plan).
// Every one of these days runs on the real CLI as well: tests/cli/lifecycle.test.ts (the rotation
// day, the slot replacement, an emergency rotation with revokePrevious, the drift repair, an
// add-in taken out, decommission), tests/cli/differential.test.ts (the first preview and up, a run
// after a failed update), tests/cli/interrupted.test.ts (a replaced generation pending deletion)
// and tests/cli/previews.test.ts (the risk and onboarding refusals, the rotation without revoke).
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { RunResult } from "../engine/deployment";
import { EngineStack, EXIT } from "../engine/stack";
import { Lab, startLab } from "../tools/lab";

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-26T06:00:00Z");
/** Days between generations with the defaults: ceil((1095 + 7) / 2). */
const INTERVAL = 551;

describe("pulumi up, day by day", function () {
    this.timeout(120_000);
    let lab: Lab;
    let stack: EngineStack;
    let sp: { id: string; appId: string };

    before(async () => {
        lab = await startLab();
    });

    after(async () => {
        await lab?.close();
    });

    beforeEach(() => {
        lab.emu.reset();
        sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        stack = lab.newStack();
    });

    function config(extra: Record<string, unknown> = {}): Record<string, string> {
        return {
            "addin-credentials:addins": JSON.stringify([{ name: "hr-portal", clientId: sp.appId, firstGenerationStart: new Date(T0).toISOString(), ...extra }]),
        };
    }

    /** The deploy job on a day: it must succeed with the plan the preview showed, and converge. */
    async function day(atMs: number, extra: Record<string, unknown> = {}): Promise<{ preview: RunResult; update: RunResult }> {
        lab.emu.clock.freeze(new Date(atMs));
        const up = await stack.up({ config: config(extra) });
        assert.equal(up.exitCode, EXIT.success, up.error);
        assert.equal(up.planMismatch, undefined, JSON.stringify(up.planMismatch));
        const drift = await stack.preview({ config: config(extra), expectNoChanges: true });
        assert.equal(drift.exitCode, EXIT.success, `not converged: ${drift.error}`);
        return { preview: up.preview, update: up.update as RunResult };
    }

    const changes = (run: RunResult) => run.steps.filter((s) => s.logical && !s.type.endsWith("AddInCredentialSet")).map((s) => `${s.op} ${s.name}`).sort();
    const generationsOnObject = () => [...new Set(lab.emu.tenant.credentials(sp.id).keyCredentials.map((k) => k.displayName))].sort();

    it("an empty stack: the first preview succeeds (unknown keyIds reach the inventory's Check) and the update creates generation 0", async () => {
        const { preview, update } = await day(T0);

        assert.deepEqual(changes(preview), ["create hr-portal-inventory", "create hr-portal-slot-a", "create hr-portal-slot-a-bytes"]);
        assert.deepEqual(changes(update), changes(preview));
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-0/2026-11-26"]);
    });

    it("the day the second generation is created", async () => {
        await day(T0);
        const { preview } = await day(T0 + INTERVAL * DAY);

        assert.deepEqual(changes(preview), ["create hr-portal-slot-b", "create hr-portal-slot-b-bytes", "update hr-portal-inventory"]);
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-0/2026-11-26", "addin-credentials/hr-portal/gen-1/2028-05-30"]);
    });

    it("a slot replacement day: generation 2 replaces slot a, and the inventory removes generation 0 after it exists", async () => {
        await day(T0);
        await day(T0 + INTERVAL * DAY);
        const { preview, update } = await day(T0 + 2 * INTERVAL * DAY);

        assert.deepEqual(changes(preview), ["replace hr-portal-slot-a", "replace hr-portal-slot-a-bytes", "update hr-portal-inventory"]);
        assert.ok(preview.logs.some((l) => l.message.includes("this update removes key") && l.message.includes("retired: generation 0 expired")), JSON.stringify(preview.logs));
        assert.deepEqual(update.steps.filter((s) => s.op === "delete-replaced" && s.type.endsWith("CredentialGeneration")).map((s) => [s.name, s.retain]), [["hr-portal-slot-a", true]]);
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-1/2028-05-30", "addin-credentials/hr-portal/gen-2/2029-12-02"]);
    });

    for (const revokePrevious of [false, true]) {
        it(`an emergency rotation ${revokePrevious ? "with" : "without"} revokePrevious`, async () => {
            await day(T0);
            const at = T0 + 100 * DAY;
            const rotation = { manualRotations: [{ at: new Date(at).toISOString(), revokePrevious }] };

            const { preview, update } = await day(at, rotation);

            // With revokePrevious, generation 0 is no longer declared: its slot is deleted (retained
            // at the provider: the inventory removes the entries, after generation 1 exists).
            assert.deepEqual(changes(preview), [
                ...(revokePrevious ? ["delete hr-portal-slot-a", "delete hr-portal-slot-a-bytes"] : []),
                "create hr-portal-slot-b", "create hr-portal-slot-b-bytes", "update hr-portal-inventory",
            ].sort());
            const gen1 = "addin-credentials/hr-portal/gen-1/2027-03-06";
            if (revokePrevious) {
                // The revoked generation is removed by the inventory, which says why and never
                // calls it a risk "left by an earlier run".
                assert.deepEqual(generationsOnObject(), [gen1]);
                assert.ok(preview.logs.some((l) => l.message.includes("retired: generation 0 was revoked by manualRotations[0]")), JSON.stringify(preview.logs));
                assert.deepEqual([...preview.logs, ...update.logs].filter((l) => /fail validation|left by an earlier run/.test(l.message)), []);
            } else {
                assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-0/2026-11-26", gen1]);
            }
        });
    }

    it("a drift repair after a key was deleted by hand: an update in place, same secret, nothing removed first", async () => {
        const first = await day(T0);
        const holder = lab.emu.tenant.get(sp.id);
        assert.ok(holder);
        const sign = holder.keyCredentials.find((k) => k.usage === "Sign");
        holder.keyCredentials = holder.keyCredentials.filter((k) => k !== sign);

        const { preview, update } = await day(T0 + DAY);

        assert.deepEqual(changes(preview), ["update hr-portal-slot-a"]);
        assert.equal(lab.emu.tenant.credentials(sp.id).keyCredentials.find((k) => k.usage === "Sign")?.keyId, sign?.keyId, "back under its own keyId");
        const secret = (run: RunResult) => (run.outputs.addins.value as Record<string, { clientSecret: string }>)["hr-portal"].clientSecret;
        assert.equal(secret(update), secret(first.update));
    });

    it("a run after a failed update: the replaced generation still pending deletion is finished, and the plan holds", async () => {
        await day(T0);
        await day(T0 + INTERVAL * DAY);
        // GIVEN the slot replacement day's update fails after the replacement, in the inventory's
        // cleanup (every removePassword answers 503)
        const replaceDay = T0 + 2 * INTERVAL * DAY;
        lab.emu.clock.freeze(new Date(replaceDay));
        lab.emu.faults.serverError({ status: 503, times: 1000, match: { operation: "servicePrincipals.removePassword" } });
        const failed = await stack.up({ config: config() });
        assert.equal(failed.exitCode, EXIT.error);
        assert.match(failed.error ?? "", /removePassword/);
        assert.ok(lab.emu.requests.some((r) => r.operation === "servicePrincipals.removePassword" && r.status === 503), "the fault fired");
        assert.deepEqual(stack.checkpoint.resources.filter((r) => r.name === "hr-portal-slot-a").map((r) => r.delete), [true, false]);
        lab.emu.faults.reset();

        // WHEN the next day's pipeline runs
        const { update } = await day(replaceDay + DAY);

        // THEN the old slot is deleted at the end (retained at the provider) and generation 0 is gone
        assert.deepEqual(update.steps.filter((s) => s.op === "delete-replaced" && s.type.endsWith("CredentialGeneration")).map((s) => [s.name, s.retain]), [["hr-portal-slot-a", true]]);
        assert.deepEqual(stack.checkpoint.resources.filter((r) => r.name === "hr-portal-slot-a").map((r) => r.delete), [false]);
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-1/2028-05-30", "addin-credentials/hr-portal/gen-2/2029-12-02"]);
    });

    it("a preview of a stack with an older unmanaged valid Sign key prints the risk, and refuses to deliver while SharePoint signs with it", async () => {
        const rogue = lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [{ type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" }],
        }).keyCredentials[0];
        lab.emu.clock.freeze(new Date(T0));

        const preview = await stack.preview({ config: config() });

        assert.equal(preview.exitCode, EXIT.error);
        assert.match(preview.error ?? "", new RegExp(`SharePoint signs with key ${rogue} .*or set acceptOutage: true to go on anyway\\.`));
        assert.ok(preview.preview.logs.some((l) => l.severity === "warning" &&
            l.message.trim() === `hr-portal: key ${rogue} (Symmetric/Sign, 2026-01-01..2027-06-01): older valid Sign key the app does not hold: SharePoint signs with the oldest valid key, ` +
            "so it will sign with this one until 2027-06-01 and the add-in's context tokens will fail validation"), JSON.stringify(preview.preview.logs));
    });
    it("onboarding an add-in that works today without adopting its secret is refused in the preview, with the fix, and nothing is deployed", async () => {
        const key = crypto.randomBytes(32).toString("base64");
        const current = lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric" as const, usage, key, startDateTime: "2025-01-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" })),
        });
        lab.emu.clock.freeze(new Date(T0));

        const up = await stack.up({ config: config() });

        assert.equal(up.exitCode, EXIT.error);
        assert.equal(up.update, undefined, "the update never ran");
        assert.match(up.error ?? "", new RegExp(`SharePoint signs with key ${current.keyCredentials[0]} \\(Symmetric/Sign, 2025-01-01\\.\\.2027-06-01, unmanaged-valid\\), which the remote web would not hold after this update`));
        assert.match(up.error ?? "", /adopt it \(adoptedKeyIds, adoptedSecretEndDateTime and adoptedClientSecrets\.hr-portal; npm run inventory -- --emit-config <client id> prints them\)/);
        assert.deepEqual(stack.checkpoint.resources, []);
        assert.equal(lab.emu.tenant.credentials(sp.id).keyCredentials.length, 2, "the object is untouched");
    });

    it("taking an add-in out of the stack keeps its credentials: the preview shows the deletes as retained", async () => {
        await day(T0);
        const other = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "CRM" });
        const onlyCrm = { "addin-credentials:addins": JSON.stringify([{ name: "crm", clientId: other.appId, firstGenerationStart: new Date(T0).toISOString() }]) };
        lab.emu.clock.freeze(new Date(T0 + DAY));

        const up = await stack.up({ config: onlyCrm });

        assert.equal(up.exitCode, EXIT.success, up.error);
        const deletes = (run: RunResult) => run.steps.filter((s) => s.op === "delete" && s.name.startsWith("hr-portal") && s.type.endsWith("CredentialGeneration")).map((s) => [s.name, s.retain]);
        assert.deepEqual(deletes(up.preview), [["hr-portal-slot-a", true]]);
        assert.deepEqual(deletes(up.update as RunResult), [["hr-portal-slot-a", true]]);
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-0/2026-11-26"], "still there");
    });

    it("decommission removes every entry of the set, after saying so in the preview, and delivers nothing", async () => {
        await day(T0);

        const { preview, update } = await day(T0 + DAY, { decommission: true });

        assert.ok(preview.logs.some((l) => l.severity === "warning" && l.message.includes("hr-portal: decommission is set")), JSON.stringify(preview.logs));
        assert.equal(preview.logs.filter((l) => l.message.includes("this update removes") && l.message.includes("decommission is set: the add-in is taken out of service")).length, 3);
        assert.deepEqual(generationsOnObject(), []);
        assert.equal(lab.emu.tenant.credentials(sp.id).passwordCredentials.length, 0);
        const out = (update.outputs.addins.value as Record<string, { clientSecret?: string }>)["hr-portal"];
        assert.equal(out.clientSecret ?? undefined, undefined, "no secret is delivered");
    });
});
