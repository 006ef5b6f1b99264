import * as assert from "node:assert/strict";
import * as path from "node:path";
import { DynamicProviderCalls, LifecycleHarness, RunResult } from "../../harness/lifecycle";

/** No dynamic resources in this program: any provider call is a harness bug. */
const noProvider = new Proxy({}, {
    get: (_t, name) => () => { throw new Error(`unexpected provider call ${String(name)}`); },
}) as DynamicProviderCalls;

const RANDOM = "random:index/randomBytes:RandomBytes";
const urn = (name: string) => `urn:pulumi:sandbox::addin-credentials::${RANDOM}::${name}`;
const ops = (r: RunResult) => r.steps.map((s) => `${s.op} ${s.name}${s.replaces ? ` [${s.replaces.join(",")}]` : ""}`);

describe("LifecycleHarness", () => {
    const programPath = path.join(__dirname, "randomProgram.ts");
    let harness: LifecycleHarness;

    beforeEach(() => {
        harness = new LifecycleHarness({ programPath, provider: noProvider });
    });

    it("creates on the first run and keeps the same resource when inputs do not change", async () => {
        const first = await harness.run({ config: { "harness:generation": "1" } });
        const second = await harness.run({ config: { "harness:generation": "1" } });

        assert.deepEqual(ops(first), ["create bytes"]);
        assert.deepEqual(ops(second), ["same bytes"]);
        assert.equal(second.outputs.base64.value, first.outputs.base64.value);
        assert.equal(Buffer.from(String(first.outputs.base64.value), "base64").length, 32);
    });

    it("replaces a RandomBytes when its keepers change, and deletes what is no longer declared", async () => {
        const first = await harness.run({ config: { "harness:generation": "1", "harness:extra": "true" } });
        const second = await harness.run({ config: { "harness:generation": "2" } });

        assert.deepEqual(ops(first).sort(), ["create bytes", "create extra"]);
        assert.deepEqual(ops(second), ["replace bytes [keepers]", "delete extra"]);
        assert.notEqual(second.outputs.base64.value, first.outputs.base64.value);
        assert.deepEqual([...harness.state.keys()], [urn("bytes")]);
    });

    it("applies the engine's secret rules: additionalSecretOutputs stay secret, unsecret is honoured", async () => {
        const run = await harness.run({ config: { "harness:generation": "1" } });

        assert.equal(run.outputs.base64.secret, true);
        assert.equal(run.outputs.hex.secret, false);
        assert.deepEqual(harness.state.get(urn("bytes"))?.secretOutputs, ["base64", "hex"]);
    });

    it("accepts a component's registerOutputs without an unhandled rejection", async () => {
        const rejections: unknown[] = [];
        const onRejection = (reason: unknown) => rejections.push(reason);
        process.on("unhandledRejection", onRejection);
        try {
            const run = await harness.run({ config: { "harness:generation": "1" } });
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.equal(run.outputs.wrapped.value, 32);
        } finally {
            process.off("unhandledRejection", onRejection);
        }
        assert.deepEqual(rejections, []);
    });

    it("changes nothing in state on a preview", async () => {
        await harness.run({ config: { "harness:generation": "1" } });
        const before = JSON.stringify([...harness.state.values()]);

        const preview = await harness.run({ config: { "harness:generation": "2", "harness:extra": "true" }, preview: true });

        assert.deepEqual(ops(preview).sort(), ["create extra", "replace bytes [keepers]"]);
        assert.equal(JSON.stringify([...harness.state.values()]), before);
    });
});
