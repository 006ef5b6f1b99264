// The onboarding walk-through, end to end: `npm run inventory -- --emit-config` on a tenant
// whose add-ins already run on unmanaged secrets, its YAML pasted into a stack file with the
// adopted secrets set as secret config, a preview through the engine stand-in (the real program,
// dynamic resources in Pulumi's own provider host), then weekly `pulumi up` runs with the
// add-ins checked every simulated hour, as the sandbox does: no hour may fail while the adopted
// secrets expire and SharePoint moves to the first managed generation.
// Engine: the stand-in, because 120 days of weekly runs with hourly checks is about 35 engine runs;
// the walkthrough's commands themselves (emit-config, config set --secret --path, preview, up) run
// on the real CLI in tests/readme.test.ts ("An add-in in use today").
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { stackFileConfig } from "../engine/stackFile";
import { parseAddIns } from "../program/config";
import { AddInCheck, Emulator } from "../emulator";
import { EngineStack, EXIT } from "../engine/stack";
import { runInventory } from "../tools/inventory";
import { Lab, startLab } from "../tools/lab";

const NOW = Date.parse("2026-11-26T06:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;


describe("onboarding from the tenant report", function () {
    this.timeout(240_000);

    let lab: Lab;
    let emu: Emulator;

    before(async () => {
        lab = await startLab({ client: { retryBaseMs: 1 } });
        emu = lab.emu;
    });

    after(async () => {
        await lab?.close();
    });

    /** The walk-through's state, built in before() and carried from one step to the next. */
    let hr: { id: string; appId: string };
    let expenses: { applicationId: string; appId: string };
    let webs: Map<string, { appId: string; clientSecret: string; secondaryClientSecret: string | null }>;
    let adoptedSignKeys: (string | undefined)[];
    let emitted = "";
    let config: Record<string, string>;
    const secretKeys = ["addin-credentials:adoptedClientSecrets"];
    let stack: EngineStack;

    before(async () => {
        // GIVEN a tenant of ordinary principals and two add-ins on unmanaged secrets their remote webs use:
        // a Legacy one whose secret ends in 40 days, an application-backed one whose secret ends in 400
        emu.clock.freeze(new Date(NOW));
        emu.tenant.seedPopulation({ principals: 300, seed: 9, addInsPerState: 0 });
        const secret = (holderId: string, endDays: number): string => {
            const key = crypto.randomBytes(32).toString("base64");
            const start = new Date(NOW - 700 * DAY).toISOString();
            const end = new Date(NOW + endDays * DAY).toISOString();
            emu.tenant.seedCredentials(holderId, {
                keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric" as const, usage, key, startDateTime: start, endDateTime: end })),
                passwordCredentials: [{ startDateTime: start, endDateTime: end }],
            });
            return key; // ClientSecret = base64 of the key bytes (the 2017 support article's procedure)
        };
        hr = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        expenses = emu.tenant.addApplication({ displayName: "Expense reports" });
        webs = new Map([
            ["hr-portal", { appId: hr.appId, clientSecret: secret(hr.id, 40), secondaryClientSecret: null }],
            ["expense-reports", { appId: expenses.appId, clientSecret: secret(expenses.applicationId, 400), secondaryClientSecret: null }],
        ]);
        adoptedSignKeys = [hr.id, expenses.applicationId].map((id) => emu.tenant.credentials(id).keyCredentials.find((k) => k.usage === "Sign")?.keyId);
        stack = lab.newStack({ stack: "onboarding" });

        // WHEN the operator emits their entries, pastes them into a stack file and runs the printed
        // `pulumi config set --secret --path 'adoptedClientSecrets.<name>' …` for each
        const code = await runInventory(["--emit-config", `${hr.appId},Expense reports`], process.env, (s) => (emitted += s), () => undefined);
        assert.equal(code, 0);
        config = stackFileConfig(`# stacks/Pulumi.onboarding.yaml\nconfig:\n  addin-credentials:addins:\n${emitted}`, "addin-credentials");
        const names = [...emitted.matchAll(/pulumi config set --secret --path 'adoptedClientSecrets\.([a-z0-9-]+)'/g)].map((m) => m[1]);
        config["addin-credentials:adoptedClientSecrets"] = JSON.stringify(Object.fromEntries(names.map((name) => [name, webs.get(name)?.clientSecret])));
    });

    it("emits one adopting entry per add-in, which the program's config parser accepts", () => {
        const entries = JSON.parse(config["addin-credentials:addins"]) as Record<string, unknown>[];
        assert.deepEqual(entries.map((e) => [e.name, e.clientId, e.firstGenerationStart, (e.adoptedKeyIds as string[]).length]), [
            ["hr-portal", hr.appId, "2026-11-26", 3],
            ["expense-reports", expenses.appId, "2026-11-26", 3],
        ]);
        assert.deepEqual(Object.keys(JSON.parse(config["addin-credentials:adoptedClientSecrets"]) as object), ["hr-portal", "expense-reports"]);
        const parsed = parseAddIns(entries, ["hr-portal", "expense-reports"]);
        assert.deepEqual(parsed.map((a) => [a.name, a.adoptedKeyIds?.length]), [["hr-portal", 3], ["expense-reports", 3]]);
    });

    it("previews the stack file on a fresh stack without error", async () => {
        const result = await stack.preview({ config: config, secretKeys });

        assert.equal(result.exitCode, EXIT.success, result.error);
        assert.deepEqual(result.preview.logs.filter((l) => l.severity === "error"), []);
        assert.deepEqual(
            result.preview.steps.filter((s) => s.op === "create" && s.type.endsWith("CredentialGeneration")).map((s) => s.name).sort(),
            ["expense-reports-slot-a", "hr-portal-slot-a"],
        );
        assert.equal(stack.checkpoint.resources.length, 0, "a preview changes no state");
    });

    it("onboards both add-ins without a failed hour over 120 days of weekly runs, previewing cleanly after the first", async () => {
        const failures: string[] = [];
        const activeKeys = new Map<string, Set<string>>([...webs.keys()].map((n) => [n, new Set<string>()]));
        const last = new Map<string, { key: string; check: AddInCheck }>();
        let samples = 0;
        for (let run = NOW; run < NOW + 120 * DAY; run += 7 * DAY) {
            emu.clock.freeze(new Date(run));
            const runConfig = config;
            const up = await stack.up({ config: runConfig, secretKeys });
            assert.equal(up.exitCode, EXIT.success, up.error);
            assert.equal(up.planMismatch, undefined, JSON.stringify(up.planMismatch));
            const result = up.update!;
            if (run === NOW) {
                const preview = await stack.preview({ config: runConfig, secretKeys });
                assert.deepEqual(preview.preview.logs.filter((l) => l.severity === "error"), []);
                assert.deepEqual(preview.preview.steps.filter((s) => s.type.endsWith("CredentialGeneration") && s.op !== "same" && s.op !== "refresh"), []);
            }
            // Deploy the program's outputs to the remote webs.
            const outputs = result.outputs.addins.value as Record<string, { clientSecret: string; secondaryClientSecret?: string }>;
            for (const [name, web] of webs) {
                web.clientSecret = outputs[name].clientSecret;
                web.secondaryClientSecret = outputs[name].secondaryClientSecret ?? null;
            }
            for (let t = run; t < run + 7 * DAY; t += HOUR) {
                emu.clock.freeze(new Date(t));
                for (const [name, web] of webs) {
                    samples++;
                    // The outcome depends only on ACS's active key and the two settings (as in tools/sandboxCore.ts).
                    const key = `${emu.acs.activeSigningKey(web.appId)?.keyId}|${web.clientSecret}|${web.secondaryClientSecret}`;
                    let check = last.get(name)?.key === key ? last.get(name)?.check : undefined;
                    if (check === undefined) {
                        check = await emu.checkAddIn(web.appId, { clientSecret: web.clientSecret, secondaryClientSecret: web.secondaryClientSecret });
                        last.set(name, { key, check });
                    }
                    if (check.activeKeyId !== null) activeKeys.get(name)?.add(check.activeKeyId);
                    if (!check.contextTokenValid || !check.accessTokenOk) failures.push(`${name} ${new Date(t).toISOString()}: ${check.reason}`);
                }
            }
        }

        assert.equal(samples, 2 * 18 * 7 * 24);
        assert.deepEqual(failures, []);
        // SharePoint signed with the adopted HR secret, then moved to generation 0 when it expired; the expense
        // reports add-in still signs with its adopted secret, valid for another 280 days.
        assert.deepEqual([...(activeKeys.get("hr-portal") ?? [])].map((k) => (k === adoptedSignKeys[0] ? "adopted" : "managed")), ["adopted", "managed"]);
        assert.deepEqual([...(activeKeys.get("expense-reports") ?? [])], [adoptedSignKeys[1]]);
        // The expired adopted HR secret was removed after its grace period; the other add-in keeps its own.
        const hrNow = emu.tenant.credentials(hr.id);
        assert.equal(hrNow.keyCredentials.some((k) => k.keyId === adoptedSignKeys[0]), false);
        assert.deepEqual(hrNow.keyCredentials.map((k) => k.displayName?.replace(/\/\d{4}-\d{2}-\d{2}$/, "")), [
            "addin-credentials/hr-portal/gen-0", "addin-credentials/hr-portal/gen-0",
        ]);
        assert.equal(emu.tenant.credentials(expenses.applicationId).keyCredentials.some((k) => k.keyId === adoptedSignKeys[1]), true);
    });
});
