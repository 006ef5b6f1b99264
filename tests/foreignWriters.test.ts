// Other writers' keys. Graph's PATCH replaces the whole keyCredentials collection and has no ETag,
// so a key another tool adds after the provider's read and before its PATCH lands is lost. The
// provider cannot close that race, only narrow it to the PATCH's own round trip: every PATCH is
// built from a read made right before it, and re-read and rebuilt before each retry
// (components/graph/credentials.ts updateKeyCredentials). These specs put another tool's write
// (the emulator's onRequest hook) at each moment that used to lose it: during create's
// addPassword, and while the provider waits to retry its PATCH after a 429 (with and without
// Retry-After), a 503, or a timeout, in create, delete and the inventory's cleanup. They also pin
// what each operation costs in requests.
//
// The providers run in this process as plain async functions, through the real Graph client,
// against the in-process emulator; the last two specs run the serialized provider in Pulumi's
// dynamic provider host, as `pulumi up` does.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import {
    CREDENTIAL_GENERATION_MODULE,
    CREDENTIAL_GENERATION_TYPE,
    credentialGenerationProvider,
} from "../components/credentialGeneration";
import { credentialInventoryProvider, validateInventoryInputs } from "../components/credentialInventory";
import { Emulator, HookMoment, RequestLogEntry, startEmulator } from "../emulator";
import { addForeignKey, createGeneration, generationInputs, GenerationOutputs, IN_PROCESS_CLIENT_ENV, inProcessEmulator, principalWithForeignEntries } from "./support/inProcess";
import { dynamicUrn, ProviderHost, serializeProvider, startProviderHost, withProvider } from "../engine/providerHost";
import { emulatorEnv } from "./support/emulatorEnv";

type OpName = "create" | "delete" | "cleanup";

/** One operation, set up on a principal: how to run it, and a check of its own effect. */
interface Scenario {
    run(): Promise<unknown>;
    /** Asserts the operation did its own job (the generation complete, its entries gone, the expired key gone). */
    done(): void;
}

/**
 * Requests each operation makes on a Legacy principal when nothing fails, and where the one
 * request above the API minimum comes from.
 */
const REQUESTS: Record<OpName, { count: number; detail: string }> = {
    create: { count: 7, detail: "resolve 1, GET (leftovers), addPassword, GET (merge base, right before the PATCH), PATCH, 2 confirming GETs" },
    delete: { count: 7, detail: "GET (merge base), PATCH, 2 confirming GETs, removePassword, 2 confirming GETs" },
    cleanup: { count: 5, detail: "resolve 1, GET (plan and merge base), PATCH, 2 confirming GETs" },
};

