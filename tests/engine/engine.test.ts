// The engine stand-in (engine/) tested against the rules it models (docs/ENGINE.md), one rule per
// test, with a program whose resources each test states (programs/specProgram.ts) and a dynamic
// provider that records every call it serves, served by Pulumi's own dynamic provider host.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineStack, EXIT, freshProcesses, HostSource, recycledProcess } from "../../engine/stack";
import { Step } from "../../engine/deployment";
import { UNKNOWN } from "../../engine/wire";
import type { SpecResource } from "./programs/specProgram";

const PROGRAM = path.join(__dirname, "programs", "specProgram.ts");
const THING = "pulumi-nodejs:dynamic/engine-test:Thing";
const urnOf = (name: string) => `urn:pulumi:dev::project::${THING}::${name}`;

interface Call {
    method: string;
    label: string;
    version: string;
    pid: number;
    inflight?: number;
    news?: Record<string, unknown>;
    generation: number;
}

describe("engine stand-in", function () {
    this.timeout(60_000);

    let dir: string;
    let hosts: HostSource;
    let stack: EngineStack;
    const logFile = () => path.join(dir, "calls.jsonl");
    const worldFile = () => path.join(dir, "world.json");

    const calls = (): Call[] =>
        fs.existsSync(logFile()) ? fs.readFileSync(logFile(), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Call) : [];
    const methods = (label?: string) => calls().filter((c) => label === undefined || c.label === label).map((c) => `${c.method} ${c.label}`);
    const clearCalls = () => fs.rmSync(logFile(), { force: true });
    const config = (spec: SpecResource[]) => ({ config: { "engine-test:spec": JSON.stringify(spec) } });
    const ops = (steps: readonly Step[]) => steps.filter((s) => s.op !== "refresh").map((s) => `${s.op} ${s.name}`);
    const world = () => (fs.existsSync(worldFile()) ? (JSON.parse(fs.readFileSync(worldFile(), "utf8")) as Record<string, boolean>) : {});
    const forget = (label: string) => {
        const w = world();
        for (const id of Object.keys(w).filter((k) => k.startsWith(`${label}-`))) delete w[id];
        fs.writeFileSync(worldFile(), JSON.stringify(w));
    };

    function newStack(source: HostSource, options: { parallel?: number; refresh?: boolean } = {}): EngineStack {
        return new EngineStack({ programPath: PROGRAM, hosts: source, refresh: options.refresh ?? true, parallel: options.parallel });
    }

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-test-"));
        hosts = freshProcesses({ env: { ENGINE_TEST_LOG: logFile(), ENGINE_TEST_WORLD: worldFile() } });
        stack = newStack(hosts);
    });

    afterEach(async () => {
        await hosts.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("preview", () => {
        it("answers a dynamic create with the checked inputs, without calling the provider: output-only properties and the id are unknown", async () => {
            const result = await stack.preview(config([{ name: "a", inputs: { value: "x" } }]));

            assert.equal(result.exitCode, EXIT.success, result.error);
            assert.deepEqual(ops(result.preview.steps), ["create a"]);
            assert.deepEqual(methods(), ["check a"], "a preview never calls Create on the dynamic provider");
            const out = result.preview.outputs.outputs.value as Record<string, unknown>;
            assert.equal(out.a, UNKNOWN, "generated is output-only: unknown");
            assert.equal(out.aId, UNKNOWN, "the id of a created resource is unknown in a preview");
            assert.equal(out.aValue, "x", "an output named like an input echoes the checked input");
            assert.equal(result.preview.outputs.outputs.known, false);
            assert.deepEqual(stack.checkpoint.resources, [], "a preview persists nothing");
        });

        it("sends unknown inputs to Check and Diff as the SDK's sentinel string", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" } }, { name: "b", valueFrom: "a" }]));
            clearCalls();

            // a is replaced, so b's value (from a's output-only property) is unknown
            await stack.preview(config([{ name: "a", inputs: { value: "2", diff: "replace" } }, { name: "b", valueFrom: "a" }]));

            // (the refresh's own Diff, before the program, sees the old, known value)
            const program = calls().slice(calls().findIndex((c) => c.method === "check"));
            const bCheck = program.find((c) => c.method === "check" && c.label === "b");
            const bDiff = program.find((c) => c.method === "diff" && c.label === "b");
            assert.equal(bCheck?.news?.value, UNKNOWN);
            assert.equal(bDiff?.news?.value, UNKNOWN);
        });

        it("answers a dynamic update with the new inputs, not the old outputs", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" } }]));

            const result = await stack.preview(config([{ name: "a", inputs: { value: "2" } }]));

            assert.deepEqual(ops(result.preview.steps), ["update a"]);
            const out = result.preview.outputs.outputs.value as Record<string, unknown>;
            assert.equal(out.a, UNKNOWN, "generated is not carried over by an update in a preview");
            assert.notEqual(out.aId, UNKNOWN, "an update keeps the old id, even in a preview");
            assert.equal(out.aValue, "2");
        });

        it("answers a same step with the old outputs, known in a preview", async () => {
            const first = await stack.update(config([{ name: "a", inputs: { value: "1" } }]));

            const result = await stack.preview(config([{ name: "a", inputs: { value: "1" } }]));

            assert.deepEqual(ops(result.preview.steps), ["same a"]);
            assert.equal((result.preview.outputs.outputs.value as Record<string, unknown>).a, (first.outputs.outputs.value as Record<string, unknown>).a);
            assert.equal(result.preview.outputs.outputs.known, true);
        });

        it("fails when Check reports a failure, naming the property and the reason", async () => {
            const result = await stack.preview(config([{ name: "a", inputs: { value: "1", failCheck: true } }]));

            assert.equal(result.exitCode, EXIT.error);
            assert.match(result.error ?? "", /Thing resource 'a': property value has a problem: failCheck is set/);
            assert.match(result.error ?? "", /resource urn:pulumi:dev::project::pulumi-nodejs:dynamic\/engine-test:Thing::a is invalid/);
        });
    });

    describe("diff", () => {
        it("compares old and new inputs itself when the provider's diff gives no answer (DIFF_UNKNOWN)", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1", diff: "unknown" } }]));

            const same = await stack.preview(config([{ name: "a", inputs: { value: "1", diff: "unknown" } }]));
            const changed = await stack.preview(config([{ name: "a", inputs: { value: "2", diff: "unknown" } }]));

            assert.deepEqual(ops(same.preview.steps), ["same a"]);
            assert.deepEqual(ops(changed.preview.steps), ["update a"]);
        });

        it("with DIFF_UNKNOWN, a change of the provider code alone (__provider) is an update", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1", diff: "unknown" } }]));

            const result = await stack.preview(config([{ name: "a", inputs: { value: "1", diff: "unknown" }, variant: "v2" }]));

            assert.deepEqual(ops(result.preview.steps), ["update a"]);
        });

        it("replaces create-before-delete by default: the old resource is deleted after every other step", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1", diff: "replace" } }]));
            clearCalls();

            const result = await stack.update(config([{ name: "a", inputs: { value: "2", diff: "replace" } }, { name: "z", inputs: { value: "new" }, dependsOn: ["a"] }]));

            assert.ok(result.ok, result.error);
            assert.deepEqual(ops(result.steps), ["create-replacement a", "replace a", "create z", "delete-replaced a"]);
            assert.deepEqual(methods().filter((m) => !m.startsWith("check") && !m.startsWith("diff") && !m.startsWith("read")), [
                "create:start a", "create a", "create:start z", "create z", "delete a",
            ]);
        });

        it("honours the provider's deleteBeforeReplace: the old resource is deleted before its replacement is created", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1", diff: "dbr" } }]));
            clearCalls();

            const result = await stack.update(config([{ name: "a", inputs: { value: "2", diff: "dbr" } }]));

            assert.deepEqual(ops(result.steps), ["delete-replaced a", "replace a", "create-replacement a"]);
            assert.deepEqual(methods("a").filter((m) => /^(create|delete) /.test(m)), ["delete a", "create a"]);
        });

        it("lets the deleteBeforeReplace resource option override the provider's answer", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1", diff: "dbr" }, deleteBeforeReplace: false }]));
            clearCalls();

            const result = await stack.update(config([{ name: "a", inputs: { value: "2", diff: "dbr" }, deleteBeforeReplace: false }]));

            assert.deepEqual(ops(result.steps), ["create-replacement a", "replace a", "delete-replaced a"]);
        });

        it("counts a component whose args changed as an update", async () => {
            await stack.update(config([{ name: "w", kind: "component", inputs: { size: 1 } }]));

            const same = await stack.preview({ ...config([{ name: "w", kind: "component", inputs: { size: 1 } }]), expectNoChanges: true });
            const changed = await stack.preview({ ...config([{ name: "w", kind: "component", inputs: { size: 2 } }]), expectNoChanges: true });

            assert.equal(same.exitCode, EXIT.success);
            assert.equal(changed.exitCode, EXIT.noChangesExpected);
            assert.deepEqual(ops(changed.preview.steps), ["update w"]);
        });
    });

    describe("failures", () => {
        it("keeps a replaced resource pending deletion when the update fails, refreshes it next run and deletes it at the end of the next successful one", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1", diff: "replace" } }]));

            // The replacement of a succeeds, then b's create fails: no deletes run.
            const failed = await stack.update(config([{ name: "a", inputs: { value: "2", diff: "replace" } }, { name: "b", inputs: { value: "1", failCreate: true }, dependsOn: ["a"] }]));
            assert.equal(failed.ok, false);
            assert.match(failed.error ?? "", /create of b failed: failCreate is set/);
            assert.deepEqual(stack.checkpoint.resources.map((r) => `${r.name} delete=${r.delete}`), ["a delete=true", "a delete=false"]);
            clearCalls();

            const next = await stack.update(config([{ name: "a", inputs: { value: "2", diff: "replace" } }]));

            assert.ok(next.ok, next.error);
            assert.deepEqual(methods("a").filter((m) => m === "read a" || m === "delete a"), ["read a", "read a", "delete a"], "both copies of a are refreshed, the old one deleted");
            assert.deepEqual(ops(next.steps), ["same a", "delete-replaced a"]);
            assert.equal(next.steps.find((s) => s.op === "delete-replaced")?.logical, false, "a pending delete does not count as a change");
            assert.deepEqual(stack.checkpoint.resources.map((r) => r.name), ["a"]);
        });

        it("starts nothing that was waiting when a step failed: not the chain waiting for a worker, not the Check of the next registration", async () => {
            // GIVEN one worker (--parallel 1), a create that fails after a while, and two
            // independent resources registered meanwhile: b is checked and waits for the worker,
            // c waits for the step generator. (The SDK serializes a resource's inputs one property
            // at a time, so b and c, with more of them, reach the engine after a.)
            const serial = newStack(hosts, { parallel: 1 });
            const later = { value: "1", delayMs: 0, failCreate: false, note: "registered after a" };

            const failed = await serial.update(config([
                { name: "a", inputs: { value: "1", failCreate: true, delayMs: 300 } },
                { name: "b", inputs: later },
                { name: "c", inputs: later },
            ]));

            // THEN the engine cancels both when a fails (step_executor.go cancelDueToError,
            // ExecuteSerial; deployment_executor.go takes no more events)
            assert.equal(failed.ok, false);
            assert.match(failed.error ?? "", /create of a failed: failCreate is set/);
            assert.deepEqual(methods().filter((m) => !m.startsWith("check")), ["create:start a"], "b's create never starts");
            assert.ok(!methods().includes("check c"), "c is never checked");
            assert.deepEqual(ops(failed.steps), []);
            assert.deepEqual(failed.failedSteps.map((st) => `${st.op} ${st.name}`), ["create a"], "the step that failed, as the CLI reports it");
            assert.deepEqual(serial.checkpoint.resources, []);
        });

        it("waits for a provider call however long it takes: no deadline, as the engine (a Graph Retry-After of 65 s is waited out)", async function () {
            this.timeout(180_000);
            // The stand-in gave every call 60 s, then failed the run and stopped the host mid-create.
            const result = await stack.update(config([{ name: "a", inputs: { value: "1", delayMs: 65_000 } }]));

            assert.ok(result.ok, result.error);
            assert.deepEqual(ops(result.steps), ["create a"]);
            assert.deepEqual(methods(), ["check a", "create:start a", "create a"]);
            assert.equal(Object.keys(world()).length, 1, "the resource exists and is in the checkpoint");
            assert.equal(stack.checkpoint.resources.length, 1);
        });

        it("stops starting steps after a failure and runs no deletes", async () => {
            await stack.update(config([{ name: "old", inputs: { value: "1" } }]));

            const failed = await stack.update(config([{ name: "a", inputs: { value: "1", failCreate: true } }, { name: "b", inputs: { value: "1" }, dependsOn: ["a"] }]));

            assert.equal(failed.ok, false);
            assert.deepEqual(ops(failed.steps), [], "a failed, b never started, old is not deleted");
            assert.deepEqual(stack.checkpoint.resources.map((r) => r.name), ["old"]);
        });
    });

    describe("refresh", () => {
        it("reads every resource before the program runs, random ones too, in parallel up to --parallel", async () => {
            const spec: SpecResource[] = ["a", "b", "c", "d"].map((name) => ({ name, inputs: { value: "1", delayMs: 200 } }));
            await stack.update(config([...spec, { name: "r", kind: "random", inputs: { k: "1" } }]));
            clearCalls();

            const result = await stack.preview(config([...spec, { name: "r", kind: "random", inputs: { k: "1" } }]));

            const refreshed = result.preview.steps.filter((s) => s.op === "refresh").map((s) => s.name).sort();
            assert.deepEqual(refreshed, ["a", "b", "c", "d", "r"]);
            const reads = calls().filter((c) => c.method === "read:start");
            assert.equal(Math.max(...reads.map((c) => c.inflight ?? 0)), 4, "all four reads were in flight at once");
            const firstCheck = calls().findIndex((c) => c.method === "check");
            assert.ok(calls().slice(firstCheck).every((c) => !c.method.startsWith("read")), "no Read after the program started");
        });

        it("gives a component a refresh step too, which reads nothing (step.go RefreshStep.Apply)", async () => {
            const spec: SpecResource[] = [{ name: "w", kind: "component", inputs: { size: 1 } }, { name: "a", inputs: { value: "1" } }];
            await stack.update(config(spec));
            clearCalls();

            const result = await stack.preview(config(spec));

            assert.deepEqual(result.preview.steps.filter((s) => s.op === "refresh").map((s) => `${s.name} ${s.refresh}`).sort(), ["a unchanged", "w unchanged"]);
            assert.deepEqual(methods().filter((m) => m.startsWith("read")), ["read:start a", "read a"]);
        });

        it("drops a resource whose Read returns no id; the program then creates it again", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" } }]));
            forget("a");

            const result = await stack.preview(config([{ name: "a", inputs: { value: "1" } }]));

            assert.equal(result.preview.steps.find((s) => s.op === "refresh")?.refresh, "gone");
            assert.deepEqual(ops(result.preview.steps), ["create a"]);
        });

        it("does not count refresh changes for --expect-no-changes, but counts what follows from them", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" } }]));

            const clean = await stack.preview({ ...config([{ name: "a", inputs: { value: "1" } }]), expectNoChanges: true });
            forget("a");
            const drifted = await stack.preview({ ...config([{ name: "a", inputs: { value: "1" } }]), expectNoChanges: true });

            assert.equal(clean.exitCode, EXIT.success);
            assert.equal(drifted.exitCode, EXIT.noChangesExpected);
            assert.equal(drifted.error, "no changes were expected for preview but changes were proposed\nResources: 1 to create");
        });
    });

    describe("parallelism", () => {
        it("runs independent steps in parallel up to --parallel and Check one registration at a time", async () => {
            const limited = newStack(hosts, { parallel: 2 });
            const spec: SpecResource[] = ["a", "b", "c", "d"].map((name) => ({ name, inputs: { value: "1", delayMs: 150 } }));

            await limited.update(config(spec));

            const creates = calls().filter((c) => c.method === "create:start");
            assert.equal(Math.max(...creates.map((c) => c.inflight ?? 0)), 2);
        });

        it("deletes dependents first", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" } }, { name: "b", inputs: { value: "1" }, dependsOn: ["a"] }, { name: "c", valueFrom: "b" }]));
            clearCalls();

            const result = await stack.update(config([]));

            assert.deepEqual(ops(result.steps), ["delete c", "delete b", "delete a"]);
            assert.deepEqual(methods().filter((m) => m.startsWith("delete")), ["delete c", "delete b", "delete a"]);
        });
    });

    describe("provider processes", () => {
        it("runs the preview and the update of one up in two fresh processes; process state does not survive", async () => {
            const result = await stack.up(config([{ name: "a", inputs: { value: "1" } }]));

            assert.equal(result.exitCode, EXIT.success, result.error);
            const pids = [...new Set(calls().map((c) => c.pid))];
            assert.equal(pids.length, 2);
            assert.deepEqual(calls().map((c) => `${c.method}#${c.generation}`), ["check#1", "check#1", "create:start#2", "create#3"], "each process counts from 1");
        });

        it("recycles one process between runs without carrying provider state over", async () => {
            const recycled = recycledProcess({ env: { ENGINE_TEST_LOG: logFile(), ENGINE_TEST_WORLD: worldFile() } });
            try {
                const s = newStack(recycled);
                await s.up(config([{ name: "a", inputs: { value: "1" } }]));

                const pids = [...new Set(calls().map((c) => c.pid))];
                assert.equal(pids.length, 1);
                assert.deepEqual(calls().map((c) => `${c.method}#${c.generation}`), ["check#1", "check#1", "create:start#2", "create#3"]);
            } finally {
                await recycled.close();
            }
        });

        it("reads and deletes with the provider code that created the resource", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" }, variant: "v1" }]));
            clearCalls();

            await stack.update(config([{ name: "b", inputs: { value: "1" }, variant: "v2" }]));

            const byMethod = Object.fromEntries(calls().filter((c) => c.label === "a").map((c) => [c.method, c.version]));
            assert.deepEqual(byMethod, { "read:start": "v1", read: "v1", diff: "v1", delete: "v1" }, "refresh reads and diffs a, then deletes it, all with v1");
        });
    });

    describe("options and secrets", () => {
        it("keeps a retainOnDelete resource at the provider and removes it from the checkpoint", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" }, retainOnDelete: true }]));
            clearCalls();

            const result = await stack.update(config([]));

            assert.deepEqual(result.steps.filter((s) => s.op === "delete").map((s) => [s.name, s.retain]), [["a", true]]);
            assert.deepEqual(methods().filter((m) => m.startsWith("delete")), []);
            assert.deepEqual(stack.checkpoint.resources, []);
            assert.equal(Object.keys(world()).length, 1);
        });

        it("refuses to delete a protected resource, in a preview too", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" }, protect: true }]));

            const result = await stack.preview(config([]));

            assert.equal(result.exitCode, EXIT.error);
            assert.match(result.error ?? "", /cannot be deleted because it is protected/);
        });

        it("stores an output secret when an input of the same name was secret", async () => {
            const result = await stack.update(config([{ name: "a", inputs: { value: "s3cret" }, secretValue: true }]));

            assert.ok(result.ok, result.error);
            const a = stack.checkpoint.resources.find((r) => r.name === "a");
            assert.deepEqual(a?.secretOutputs, ["value"]);
            assert.equal(result.outputs.outputs.secret, true);
        });
    });

    describe("up", () => {
        it("does not run the update when the preview fails", async () => {
            const result = await stack.up(config([{ name: "a", inputs: { value: "1", failCheck: true } }]));

            assert.equal(result.exitCode, EXIT.error);
            assert.equal(result.update, undefined);
            assert.deepEqual(methods(), ["check a"]);
        });

        it("reports no plan mismatch when the update performs what the preview planned", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1", diff: "replace" } }]));

            const result = await stack.up(config([{ name: "a", inputs: { value: "2", diff: "replace" } }, { name: "b", valueFrom: "a" }]));

            assert.equal(result.exitCode, EXIT.success, result.error);
            assert.equal(result.planMismatch, undefined);
            assert.deepEqual(ops(result.update?.steps ?? []), ["create-replacement a", "replace a", "create b", "delete-replaced a"]);
        });

        it("reports a plan mismatch when the world changed between the preview and the update", async () => {
            await stack.update(config([{ name: "a", inputs: { value: "1" } }]));
            // The world changes after the preview's refresh and before the update's: a is deleted out of band.
            const source = hosts;
            let acquired = 0;
            const racing: HostSource = {
                async acquire() {
                    if (++acquired === 2) forget("a");
                    return source.acquire();
                },
                close: () => source.close(),
            };
            const s = new EngineStack({ programPath: PROGRAM, hosts: racing, refresh: true, checkpoint: stack.checkpoint });

            const result = await s.up(config([{ name: "a", inputs: { value: "1" } }]));

            assert.deepEqual(result.planMismatch, { planned: [`same ${urnOf("a")}`], performed: [`create ${urnOf("a")}`] });
        });
    });
});
