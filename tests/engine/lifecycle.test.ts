// The engine stand-in with the non-dynamic providers it models (random's RandomBytes here), on a
// program without dynamic resources, so any call to the provider host would be a bug.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Step } from "../../engine/deployment";
import { EngineStack, HostSource } from "../../engine/stack";

/** No dynamic resources in this program: acquiring a provider process is fine, calling it is not. */
const noCalls: HostSource = {
    async acquire() {
        const host = new Proxy({}, { get: (_t, name) => () => { throw new Error(`unexpected provider call ${String(name)}`); } });
        return { host: host as never, release: async () => undefined };
    },
    close: async () => undefined,
};

const RANDOM = "random:index/randomBytes:RandomBytes";
const urn = (name: string) => `urn:pulumi:sandbox::harness::${RANDOM}::${name}`;
const ops = (steps: readonly Step[]) => steps.filter((s) => s.op !== "refresh").map((s) => `${s.op} ${s.name}${s.replaces ? ` [${s.replaces.join(",")}]` : ""}`);

describe("EngineStack with modelled providers", () => {
    const programPath = path.join(__dirname, "programs", "randomProgram.ts");
    let stack: EngineStack;

    beforeEach(() => {
        stack = new EngineStack({ programPath, hosts: noCalls, project: "harness", stack: "sandbox", refresh: true });
    });

    it("creates on the first run and keeps the same resource when inputs do not change", async () => {
        const first = await stack.update({ config: { "harness:generation": "1" } });
        const second = await stack.update({ config: { "harness:generation": "1" } });

        assert.deepEqual(ops(first.steps).sort(), ["create bytes", "create wrapper"]);
        assert.deepEqual(ops(second.steps).sort(), ["same bytes", "same wrapper"]);
        assert.equal(second.outputs.base64.value, first.outputs.base64.value);
        assert.equal(Buffer.from(String(first.outputs.base64.value), "base64").length, 32);
    });

    it("replaces a RandomBytes when its keepers change, and deletes what is no longer declared", async () => {
        const first = await stack.update({ config: { "harness:generation": "1", "harness:extra": "true" } });
        const second = await stack.update({ config: { "harness:generation": "2" } });

        assert.deepEqual(ops(first.steps).sort(), ["create bytes", "create extra", "create wrapper"]);
        assert.deepEqual(ops(second.steps).sort(), ["create-replacement bytes", "delete extra", "delete-replaced bytes", "replace bytes [keepers]", "same wrapper"]);
        assert.notEqual(second.outputs.base64.value, first.outputs.base64.value);
        assert.deepEqual(stack.checkpoint.resources.filter((r) => r.custom).map((r) => r.urn), [urn("bytes")]);
    });

    it("applies the engine's secret rules: additionalSecretOutputs stay secret, unsecret is honoured", async () => {
        const run = await stack.update({ config: { "harness:generation": "1" } });

        assert.equal(run.outputs.base64.secret, true);
        assert.equal(run.outputs.hex.secret, false);
        assert.deepEqual(stack.checkpoint.resources.find((r) => r.urn === urn("bytes"))?.secretOutputs, ["base64", "hex"]);
    });

    it("records a component's registerOutputs in the checkpoint", async () => {
        const run = await stack.update({ config: { "harness:generation": "1" } });

        assert.equal(run.outputs.wrapped.value, 32);
        assert.deepEqual(stack.checkpoint.resources.find((r) => r.name === "wrapper")?.outputs, { length: 32 });
    });

    it("gives a RandomBytes created in a preview unknown bytes and changes nothing in the checkpoint", async () => {
        await stack.update({ config: { "harness:generation": "1" } });
        const before = JSON.stringify(stack.checkpoint);

        const preview = await stack.preview({ config: { "harness:generation": "2", "harness:extra": "true" } });

        assert.deepEqual(ops(preview.preview.steps).sort(), ["create extra", "create-replacement bytes", "delete-replaced bytes", "replace bytes [keepers]", "same wrapper"]);
        assert.equal(preview.preview.outputs.base64.known, false);
        assert.equal(JSON.stringify(stack.checkpoint), before);
    });
});