describe("Other writers' keys survive the provider's PATCH (in-process, real client, emulator)", function () {
    this.timeout(60_000);

    const emulator = inProcessEmulator();
    let emu: Emulator;
    let seq = 0;
    const printed: string[] = [];

    before(() => {
        emu = emulator();
    });

    after(() => {
        if (printed.length > 0) {
            console.log("\n    Graph requests per operation on a Legacy principal (emulator log):");
            printed.forEach((line) => console.log(`      ${line}`));
        }
    });

    // ---- helpers ----------------------------------------------------------------------------

    function keyIds(objectId: string): string[] {
        return emu.tenant.credentials(objectId).keyCredentials.map((k) => k.keyId);
    }

    /** The keys of other tools on the object (principalWithForeignEntries names them "other tool"). */
    function otherToolKeys(objectId: string): string[] {
        return emu.tenant.credentials(objectId).keyCredentials.filter((k) => k.displayName === "other tool").map((k) => k.keyId);
    }

    function assertGeneration(objectId: string, outs: GenerationOutputs | undefined): void {
        assert.ok(outs, "create returned outputs");
        const c = emu.tenant.credentials(objectId);
        assert.deepEqual(
            c.keyCredentials.filter((k) => k.displayName === outs.displayName).map((k) => [k.keyId, k.usage]).sort(),
            [[outs.signKeyId, "Sign"], [outs.verifyKeyId, "Verify"]].sort(),
        );
        assert.deepEqual(c.passwordCredentials.filter((p) => p.displayName === outs.displayName).map((p) => p.keyId), [outs.passwordKeyId]);
    }

    async function scenario(op: OpName, p: { appId: string; objectId: string }): Promise<Scenario> {
        switch (op) {
            case "create": {
                const news = generationInputs(emu.clock.now(), p.appId, "random-bytes", `writers gen ${++seq}`);
                let outs: GenerationOutputs | undefined;
                return {
                    run: async () => {
                        outs = (await createGeneration(news)).outs;
                    },
                    done: () => assertGeneration(p.objectId, outs),
                };
            }
            case "delete": {
                const gen = await createGeneration(generationInputs(emu.clock.now(), p.appId, "random-bytes", `writers gen ${++seq}`));
                const ours = [gen.outs.signKeyId, gen.outs.verifyKeyId, gen.outs.passwordKeyId];
                return {
                    run: () => credentialGenerationProvider.delete!(gen.id, gen.outs),
                    done: () => {
                        const c = emu.tenant.credentials(p.objectId);
                        assert.deepEqual([...c.keyCredentials, ...c.passwordCredentials].filter((e) => ours.includes(e.keyId)), []);
                    },
                };
            }
            case "cleanup": {
                // An unmanaged key that expired long ago: the default cleanup ("expired") removes it.
                const [expired] = emu.tenant.seedCredentials(p.objectId, {
                    keyCredentials: [{ type: "Symmetric", usage: "Sign", key: crypto.randomBytes(32).toString("base64"), startDateTime: "2019-01-01T00:00:00Z", endDateTime: "2020-01-01T00:00:00Z" }],
                }).keyCredentials;
                const { inputs, failures } = validateInventoryInputs({ clientId: p.appId, setName: "writers", declaredDisplayNames: [] });
                assert.deepEqual(failures, []);
                return {
                    run: () => credentialInventoryProvider.create!(inputs as never),
                    done: () => assert.ok(!keyIds(p.objectId).includes(expired), "the expired key was removed"),
                };
            }
        }
    }

    /** The requests logged since `mark` (ACS excluded). */
    function since(mark: number): RequestLogEntry[] {
        return emu.requests.slice(mark).filter((r) => !r.operation.startsWith("acs."));
    }

    // ---- a write during create's addPassword --------------------------------------------------

    it("create keeps a key another tool adds while addPassword runs (after the provider's first read, before its PATCH)", async () => {
        // GIVEN a principal with another tool's key, and a third tool that writes when addPassword has been answered
        const p = principalWithForeignEntries(emu);
        const s = await scenario("create", p);
        let foreign = "";
        emu.faults.onRequest({ when: "after", match: { operation: "servicePrincipals.addPassword" }, run: () => void (foreign = addForeignKey(emu, p.objectId, "written during addPassword")) });
        const before = keyIds(p.objectId);
        const mark = emu.requests.length;

        // WHEN the generation is created
        await s.run();

        // THEN it is complete, and every other key is still there
        s.done();
        assert.ok(foreign !== "");
        assert.deepEqual([...before, foreign].filter((id) => !keyIds(p.objectId).includes(id)), [], "a foreign key was lost");
        // AND the write happened where the old code lost it: after addPassword, before the PATCH's own read
        const used = since(mark);
        assert.deepEqual(used.map((r) => [r.operation, r.faults]), [
            ["servicePrincipals.get", []],
            ["servicePrincipals.get", []],
            ["servicePrincipals.addPassword", ["onRequest:after"]],
            ["servicePrincipals.get", []],
            ["servicePrincipals.update", []],
            ["servicePrincipals.get", []],
            ["servicePrincipals.get", []],
        ]);
    });

    it("loses a key written while the PATCH itself is in flight: the window left, as Graph has no ETag", async () => {
        // GIVEN another tool that writes when the provider's PATCH arrives, before Graph applies it
        const p = principalWithForeignEntries(emu);
        const s = await scenario("create", p);
        let foreign = "";
        emu.faults.onRequest({ when: "before", match: { method: "PATCH" }, run: () => void (foreign = addForeignKey(emu, p.objectId, "written during the PATCH")) });
        // WHEN the generation is created
        await s.run();
        // THEN the generation is complete, and that one key is gone: the PATCH replaced the collection
        s.done();
        assert.ok(foreign !== "" && !keyIds(p.objectId).includes(foreign));
        assert.deepEqual(emu.requests.filter((r) => r.method === "PATCH").map((r) => r.faults), [["onRequest:before"]]);
    });

    // ---- a write while the provider waits to retry its PATCH ----------------------------------

    const RETRIES: readonly { name: string; arm: () => void; when: HookMoment; firstStatus: number | null; fault: string; minWaitMs: number }[] = [
        { name: "a 429 with Retry-After: 1", arm: () => emu.faults.throttle({ retryAfterSeconds: 1, match: { method: "PATCH" } }), when: "after", firstStatus: 429, fault: "throttle", minWaitMs: 1000 },
        { name: "a 429 without Retry-After (backoff)", arm: () => emu.faults.throttle({ retryAfterSeconds: null, match: { method: "PATCH" } }), when: "after", firstStatus: 429, fault: "throttle", minWaitMs: 0 },
        { name: "a 503 (backoff)", arm: () => emu.faults.serverError({ status: 503, match: { method: "PATCH" } }), when: "after", firstStatus: 503, fault: "serverError", minWaitMs: 0 },
        // The hung PATCH never reaches Graph: the other tool writes while the provider waits for its timeout.
        { name: "a timeout (PATCH never answered)", arm: () => emu.faults.hang({ ms: null, match: { method: "PATCH" } }), when: "before", firstStatus: null, fault: "hang", minWaitMs: 0 },
    ];

    for (const op of ["create", "delete", "cleanup"] as const) {
        for (const retry of RETRIES) {
            it(`${op} keeps a key another tool adds while it waits out ${retry.name} on its PATCH, at one GET and one PATCH more`, async () => {
                // GIVEN a principal with another tool's key, the operation set up, and the fault armed
                const p = principalWithForeignEntries(emu);
                const s = await scenario(op, p);
                const others = otherToolKeys(p.objectId);
                let foreign = "";
                retry.arm();
                emu.faults.onRequest({ when: retry.when, match: { method: "PATCH" }, run: () => void (foreign = addForeignKey(emu, p.objectId, "written while the provider waits")) });
                const mark = emu.requests.length;

                // WHEN the operation runs
                await s.run();

                // THEN it did its job and every foreign key is still there
                s.done();
                assert.ok(foreign !== "");
                assert.equal(others.length, 1);
                assert.deepEqual([...others, foreign].filter((id) => !keyIds(p.objectId).includes(id)), [], "a foreign key was lost");
                // AND the fault fired on the first PATCH, then one fresh read, then the retried PATCH
                const used = since(mark);
                const patches = used.map((r, i) => ({ r, i })).filter(({ r }) => r.method === "PATCH");
                assert.deepEqual(patches.map(({ r }) => [r.status, r.faults]), [
                    [retry.firstStatus, retry.when === "after" ? [retry.fault, "onRequest:after"] : ["onRequest:before", retry.fault]],
                    [204, []],
                ]);
                const between = used.slice(patches[0].i + 1, patches[1].i);
                assert.deepEqual(between.map((r) => [r.method, r.operation, r.status]), [["GET", "servicePrincipals.get", 200]]);
                // AND the re-read waited as the policy says (Retry-After honoured)
                assert.ok(Date.parse(between[0].at) - Date.parse(patches[0].r.at) >= retry.minWaitMs, `re-read ${Date.parse(between[0].at) - Date.parse(patches[0].r.at)} ms after the first PATCH`);
                // AND the retry cost exactly one GET and one PATCH more than the fault-free run
                assert.equal(used.length, REQUESTS[op].count + 2, used.map((r) => r.operation).join(", "));
            });
        }
    }

    // ---- what each operation costs ------------------------------------------------------------

    for (const op of ["create", "delete", "cleanup"] as const) {
        it(`${op} makes ${REQUESTS[op].count} requests when nothing fails: the read it already needed is the PATCH's base`, async () => {
            const p = principalWithForeignEntries(emu);
            const s = await scenario(op, p);
            const mark = emu.requests.length;
            await s.run();
            s.done();
            const used = since(mark);
            assert.equal(used.length, REQUESTS[op].count, used.map((r) => r.operation).join(", "));
            const patch = used.findIndex((r) => r.method === "PATCH");
            assert.equal(used[patch - 1].method, "GET", "the PATCH follows a read directly");
            printed.push(`${op.padEnd(8)} ${String(used.length).padStart(2)}  (${REQUESTS[op].detail}; +1 GET and +1 PATCH per retried PATCH)`);
        });
    }
});

