// The reliability record: every provider operation under every modelled Graph fault, a catalogue
// of bad inputs, and a leak scan over everything the run printed or returned.
//
// The provider runs as `pulumi up` runs it (Pulumi's dynamic provider host, tests/support/
// providerHost.ts) against the in-process Graph emulator. Each cell of the fault matrix:
//   1. sets up a principal with foreign entries (another tool's password and key) and, for
//      rotate/remove/refresh, an existing generation;
//   2. runs one operation under one fault (create; rotate = create the new generation, then delete
//      the old one on the same object; remove; refresh);
//   3. checks the object: no duplicate entry of a generation, no entry that no generation in
//      "state" owns (orphan), every foreign entry still there;
//   4. clears the fault and runs again what a user would (the failed step, then a refresh of
//      every generation, replacing any the refresh reports missing or drifted, as `pulumi up`
//      would), and checks that the object then holds exactly the generations in state.
// The totals line at the end is the record README's "Numbers" section quotes.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import {
    CREDENTIAL_GENERATION_MODULE,
    CREDENTIAL_GENERATION_TYPE,
    credentialGenerationProvider,
} from "../components/credentialGeneration";
import { Emulator, RequestMatch, startEmulator } from "../emulator";
import { LeakScan } from "./support/leakScan";
import { dynamicUrn, ProviderHost, serializeProvider, startProviderHost, withProvider } from "../engine/providerHost";
import { Props } from "../engine/wire";
import { addAddInPrincipal, generationProps } from "../tools/lab";
import { emulatorEnv } from "./support/emulatorEnv";

/** Prefix of every generation's displayName in this spec (tells managed entries from foreign ones). */
const GEN_PREFIX = "rel/";
/** Client settings of the provider hosts: fast backoff, a short per-request timeout. */
const HOST_ENV = {
    ADDIN_CREDENTIALS_RETRY_BASE_MS: "5",
    ADDIN_CREDENTIALS_MAX_ATTEMPTS: "4",
    ADDIN_CREDENTIALS_TIMEOUT_MS: "300",
};

type Kind = "servicePrincipal" | "application";
type Source = "random-bytes" | "entra-password";
type Operation = "create" | "rotate" | "remove" | "refresh";
const OPERATIONS: readonly Operation[] = ["create", "rotate", "remove", "refresh"];
const BOTH_KINDS: readonly { kind: Kind; source: Source }[] = [
    { kind: "servicePrincipal", source: "entra-password" },
    { kind: "application", source: "entra-password" },
];
const COMBOS: readonly { kind: Kind; source: Source }[] = [
    { kind: "servicePrincipal", source: "random-bytes" },
    { kind: "application", source: "entra-password" },
    { kind: "servicePrincipal", source: "entra-password" },
    { kind: "application", source: "random-bytes" },
];

/** A generation in "state": what the engine would hold after a successful create. */
interface Gen {
    readonly urnName: string;
    readonly inputs: Props;
    id: string;
    outs: Props;
}

/** One cell's world: the principal, the generations in state, the foreign entries. */
interface Ctx {
    readonly kind: Kind;
    readonly source: Source;
    readonly appId: string;
    readonly objectId: string;
    /** The collection Graph serves the object under. */
    readonly set: "servicePrincipals" | "applications";
    /** Generations in state, by displayName. */
    readonly live: Map<string, Gen>;
    /** The generation rotate/remove/refresh act on. */
    base?: Gen;
    /** keyIds of entries other tools own; none may be lost. */
    readonly foreignKeys: Set<string>;
    readonly foreignPasswords: Set<string>;
    /** Generation inputs still to be created (a failed create is retried with the same inputs). */
    pendingCreate?: { urnName: string; inputs: Props };
    /** A delete still to be done (a failed delete stays in state and is retried). */
    pendingDelete?: Gen;
    /** Free-form notes for the matrix printout. */
    readonly notes: string[];
}

/** What one fault does to a cell. */
interface Fault {
    readonly name: string;
    /** Operations this fault applies to. @default all four */
    readonly operations?: readonly Operation[];
    /** Targets to run each operation on. @default - one, cycling through COMBOS */
    readonly combos?: readonly { kind: Kind; source: Source }[];
    /** Wait this long after the operation before checking (late answers land). @default 0 */
    readonly settleMs?: number;
    /** A failed operation may leave the entries of its pending create (nothing could roll back). @default false */
    readonly leavesPendingCreate?: boolean;
    /** Before the principal exists (e.g. replication lag that makes it 404). */
    beforeSetup?(emu: Emulator): void;
    /** Right before the operation; may return a concurrent activity that the cell awaits. */
    arrange?(ctx: Ctx, op: Operation, mark: number): Promise<void> | void;
    /** Replaces the plain run of the operation (the killed-process fault). */
    run?(ctx: Ctx, op: Operation): Promise<OpOutcome>;
}