describe("Other writers' keys survive the provider's PATCH (Pulumi's dynamic provider host)", function () {
    this.timeout(60_000);

    let emu: Emulator;
    let host: ProviderHost;
    let providerText: string;
    let seq = 0;

    before(async () => {
        emu = await startEmulator({ port: 0 });
        providerText = await serializeProvider(credentialGenerationProvider);
        host = await startProviderHost({ env: emulatorEnv(emu, IN_PROCESS_CLIENT_ENV) });
    });

    after(async () => {
        await host?.stop();
        await emu?.close();
    });

    beforeEach(() => emu.reset());

    const urn = (name: string): string => dynamicUrn(name, CREDENTIAL_GENERATION_MODULE, CREDENTIAL_GENERATION_TYPE);

    async function create(appId: string, name: string): Promise<{ id: string; outs: Record<string, unknown> }> {
        const news = generationInputs(emu.clock.now(), appId, "entra-password", `host writers gen ${++seq}`) as unknown as Record<string, unknown>;
        const checked = await host.check(urn(name), {}, withProvider(providerText, news));
        assert.deepEqual(checked.failures, []);
        return host.create(urn(name), checked.inputs);
    }

    it("create keeps a key another tool adds during addPassword", async () => {
        const p = principalWithForeignEntries(emu);
        let foreign = "";
        emu.faults.onRequest({ when: "after", match: { operation: "servicePrincipals.addPassword" }, run: () => void (foreign = addForeignKey(emu, p.objectId, "written during addPassword")) });
        const before = emu.tenant.credentials(p.objectId).keyCredentials.map((k) => k.keyId);

        const { outs } = await create(p.appId, "gen");

        const after = emu.tenant.credentials(p.objectId).keyCredentials.map((k) => k.keyId);
        assert.deepEqual([...before, foreign, outs.signKeyId, outs.verifyKeyId].filter((id) => !after.includes(String(id))), []);
        assert.equal(emu.requests.filter((r) => r.faults.includes("onRequest:after")).length, 1);
    });

    it("delete keeps a key another tool adds while it waits out a 429 Retry-After on its PATCH", async () => {
        const p = principalWithForeignEntries(emu);
        const gen = await create(p.appId, "gen");
        emu.faults.throttle({ retryAfterSeconds: 1, match: { method: "PATCH" } });
        let foreign = "";
        emu.faults.onRequest({ when: "after", match: { method: "PATCH" }, run: () => void (foreign = addForeignKey(emu, p.objectId, "written during the wait")) });
        const mark = emu.requests.length;
        const started = Date.now();

        await host.delete(gen.id, urn("gen"), gen.outs);

        const after = emu.tenant.credentials(p.objectId);
        assert.ok(after.keyCredentials.some((k) => k.keyId === foreign), "the key written during the wait is kept");
        assert.deepEqual(after.keyCredentials.filter((k) => k.keyId === gen.outs.signKeyId || k.keyId === gen.outs.verifyKeyId), []);
        assert.deepEqual(emu.requests.slice(mark).filter((r) => r.method === "PATCH").map((r) => [r.status, r.faults]), [[429, ["throttle", "onRequest:after"]], [204, []]]);
        assert.ok(Date.now() - started >= 1000, "Retry-After was honoured");
    });
});