interface OpOutcome {
    readonly ok: boolean;
    readonly error?: string;
}

/** One row of the printed matrix. */
interface CellRecord {
    readonly fault: string;
    readonly op: Operation;
    readonly combo: string;
    readonly outcome: string;
    readonly violations: string[];
    readonly notes: string[];
}

describe("Reliability record: faults, bad inputs, leaks", function () {
    this.timeout(120_000);

    let emu: Emulator;
    let host: ProviderHost;
    let providerText: string;
    const leaks = new LeakScan();
    const cells: CellRecord[] = [];
    const badInputs: { name: string; clear: boolean; message: string }[] = [];
    const pendingBadInputs: string[] = [];
    /** Hosts started during the run (killed ones included): their output is scanned. */
    const hosts: ProviderHost[] = [];
    let seq = 0;
    let leakCount = -1;

    before(async () => {
        emu = await startEmulator({ port: 0, logErrors: true });
        providerText = await serializeOutsideMocha();
        leaks.text("serialized provider text", providerText);
        host = await newHost();
    });

    after(async () => {
        for (const h of hosts) {
            await h.stop();
        }
        await emu?.close();
        printRecord();
    });

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * Serializes the provider as `pulumi up` would, i.e. in a process without mocha's globals.
     * Pulumi's closure serializer does not capture a module function whose name is also a global
     * (`describe` in components/credentialGeneration.ts is one under mocha); see the known-bug
     * test below.
     */
    async function serializeOutsideMocha(provider: object = credentialGenerationProvider): Promise<string> {
        const g = globalThis as Record<string, unknown>;
        const saved = g.describe;
        delete g.describe;
        try {
            return await serializeProvider(provider);
        } finally {
            g.describe = saved;
        }
    }

    async function newHost(): Promise<ProviderHost> {
        const h = await startProviderHost({ env: emulatorEnv(emu, HOST_ENV) });
        hosts.push(h);
        return h;
    }

    function urn(name: string): string {
        return dynamicUrn(name, CREDENTIAL_GENERATION_MODULE, CREDENTIAL_GENERATION_TYPE);
    }

    function randomKey(): string {
        const k = crypto.randomBytes(32).toString("base64");
        leaks.secret("keyMaterial", k);
        return k;
    }

    function newInputs(ctx: Ctx): { urnName: string; inputs: Props } {
        const n = ++seq;
        const keyMaterial = ctx.source === "random-bytes" ? randomKey() : undefined;
        return { urnName: `gen-${n}`, inputs: generationProps(emu.clock.now(), ctx.appId, ctx.source, `${GEN_PREFIX}gen-${n}`, keyMaterial) };
    }

    /** Records the secrets of the object and of an output, and the public part of the output. */
    function observe(ctx: Ctx): void {
        const c = emu.tenant.credentials(ctx.objectId);
        c.passwordCredentials.forEach((p) => leaks.secret("emulator secretText", p.secretText));
        c.keyCredentials.forEach((k) => leaks.secret("key bytes (base64)", k.key));
    }

    function observeOutputs(where: string, outs: Props): void {
        leaks.secret("clientSecret output", outs.clientSecret);
        leaks.secret("keyMaterial output", outs.keyMaterial);
        const { clientSecret: _c, keyMaterial: _k, __provider: _p, ...rest } = outs;
        leaks.text(`non-secret outputs: ${where}`, rest);
    }

    function principal(kind: Kind, source: Source): Ctx {
        const base = { kind, source, live: new Map<string, Gen>(), foreignKeys: new Set<string>(), foreignPasswords: new Set<string>(), notes: [] };
        return { ...base, ...addAddInPrincipal(emu, kind), set: kind === "servicePrincipal" ? "servicePrincipals" : "applications" };
    }

    /** Another tool's password and key on the object (must survive everything). */
    function seedForeign(ctx: Ctx): void {
        const seeded = emu.tenant.seedCredentials(ctx.objectId, {
            passwordCredentials: [{ displayName: "someone else's secret" }],
            keyCredentials: [{ type: "Symmetric", usage: "Verify", key: crypto.randomBytes(32).toString("base64"), displayName: "someone else's key" }],
        });
        seeded.keyCredentials.forEach((k) => ctx.foreignKeys.add(k));
        seeded.passwordCredentials.forEach((p) => ctx.foreignPasswords.add(p));
        observe(ctx);
    }

    async function runCreate(h: ProviderHost, ctx: Ctx, spec: { urnName: string; inputs: Props }): Promise<OpOutcome> {
        ctx.pendingCreate = spec;
        try {
            const checked = await h.check(urn(spec.urnName), {}, withProvider(providerText, spec.inputs));
            if (checked.failures.length > 0) {
                return fail(`check: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
            }
            const created = await h.create(urn(spec.urnName), checked.inputs);
            observeOutputs(`create ${spec.urnName}`, created.outs);
            ctx.live.set(String(spec.inputs.displayName), { urnName: spec.urnName, inputs: checked.inputs, id: created.id, outs: created.outs });
            ctx.pendingCreate = undefined;
            return { ok: true };
        } catch (e) {
            return fail((e as Error).message);
        } finally {
            observe(ctx);
        }
    }

    async function runDelete(h: ProviderHost, ctx: Ctx, gen: Gen): Promise<OpOutcome> {
        ctx.pendingDelete = gen;
        try {
            await h.delete(gen.id, urn(gen.urnName), gen.outs);
            ctx.live.delete(String(gen.outs.displayName));
            ctx.pendingDelete = undefined;
            return { ok: true };
        } catch (e) {
            return fail((e as Error).message);
        } finally {
            observe(ctx);
        }
    }

    async function runRead(h: ProviderHost, ctx: Ctx, gen: Gen): Promise<OpOutcome> {
        try {
            const read = await h.read(gen.id, urn(gen.urnName), gen.outs, gen.inputs);
            if (read.id === "") {
                ctx.live.delete(String(gen.outs.displayName));
                ctx.notes.push(`refresh dropped ${gen.urnName} from state`);
            } else {
                gen.outs = { ...read.props, [`__provider`]: providerText };
                observeOutputs(`read ${gen.urnName}`, read.props);
            }
            return { ok: true };
        } catch (e) {
            return fail((e as Error).message);
        } finally {
            observe(ctx);
        }
    }

    function fail(message: string): OpOutcome {
        leaks.text("error message", message);
        return { ok: false, error: message };
    }

    /** The operation itself, on the given host. */
    async function runOperation(h: ProviderHost, ctx: Ctx, op: Operation): Promise<OpOutcome> {
        switch (op) {
            case "create":
                return runCreate(h, ctx, newInputs(ctx));
            case "rotate": {
                const created = await runCreate(h, ctx, newInputs(ctx));
                if (!created.ok || ctx.base === undefined) {
                    ctx.pendingDelete = ctx.base;
                    return created;
                }
                return runDelete(h, ctx, ctx.base);
            }
            case "remove":
                return runDelete(h, ctx, must(ctx.base));
            case "refresh":
                return runRead(h, ctx, must(ctx.base));
        }
    }

    /** What a user does next (`pulumi up` again): finish the failed step, refresh, replace what drifted. */
    async function converge(ctx: Ctx): Promise<string[]> {
        const problems: string[] = [];
        if (ctx.pendingCreate !== undefined) {
            // An app-backed principal registered moments ago lags on two objects (service principal,
            // then application), each read up to 3 times per attempt: with a lag of 3 reads each,
            // the second retry is the first that sees both. Each retry is a later `pulumi up`.
            let r = await runCreate(host, ctx, ctx.pendingCreate);
            if (!r.ok && ctx.pendingCreate !== undefined && /has not replicated yet|No service principal/.test(r.error ?? "")) {
                ctx.notes.push("the principal was still replicating: a second retry was needed");
                r = await runCreate(host, ctx, ctx.pendingCreate);
            }
            if (!r.ok) problems.push(`retried create failed: ${r.error}`);
        }
        if (ctx.pendingDelete !== undefined) {
            const r = await runDelete(host, ctx, ctx.pendingDelete);
            if (!r.ok) problems.push(`retried delete failed: ${r.error}`);
        }
        for (const gen of [...ctx.live.values()]) {
            await runRead(host, ctx, gen);
            const missing = (gen.outs.missing as string[] | undefined) ?? [];
            const drift = (gen.outs.drift as string[] | undefined) ?? [];
            if (ctx.live.has(String(gen.outs.displayName)) && missing.length + drift.length > 0) {
                // diff replaces it, delete-before-replace (same displayName); then create again.
                ctx.notes.push(`refresh found ${gen.urnName} missing [${missing.join(",")}] drift [${drift.length}]: replaced`);
                const d = await runDelete(host, ctx, gen);
                const c = d.ok ? await runCreate(host, ctx, { urnName: gen.urnName, inputs: gen.inputs }) : d;
                if (!c.ok) problems.push(`replacement of ${gen.urnName} failed: ${c.error}`);
            }
        }
        for (const gen of ctx.live.values()) {
            const again = await host.read(gen.id, urn(gen.urnName), gen.outs, gen.inputs);
            if (again.id !== gen.id || (again.props.missing as string[]).length > 0 || (again.props.drift as string[]).length > 0) {
                problems.push(`${gen.urnName} does not read back clean after the retry`);
            }
        }
        return problems;
    }

    /**
     * The object's invariants. `settled`: after the retry, the object holds exactly the
     * generations in state (during the fault, an in-flight failed step may still be pending).
     */
    function violations(ctx: Ctx, settled: boolean): string[] {
        observe(ctx);
        const c = emu.tenant.credentials(ctx.objectId);
        const out: string[] = [];
        const names = new Set([...c.keyCredentials, ...c.passwordCredentials].map((e) => e.displayName ?? "").filter((n) => n.startsWith(GEN_PREFIX)));
        for (const name of names) {
            const keys = c.keyCredentials.filter((k) => k.displayName === name);
            const passwords = c.passwordCredentials.filter((p) => p.displayName === name);
            if (passwords.length > 1 || keys.filter((k) => k.usage === "Sign").length > 1 || keys.filter((k) => k.usage === "Verify").length > 1) {
                out.push(`duplicate: ${name} has ${passwords.length} passwords, ${keys.length} keys`);
            }
            if (!ctx.live.has(name)) {
                out.push(`orphan: ${name} has ${passwords.length} password(s) and ${keys.length} key(s) that no generation in state owns`);
            }
        }
        for (const id of ctx.foreignKeys) {
            if (!c.keyCredentials.some((k) => k.keyId === id)) out.push(`lost foreign key ${id}`);
        }
        for (const id of ctx.foreignPasswords) {
            if (!c.passwordCredentials.some((p) => p.keyId === id)) out.push(`lost foreign password ${id}`);
        }
        if (settled) {
            for (const [name, gen] of ctx.live) {
                const has = [gen.outs.signKeyId, gen.outs.verifyKeyId].every((id) => c.keyCredentials.some((k) => k.keyId === id && k.displayName === name))
                    && c.passwordCredentials.some((p) => p.keyId === gen.outs.passwordKeyId && p.displayName === name);
                if (!has) out.push(`incomplete: ${name} in state lacks some of its three entries`);
            }
        }
        return out;
    }

    // ---- the foreign writer -----------------------------------------------------------------------

    /** Waits until a request matching `match` arrives after `mark` (and optionally has been answered). */
    async function waitForRequest(mark: number, match: (r: { operation: string; method: string; status: number | null }) => boolean, answered = false): Promise<boolean> {
        const deadline = Date.now() + 5_000;
        while (Date.now() < deadline) {
            if (emu.requests.slice(mark).some((r) => match(r) && (!answered || r.status !== null))) {
                return true;
            }
            await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return false;
    }

    async function graph(method: "GET" | "PATCH", path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
        const res = await fetch(`${emu.url}/v1.0${path}`, {
            method,
            headers: { authorization: `Bearer ${emu.token}`, "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, json: text === "" ? undefined : (JSON.parse(text) as unknown) };
    }

    /**
     * Another client adding its own Symmetric key by read-merge-write (the only way Graph offers),
     * timed against the operation: it reads when the operation's first write arrives and writes
     * when that write has been answered, so its write is based on a view without ours. Like any
     * careful tool it then checks its key and writes again if it was lost.
     */
    async function foreignWriter(ctx: Ctx, op: Operation, mark: number): Promise<void> {
        const keyId = crypto.randomUUID();
        ctx.foreignKeys.add(keyId);
        const key = crypto.randomBytes(32).toString("base64");
        leaks.secret("foreign key bytes", key);
        const path = `/${ctx.set}/${ctx.objectId}`;
        const firstWrite = (r: { operation: string; method: string }): boolean =>
            op === "refresh" ? r.method === "GET" : r.method === "PATCH" || r.operation.endsWith(".addPassword");
        await waitForRequest(mark, firstWrite);
        let view = (await graph("GET", `${path}?$select=keyCredentials`)).json as { keyCredentials: Props[] };
        await waitForRequest(mark, firstWrite, true);
        for (let attempt = 1; attempt <= 4; attempt++) {
            const mine = { keyId, type: "Symmetric", usage: "Verify", key, displayName: "foreign writer's key" };
            const others = view.keyCredentials.filter((k) => k.keyId !== keyId).map((k) => ({ ...k, key: null }));
            const written = await graph("PATCH", path, { keyCredentials: [...others, mine] });
            // Check a moment later, when the provider's own write (if it came after ours) has landed.
            await new Promise((resolve) => setTimeout(resolve, 60));
            view = (await graph("GET", `${path}?$select=keyCredentials`)).json as { keyCredentials: Props[] };
            if (written.status === 204 && view.keyCredentials.some((k) => k.keyId === keyId)) {
                if (attempt > 1) ctx.notes.push(`foreign writer wrote ${attempt} times (its stale write was refused or undone)`);
                return;
            }
            await new Promise((resolve) => setTimeout(resolve, 3));
        }
        ctx.notes.push("foreign writer gave up");
    }

    function countRewrites(): number {
        return (host.stderr().match(/writing them again/g) ?? []).length;
    }

    // ---- the killed process -------------------------------------------------------------------------

    /**
     * Runs the operation in a second host and kills that host (SIGTERM; the dynamic provider host
     * installs no handler, so nothing runs after it) at the step named below. The request that
     * would follow is held unanswered by the emulator and never takes effect.
     */
    async function runKilled(ctx: Ctx, op: Operation): Promise<OpOutcome> {
        const killAt: Record<Operation, { match: RequestMatch; label: string }> = {
            create: { match: { method: "PATCH" }, label: "after addPassword, before the key write" },
            rotate: { match: { method: "PATCH" }, label: "after addPassword of the new generation, before its key write" },
            remove: { match: { operation: `${ctx.set}.removePassword` }, label: "after the key removal, before removePassword" },
            refresh: { match: { method: "GET" }, label: "during the read" },
        };
        const { match, label } = killAt[op];
        const doomed = await newHost();
        const mark = emu.requests.length;
        emu.faults.hang({ ms: null, match });
        const running = runOperation(doomed, ctx, op);
        const reached = await waitForRequest(mark, (r) => (match.method === undefined || r.method === match.method) && (match.operation === undefined || r.operation === match.operation));
        await doomed.stop();
        const outcome = await running;
        emu.faults.reset();
        ctx.notes.push(`host killed ${label}${reached ? "" : " (kill point not reached!)"}`);
        if (op === "refresh") {
            // A killed refresh changes nothing in state; the next run reads again.
            return outcome;
        }
        return outcome;
    }

    // ---- the fault matrix ---------------------------------------------------------------------------

    /** The first write of an operation, where a fault hurts most. */
    function firstWrite(ctx: Ctx, op: Operation): RequestMatch {
        switch (op) {
            case "create":
                return { operation: `${ctx.set}.addPassword` };
            case "rotate":
                return { method: "PATCH" };
            case "remove":
                return { operation: `${ctx.set}.removePassword` };
            case "refresh":
                return { method: "GET" };
        }
    }

    const FAULTS: readonly Fault[] = [
        { name: "429 with Retry-After", arrange: (ctx, op) => emu.faults.throttle({ times: 1, retryAfterSeconds: 1, match: firstWrite(ctx, op) }) },
        { name: "429 without Retry-After", arrange: (ctx, op) => emu.faults.throttle({ times: 3, retryAfterSeconds: null, match: firstWrite(ctx, op) }) },
        { name: "5xx burst", arrange: (ctx, op) => emu.faults.serverError({ status: 503, times: 3, match: firstWrite(ctx, op) }) },
        { name: "5xx burst on every request", arrange: () => emu.faults.serverError({ status: 500, times: 2 }) },
        { name: "timeout (no answer)", arrange: (ctx, op) => emu.faults.hang({ ms: null, match: firstWrite(ctx, op) }) },
        { name: "timeout (late answer, applied)", settleMs: 800, arrange: (ctx, op) => emu.faults.hang({ ms: 700, match: firstWrite(ctx, op) }) },
        { name: "stale read", arrange: () => emu.faults.readAfterWriteLag(3) },
        // A principal registered moments ago: Graph answers 404 for its first reads.
        { name: "404 after create", operations: ["create"], combos: BOTH_KINDS, beforeSetup: (e) => e.faults.readAfterWriteLag(2) },
        { name: "404 after create, longer than Check waits", operations: ["create"], combos: BOTH_KINDS, beforeSetup: (e) => e.faults.readAfterWriteLag(3) },
        {
            name: "policy refusal",
            arrange: (_ctx, op) => emu.faults.policy(op === "create" || op === "rotate" ? { passwordLifetime: "P90D", symmetricKeyLifetime: "P90D" } : { blockPasswordAddition: true, blockSymmetricKeyAddition: true }),
        },
        { name: "concurrent foreign writer", arrange: (ctx, op, mark) => foreignWriter(ctx, op, mark) },
        { name: "process killed between password and key write", leavesPendingCreate: true, run: (ctx, op) => runKilled(ctx, op) },
    ];

    /** Cells whose violation is a known provider bug (reported, not fixed here): fault/op → why. */
    const KNOWN_BUGS: Record<string, string> = {
        // components/credentialGeneration.ts createRound: after an addPassword that timed out
        // (ambiguous), one re-read that does not show the password yet leads to a second
        // addPassword; the first one, applied late by Graph, stays as a second password with the
        // generation's displayName. The provider alone cannot see it coming; in a program run the
        // CredentialInventory classifies it managed-duplicate and removes it on the next run
        // (tests/credentialInventory.test.ts "removes a duplicate password ...").
        "timeout (late answer, applied)/create/servicePrincipal": "a late-applied addPassword leaves a duplicate password",
    };

    let cellIndex = 0;
    for (const fault of FAULTS) {
        for (const op of fault.operations ?? OPERATIONS) {
            for (const combo of fault.combos ?? [COMBOS[cellIndex++ % COMBOS.length]]) {
            it(`${op} under ${fault.name} (${combo.kind}, ${combo.source})`, async () => {
                // GIVEN a principal with foreign entries, and a generation unless the op creates one
                emu.reset();
                fault.beforeSetup?.(emu);
                const ctx = principal(combo.kind, combo.source);
                seedForeign(ctx);
                if (op !== "create") {
                    const setup = await runCreate(host, ctx, newInputs(ctx));
                    assert.ok(setup.ok, `setup create failed: ${setup.error}`);
                    ctx.base = [...ctx.live.values()][0];
                }
                emu.faults.reset();

                // WHEN the operation runs under the fault
                const mark = emu.requests.length;
                const concurrent = fault.arrange?.(ctx, op, mark);
                const rewritesBefore = countRewrites();
                const outcome = fault.run ? await fault.run(ctx, op) : await runOperation(host, ctx, op);
                await concurrent;
                await new Promise((resolve) => setTimeout(resolve, fault.settleMs ?? 0));
                emu.faults.reset();

                // THEN it succeeded, or failed with a message naming Graph's status and code
                const pending = fault.leavesPendingCreate && !outcome.ok ? String(ctx.pendingCreate?.inputs.displayName) : undefined;
                const during = violations(ctx, false).filter((v) => pending === undefined || !v.startsWith(`orphan: ${pending} `));
                const clear = outcome.ok || /HTTP \d{3} \w+|timed out|not seen consistently|No service principal|killed|CANCELLED|Call cancelled|UNAVAILABLE|ECONNRESET|closed/i.test(outcome.error ?? "");
                // AND a retry converges to exactly the generations in state
                const problems = await converge(ctx);
                const after = violations(ctx, true);
                await new Promise((resolve) => setTimeout(resolve, 20)); // the host's stderr pipe catches up
                if (countRewrites() > rewritesBefore) ctx.notes.push("provider saw its new keys erased by another writer and wrote them again");
                const all = [...during.map((v) => `during: ${v}`), ...after.map((v) => `after retry: ${v}`), ...problems];
                if (!clear) all.push(`unclear error: ${outcome.error}`);
                cells.push({
                    fault: fault.name,
                    op,
                    combo: `${combo.kind}/${combo.source}`,
                    outcome: outcome.ok ? "success" : `error: ${firstLine(outcome.error)}`,
                    violations: all,
                    notes: ctx.notes,
                });
                const key = `${fault.name}/${op}/${combo.kind}`;
                if (KNOWN_BUGS[key] !== undefined) {
                    assert.ok(all.length > 0, `known bug "${KNOWN_BUGS[key]}" no longer shows: remove it from KNOWN_BUGS`);
                } else {
                    assert.deepEqual(all, []);
                }
            });
            }
        }
    }

    it("reports bad input from Check when serialized where `describe` is a global (mocha)", async () => {
        // Pulumi's closure serializer takes a module function named like a global of the
        // serializing process for that global; under mocha `describe` is one. The provider's
        // helper was renamed; this keeps it from coming back.
        const inMocha = await serializeProvider(credentialGenerationProvider);
        const ctx = principal("servicePrincipal", "random-bytes");
        const checked = await host.check(urn("bad"), {}, withProvider(inMocha, { ...newInputs(ctx).inputs, clientId: "not-a-guid" }));
        assert.deepEqual(checked.failures.map((f) => f.property), ["clientId"]);
        assert.match(checked.failures[0].reason, /got "not-a-guid"/);
    });

    // ---- bad inputs -----------------------------------------------------------------------------------

    describe("bad-input catalogue", () => {
        before(async () => {
            await pulumi.runtime.setMocks({
                newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
                call: (args) => args.inputs,
            }, "addin-credentials", "reliability", false);
        });

        /** Check of a generation's inputs through the host: the failure on `property`, matching `reason`. */
        async function checkRefuses(name: string, property: string, reason: RegExp, overrides: Props): Promise<void> {
            emu.reset();
            const ctx = principal("servicePrincipal", "random-bytes");
            const news = { ...newInputs(ctx).inputs, ...overrides };
            const res = await host.check(urn("bad"), {}, withProvider(providerText, news));
            const failure = res.failures.find((f) => f.property === property);
            const message = failure?.reason ?? `no failure on ${property}: ${JSON.stringify(res.failures)}`;
            leaks.text(`check failure: ${name}`, res.failures);
            badInputs.push({ name: `Check: ${name}`, clear: failure !== undefined && reason.test(failure.reason), message });
            assert.ok(failure, message);
            assert.match(failure.reason, reason);
        }

        /** A constructor or config parser throws a message matching `reason`. */
        async function throwsClearly(name: string, reason: RegExp, fn: () => unknown): Promise<void> {
            let message = "(did not throw)";
            try {
                await fn();
            } catch (e) {
                message = (e as Error).message;
            }
            leaks.text(`thrown: ${name}`, message);
            badInputs.push({ name, clear: reason.test(message), message });
            assert.match(message, reason);
        }

        async function component(args: Partial<import("../components/addInCredentialSet").AddInCredentialSetArgs>): Promise<void> {
            const { AddInCredentialSet } = await import("../components/addInCredentialSet");
            new AddInCredentialSet(`bad-${++seq}`, {
                clientId: "11111111-2222-3333-4444-555555555555",
                firstGenerationStart: "2026-01-01",
                planningTime: "2026-02-01T00:00:00Z",
                ...args,
            });
        }

        it("refuses a malformed client id (Check, component, program config)", async () => {
            await checkRefuses("malformed clientId", "clientId", /clientId must be the add-in's client id, a GUID.*got "not-a-guid"/, { clientId: "not-a-guid" });
            await throwsClearly("AddInCredentialSet: malformed clientId", /clientId must be the add-in's client id, a GUID.*got "1234"/, () => component({ clientId: "1234" }));
            const { parseAddIns } = await import("../program/config");
            await throwsClearly("program config: malformed clientId", /addin-credentials:addins\[0\] \(crm\)\.clientId: clientId must be the add-in's client id, a GUID.*got "crm"/,
                () => parseAddIns([{ name: "crm", clientId: "crm", firstGenerationStart: "2026-01-01" }]));
        });

        it("refuses an unknown client id in Check (preview), naming it", async () => {
            const unknown = "99999999-8888-7777-6666-555555555555";
            await checkRefuses("unknown clientId", "clientId", new RegExp(`No service principal with client id \\(appId\\) ${unknown} exists`), { clientId: unknown });
        });

        it("refuses lifetimes out of range", async () => {
            await checkRefuses("lifetime over 1095 days", "endDateTime", /is more than 1095 days after startDateTime.*set it to \S+ or earlier/, {
                startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2030-01-01T00:00:00Z",
            });
            await throwsClearly("AddInCredentialSet: lifetimeDays 5000", /lifetimeDays must be a whole number of days from 2 to 1095; got 5000/, () => component({ lifetimeDays: 5000 }));
            await throwsClearly("AddInCredentialSet: lifetimeDays 1", /lifetimeDays must be a whole number of days from 2 to 1095; got 1/, () => component({ lifetimeDays: 1 }));
        });

        it("refuses an end before the start", async () => {
            await checkRefuses("end before start", "endDateTime", /endDateTime \(2025-06-01T00:00:00Z\) must be after startDateTime \(2026-01-01T00:00:00Z\)/, {
                startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2025-06-01T00:00:00Z",
            });
        });

        it("refuses an unknown value source", async () => {
            await checkRefuses("unknown valueSource", "valueSource", /valueSource must be "random-bytes" or "entra-password"; got "certificate"/, { valueSource: "certificate", keyMaterial: undefined });
            await throwsClearly("AddInCredentialSet: unknown valueSource", /valueSource must be "random-bytes" or "entra-password"; got "certificate"/,
                () => component({ valueSource: "certificate" as "random-bytes" }));
        });

        it("refuses a revocation without a rotation to revoke for", async () => {
            await throwsClearly("AddInCredentialSet: revokePrevious before the first generation",
                /manualRotations\[0\]\.at \(2025-12-01T00:00:00\.000Z\) is before firstGenerationStart .*nothing to rotate yet/,
                () => component({ manualRotations: [{ at: "2025-12-01T00:00:00Z", revokePrevious: true }] }));
            await throwsClearly("AddInCredentialSet: revokePrevious inside the propagation window of generation 0",
                /two rotations inside one propagation window/,
                () => component({ manualRotations: [{ at: "2026-01-01T06:00:00Z", revokePrevious: true }] }));
        });

        it("refuses key material that is not 32 bytes, without echoing it", async () => {
            const notKey = crypto.randomBytes(24).toString("base64");
            leaks.secret("bad keyMaterial", notKey);
            await checkRefuses("keyMaterial of 24 bytes", "keyMaterial", /32 bytes/, { keyMaterial: notKey });
        });

        it("refuses an unmanaged cleanup that would remove the app's current (adopted) secret, and removes nothing", async () => {
            // GIVEN the secret the app uses today: unmanaged Sign + Verify keys ending 2027-12-01
            emu.reset();
            const { credentialInventoryProvider, CREDENTIAL_INVENTORY_MODULE, CREDENTIAL_INVENTORY_TYPE } = await import("../components/credentialInventory");
            const inventoryText = await serializeOutsideMocha(credentialInventoryProvider);
            leaks.text("serialized inventory provider text", inventoryText);
            const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
            const key = crypto.randomBytes(32).toString("base64");
            leaks.secret("adopted secret", key);
            const adopted = emu.tenant.seedCredentials(sp.id, {
                keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric" as const, usage, key, startDateTime: "2024-12-01T00:00:00Z", endDateTime: "2027-12-01T00:00:00Z" })),
            });
            // WHEN an inventory with cleanup "unmanaged" is created for the set that adopted it
            const invUrn = dynamicUrn("hr-portal-inventory", CREDENTIAL_INVENTORY_MODULE, CREDENTIAL_INVENTORY_TYPE);
            const news = {
                clientId: sp.appId, setName: "hr-portal", declaredDisplayNames: [], cleanup: "unmanaged",
                adoptedKeyIds: adopted.keyCredentials, adoptedSecretEndDateTime: "2027-12-01T00:00:00Z",
            };
            const checked = await host.check(invUrn, {}, withProvider(inventoryText, news));
            assert.deepEqual(checked.failures, []);
            // THEN it fails naming the keys and why, and both keys are still there
            await throwsClearly("CredentialInventory: cleanup \"unmanaged\" would remove the adopted secret",
                /cleanup refused, nothing was removed\. cleanup would remove key \S+ \(Symmetric\/(Sign|Verify)\), key \S+ \(Symmetric\/(Sign|Verify)\): the adopted secret the app uses today/,
                () => host.create(invUrn, checked.inputs));
            assert.equal(emu.tenant.credentials(sp.id).keyCredentials.length, 2, "nothing removed");
        });
    });

    // ---- leaks ------------------------------------------------------------------------------------------

    it("leaks no secret into any log line, error message, non-secret output or provider text", () => {
        for (const [i, h] of hosts.entries()) {
            leaks.text(`host ${i} stdout`, h.stdout());
            leaks.text(`host ${i} stderr`, h.stderr());
        }
        for (const cell of cells) {
            leaks.text(`matrix row ${cell.fault}/${cell.op}`, cell);
        }
        const counts = leaks.counts;
        assert.ok(counts.secrets > 100, `the scan saw the run's secrets (${counts.secrets})`);
        const findings = leaks.scan();
        leakCount = findings.length;
        assert.deepEqual(findings, []);
    });

    // ---- the record -------------------------------------------------------------------------------------

    function printRecord(): void {
        if (cells.length === 0) {
            return;
        }
        console.log("\n    Fault matrix (operation / fault / target / outcome / notes):");
        for (const c of cells) {
            const status = c.violations.length === 0 ? "ok " : "BAD";
            console.log(`      ${status} ${c.op.padEnd(8)} ${c.fault.padEnd(46)} ${c.combo.padEnd(32)} ${c.outcome}${c.notes.length ? `  [${c.notes.join("; ")}]` : ""}`);
            for (const v of c.violations) console.log(`            ${v}`);
        }
        for (const b of badInputs) {
            console.log(`      bad input ${b.clear ? "clear  " : "UNCLEAR"} ${b.name}: ${firstLine(b.message)}`);
        }
        for (const p of pendingBadInputs) {
            console.log(`      bad input pending ${p}`);
        }
        const survived = cells.filter((c) => c.violations.length === 0).length;
        const clear = badInputs.filter((b) => b.clear).length;
        const leaksText = leakCount < 0 ? "not scanned" : String(leakCount);
        console.log(
            `\n    reliability: faults injected ${cells.length} / survived ${survived}, bad inputs ${badInputs.length} / clear errors ${clear}` +
                `${pendingBadInputs.length ? ` (+${pendingBadInputs.length} pending)` : ""}, leaks found ${leaksText}`,
        );
    }
});

function must<T>(v: T | undefined): T {
    assert.ok(v !== undefined);
    return v;
}

function firstLine(s: string | undefined): string {
    const line = (s ?? "").split("\n")[0];
    return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
