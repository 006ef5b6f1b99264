// What a real `pulumi up` of the repository's program (index.ts) costs, through the engine
// stand-in (engine/: a preview, then the update, each in a fresh provider process, refresh first
// as Pulumi.yaml says) against the Graph emulator:
//   - `dayRequests`: the Graph requests of a whole day's `up` per add-in (a day with nothing to
//     do, the onboarding day, a creation day, a rotation day, a removal day), next to the API
//     minimum of that day;
//   - `stateBytes`: the checkpoint's size per add-in, every add-in holding two generations;
//   - `fleetRotation`: the rotation day of 1,000 add-ins in one stack, at the engine's default
//     parallelism, under Graph's documented throttling, against the floor computed from the API
//     minimum.
// Used by bench/bench.ts; nothing here is a test.
import { ChildProcess, fork } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { graphEnv } from "../components/graph/env";
import type { RunResult } from "../engine/deployment";
import { EngineStack, freshProcesses, HostSource } from "../engine/stack";
import { Checkpoint, checkpointJson } from "../engine/state";
import { PROGRAM_PATH, startLab } from "../tools/lab";
import type { GraphProcessOp } from "./graphProcess";
import { median, round } from "./numbers";

const DAY = 86_400_000;
/** The first generation's start of every add-in. */
const T0 = Date.parse("2026-11-26T06:00:00Z");
/** Days between generations with the defaults: ceil((1095 + 7) / 2) (README "The rotation timeline"). */
const INTERVAL = 551;
/** The days of the schedule, from T0. */
const SCHEDULE = { onboarding: 0, quiet: 10, creation: INTERVAL, quietTwoGenerations: INTERVAL + 9, rotation: 2 * INTERVAL, removal: 2 * INTERVAL + 8 } as const;

/** `pulumi up`'s default parallelism (pkg/cmd/pulumi/operations/up.go `defaultParallel`), as EngineStack applies it. */
export const DEFAULT_PARALLEL = os.availableParallelism() * 4;

/**
 * Graph's throttling of the identity and access service (Microsoft Graph docs, "Microsoft Graph
 * service-specific throttling limits", section "Identity and access service limits"; a token
 * bucket per application + tenant pair): a resource-unit quota of 8,000 per 10 seconds for a
 * large tenant (above 500 users; 5,000 medium, 3,500 small), every request costing 1 here (a GET
 * of servicePrincipals or applications by id with $select: base cost 1, $select -1, never below
 * 1; POST and PATCH: 1), and a write quota of 3,000 per 2 minutes 30 seconds that every POST and
 * PATCH also costs 1. The application-wide (150,000 / 20 s; 70,000 writes / 5 min) and tenant-wide
 * (18,000 writes / 5 min) quotas are looser for one deploying identity. As token buckets that
 * start full (the daily job finds its quota unused): capacity = the quota, refill = quota / window.
 */
export const GRAPH_THROTTLE = {
    source: "learn.microsoft.com/graph/throttling-limits, Identity and access service limits (application + tenant pair, large tenant)",
    resourceUnits: { capacity: 8000, refillPerSecond: 800 },
    writes: { capacity: 3000, refillPerSecond: 20 },
} as const;

// ---- API minimum of a day --------------------------------------------------------------------

/** Per add-in, what a day's `up` must send to Graph at least, and why. */
export interface DayMinimum {
    /** Reads of refresh: each dynamic resource of the old checkpoint once, in the preview and again in the update. */
    readonly refreshReads: number;
    /** Reads and writes the day's change itself needs. */
    readonly changeReads: number;
    readonly changeWrites: number;
    readonly total: number;
    readonly derivation: string;
}

/**
 * The API minimum of each day, per add-in (application-backed: `resolve` is 2 GETs, the
 * principal and its application; Legacy: 1). Refresh (Pulumi.yaml `refresh: always`; engine
 * rule 2) reads every dynamic resource of the old checkpoint once in the preview and once in the
 * update: a generation slot holds one generation, and the inventory is one resource more. The
 * change: an object the stored state knows needs no resolve; keyCredentials is replaced as a
 * whole (no ETag), so one read gives the merge base; a password can only be added by addPassword
 * and removed by removePassword, one each; the keys of both generations fit in ONE PATCH: the
 * collection is written whole, and the retired generation is past its end plus the grace period,
 * so nothing has to see the new keys before the retired ones go. Confirmation reads are not part
 * of the minimum.
 */
export function dayMinimum(day: keyof typeof SCHEDULE, resolve: 1 | 2): DayMinimum {
    const make = (refreshReads: number, changeReads: number, changeWrites: number, derivation: string): DayMinimum => ({
        refreshReads, changeReads, changeWrites, total: refreshReads + changeReads + changeWrites, derivation,
    });
    switch (day) {
        case "onboarding":
            return make(0, resolve + 1, 2, `no refresh (empty stack); resolve (${resolve}) + 1 read (merge base) + addPassword + 1 PATCH adding Sign and Verify`);
        case "quiet":
            return make(4, 0, 0, "refresh: 2 dynamic resources (slot a, inventory) x 2 runs (preview, update)");
        case "creation":
            return make(4, 1, 2, "refresh 2 x 2; 1 read (merge base) + addPassword + 1 PATCH adding the new generation's two keys");
        case "quietTwoGenerations":
            return make(6, 0, 0, "refresh: 3 dynamic resources (slots a and b, inventory) x 2 runs");
        case "rotation":
            return make(6, 1, 3, "refresh 3 x 2; 1 read (merge base) + addPassword + 1 PATCH (adds the new generation's two keys and drops the retired one's) + removePassword (retired)");
        case "removal":
            return make(6, 0, 0, "refresh 3 x 2; the add-in leaves the stack: its slots are retainOnDelete and the inventory's delete removes nothing, so no write");
    }
}

// ---- a day's requests per add-in ------------------------------------------------------------

type Kind = "servicePrincipal" | "application";
type Source = "random-bytes" | "entra-password";

/**
 * One stack with `perCombination` add-ins of each target kind and value source, run through
 * the schedule's days (each a full `up`: preview + update, in fresh provider processes; no
 * latency, no throttling, retry base 0: counts do not depend on them). Requests are attributed
 * to an add-in by its object id or client id in the path; the figure is the median over the
 * add-ins of a kind (the value source changes no count: both are reported).
 */
export async function dayRequests(perCombination = 3): Promise<Record<string, unknown>[]> {
    const lab = await startLab({ client: { retryBaseMs: 0, maxAttempts: 4 } });
    try {
        const emu = lab.emu;
        const marks: number[] = [];
        const hosts = markingHosts(lab.hosts, () => void marks.push(emu.requests.length));
        const addIns: { name: string; clientId: string; kind: Kind; source: Source; ids: string[] }[] = [];
        for (const kind of ["servicePrincipal", "application"] as const) {
            for (const source of ["random-bytes", "entra-password"] as const) {
                for (let i = 0; i < perCombination; i++) {
                    const name = `${kind === "servicePrincipal" ? "legacy" : "app"}-${source === "random-bytes" ? "rb" : "ep"}-${i}`;
                    if (kind === "servicePrincipal") {
                        const sp = emu.tenant.addLegacyServicePrincipal({ displayName: name });
                        addIns.push({ name, clientId: sp.appId, kind, source, ids: [sp.appId, sp.id] });
                    } else {
                        const app = emu.tenant.addApplication({ displayName: name });
                        addIns.push({ name, clientId: app.appId, kind, source, ids: [app.appId, app.applicationId, app.servicePrincipalId] });
                    }
                }
            }
        }
        // An add-in that stays when the others leave on the removal day (a stack needs one).
        const anchor = emu.tenant.addLegacyServicePrincipal({ displayName: "anchor" });
        const entry = (a: { name: string; clientId: string; source?: Source }) => ({ name: a.name, clientId: a.clientId, firstGenerationStart: new Date(T0).toISOString(), valueSource: a.source ?? "random-bytes" });
        const stack = new EngineStack({ programPath: PROGRAM_PATH, projectDir: path.dirname(PROGRAM_PATH), hosts, stack: "days" });
        const rows: Record<string, unknown>[] = [];
        for (const day of Object.keys(SCHEDULE) as (keyof typeof SCHEDULE)[]) {
            const at = T0 + SCHEDULE[day] * DAY;
            emu.clock.freeze(new Date(at));
            const declared = day === "removal" ? [] : addIns;
            marks.length = 0;
            const up = await stack.up({ config: programConfig([...declared.map(entry), entry({ name: "anchor", clientId: anchor.appId })], at) });
            if (up.exitCode !== 0 || up.planMismatch !== undefined) {
                throw new Error(`days: the ${day} day's up failed: ${up.error ?? JSON.stringify(up.planMismatch)}`);
            }
            const end = emu.requests.length;
            const phase = (from: number, to: number, ids: string[]) => emu.requests.slice(from, to).filter((r) => ids.some((id) => r.path.includes(id)));
            for (const kind of ["servicePrincipal", "application"] as const) {
                for (const source of ["random-bytes", "entra-password"] as const) {
                    const of = addIns.filter((a) => a.kind === kind && a.source === source);
                    const preview = of.map((a) => phase(marks[0], marks[1], a.ids));
                    const update = of.map((a) => phase(marks[1], end, a.ids));
                    const min = dayMinimum(day, kind === "servicePrincipal" ? 1 : 2);
                    const total = median(of.map((_, i) => preview[i].length + update[i].length));
                    rows.push({
                        day, date: new Date(at).toISOString().slice(0, 10), kind, valueSource: source, addIns: of.length,
                        preview: median(preview.map((p) => p.length)), update: median(update.map((u) => u.length)), requests: total,
                        writes: median(of.map((_, i) => [...preview[i], ...update[i]].filter((r) => r.method !== "GET").length)),
                        apiMinimum: min.total, apiMinimumWrites: min.changeWrites, ratio: round(total / Math.max(1, min.total), 2), derivation: min.derivation,
                        // One add-in's sequence, as the log names the operations.
                        previewSequence: preview[0].map((r) => r.operation.split(".")[1]).join(" "),
                        updateSequence: update[0].map((r) => r.operation.split(".")[1]).join(" "),
                    });
                }
            }
        }
        return rows;
    } finally {
        await lab.close();
    }
}

// ---- state bytes ----------------------------------------------------------------------------

/**
 * The checkpoint (engine/state.ts `checkpointJson`, what a backend stores) after the update that
 * gives every add-in its second generation, divided by the number of add-ins: `count` Legacy
 * principals in the emulator, the program run with `pulumi up --skip-preview` on the onboarding
 * and the creation day (no latency, retry base 0).
 */
export async function stateBytes(count: number): Promise<StateSize> {
    const lab = await startLab({ client: { retryBaseMs: 0, maxAttempts: 4 } });
    try {
        const principals = Array.from({ length: count }, (_, i) => lab.emu.tenant.addLegacyServicePrincipal({ displayName: `add-in ${i}` }));
        const stack = lab.newStack({ stack: "state" });
        const config = (at: number) => programConfig(fleetEntries(principals), at);
        for (const day of [SCHEDULE.onboarding, SCHEDULE.creation]) {
            const at = T0 + day * DAY;
            lab.emu.clock.freeze(new Date(at));
            const run = await stack.update({ config: config(at), refresh: false });
            if (!run.ok) {
                throw new Error(`state bytes: the update of day ${day} failed: ${run.error ?? ""}`);
            }
        }
        return stateOf(stack.checkpoint, count);
    } finally {
        await lab.close();
    }
}

/** A checkpoint's size. */
export interface StateSize {
    readonly count: number;
    readonly bytes: number;
    readonly bytesPerAddIn: number;
    readonly resources: number;
}

function stateOf(checkpoint: Checkpoint, count: number): StateSize {
    const bytes = Buffer.byteLength(checkpointJson(checkpoint));
    return { count, bytes, bytesPerAddIn: Math.round(bytes / count), resources: checkpoint.resources.length };
}

// ---- the fleet rotation ---------------------------------------------------------------------

/** Settings of {@link fleetRotation}. */
export interface FleetOptions {
    readonly addIns: number;
    /** Latency of every Graph request, in milliseconds. */
    readonly latencyMs: number;
    /** Write a CPU profile of this process (the harness: program, engine, gRPC client) to this directory. */
    readonly profileDir?: string;
}

/**
 * The rotation day of `addIns` add-ins, each on its own Legacy principal, in ONE stack of the
 * repository's program:
 * 1. setup, not measured: the onboarding day (generation 0 in slot a) and the creation day
 *    (generation 1 in slot b), each an `up --skip-preview` without refresh, without latency or
 *    throttling, retry base 0;
 * 2. measured: the rotation day's `pulumi up` (preview, then update; fresh provider processes;
 *    parallelism the engine's default) with the product's Graph client settings (retry base
 *    1,000 ms, 6 attempts, Retry-After honoured), `latencyMs` on every request and Graph's two
 *    quotas ({@link GRAPH_THROTTLE}), the emulator in its own process (bench/graphProcess.ts);
 * 3. checked: the up succeeded, the update did what its preview planned, and every object holds
 *    exactly the entries of generations 1 and 2 that the checkpoint records (generation 0 gone).
 */
export async function fleetRotation(options: FleetOptions): Promise<Record<string, unknown>> {
    const n = options.addIns;
    const graph = await startGraphProcess();
    const saved = { ...process.env };
    // Every host source this run opens, closed at the end whatever happened (a source keeps the
    // next run's process started).
    const sources: HostSource[] = [];
    try {
        const principals = await graph.call<{ id: string; appId: string }[]>({ op: "addLegacyServicePrincipals", args: { count: n } });
        const entries = fleetEntries(principals);
        const config = (day: number) => programConfig(entries, T0 + day * DAY);

        // 1. generations 0 and 1, fast
        const setupEnv = graphEnv({ url: graph.url, token: graph.token, retryBaseMs: 0, maxAttempts: 4 });
        Object.assign(process.env, setupEnv);
        const setupHosts = freshProcesses({ env: setupEnv });
        sources.push(setupHosts);
        const setup = new EngineStack({ programPath: PROGRAM_PATH, projectDir: path.dirname(PROGRAM_PATH), hosts: setupHosts, stack: "fleet" });
        const setupStarted = performance.now();
        for (const day of [SCHEDULE.onboarding, SCHEDULE.creation]) {
            await graph.call({ op: "freezeClock", args: { at: new Date(T0 + day * DAY).toISOString() } });
            const run = await setup.update({ config: config(day), refresh: false });
            if (!run.ok) {
                throw new Error(`fleet setup: the update of day ${day} failed: ${run.error ?? ""}`);
            }
        }
        await setupHosts.close();
        const setupSeconds = (performance.now() - setupStarted) / 1000;
        const stateTwoGenerations = stateOf(setup.checkpoint, n);

        // 2. the rotation day, as the deploy job runs it
        const env = graphEnv({ url: graph.url, token: graph.token });
        for (const k of Object.keys(setupEnv)) delete process.env[k];
        Object.assign(process.env, env);
        await graph.call({ op: "freezeClock", args: { at: new Date(T0 + SCHEDULE.rotation * DAY).toISOString() } });
        await graph.call({ op: "faults", args: { latencyMs: options.latencyMs, resourceUnits: GRAPH_THROTTLE.resourceUnits, writes: GRAPH_THROTTLE.writes } });
        const marks: number[] = [];
        const runStarts: number[] = [];
        const hostCpu: number[] = [];
        const hosts = markingHosts(freshProcesses({ env }), async () => {
            runStarts.push(performance.now());
            marks.push(await graph.call<number>({ op: "requestCount", args: {} }));
        }, hostCpu);
        sources.push(hosts);
        const stack = new EngineStack({ programPath: PROGRAM_PATH, projectDir: path.dirname(PROGRAM_PATH), hosts, stack: "fleet", checkpoint: setup.checkpoint });
        const stopProfile = options.profileDir ? await startProfile() : undefined;
        const cpu0 = process.cpuUsage();
        const graphCpu0 = await graph.call<number>({ op: "cpuMs", args: {} });
        const t0 = performance.now();
        const up = await stack.up({ config: config(SCHEDULE.rotation) });
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const graphCpuMs = (await graph.call<number>({ op: "cpuMs", args: {} })) - graphCpu0;
        if (stopProfile && options.profileDir) {
            await stopProfile(path.join(options.profileDir, `fleet-${n}-harness.cpuprofile`));
        }
        await graph.call({ op: "faults", args: { latencyMs: 0, resourceUnits: null, writes: null } });
        await hosts.close();

        // 3. the checks
        const log = await graph.call<{ method: string; operation: string; status: number | null }[]>({ op: "requests", args: { from: marks[0] } });
        const previewLog = log.slice(0, marks[1] - marks[0]);
        const updateLog = log.slice(marks[1] - marks[0]);
        const holdings = await graph.call<Holding[]>({ op: "holdings", args: { objectIds: principals.map((p) => p.id) } });
        const wrong = wrongObjects(stack.checkpoint, entries, principals, holdings);
        const failures = failedAddIns(up.update, up.preview, entries);

        // The floor (see fleetFloor) against what happened.
        const floor = fleetFloor(n, options.latencyMs, DEFAULT_PARALLEL);
        const throttled = log.filter((r) => r.status === 429).length;
        const served = log.length - throttled;
        const summary = (l: typeof log) => ({
            requests: l.length, reads: l.filter((r) => r.method === "GET").length, writes: l.filter((r) => r.method !== "GET").length,
            responses429: l.filter((r) => r.status === 429).length,
        });
        return {
            addIns: n, parallel: DEFAULT_PARALLEL, latencyMs: options.latencyMs, throttle: GRAPH_THROTTLE,
            graphClient: { retryBaseMs: 1000, maxAttempts: 6, retryAfterHonoured: true },
            setupSeconds: round(setupSeconds, 1),
            exitCode: up.exitCode, error: up.error?.slice(0, 500), planMismatch: up.planMismatch !== undefined,
            failures: failures.length, failedAddIns: failures.slice(0, 5),
            objectsNotHoldingExactlyTheirGenerations: wrong.length, wrongObjects: wrong.slice(0, 5),
            seconds: round(seconds, 1),
            previewSeconds: round((runStarts[1] - runStarts[0]) / 1000, 1), updateSeconds: round((t0 + seconds * 1000 - runStarts[1]) / 1000, 1),
            floorSeconds: round(floor.seconds, 1), ratioToFloor: round(seconds / floor.seconds, 2), floor,
            requests: log.length, requestsServed: served, responses429: throttled, requestsPerAddIn: round(log.length / n, 2),
            apiMinimumRequests: floor.requests, ratioToApiMinimum: round(log.length / floor.requests, 2),
            preview: { ...summary(previewLog), ...secondsOf(up.preview) }, update: { ...summary(updateLog), ...(up.update ? secondsOf(up.update) : {}) },
            cpuSeconds: { harness: round((cpu.user + cpu.system) / 1e6, 1), providerHosts: hostCpu.map((ms) => round(ms / 1000, 1)), graph: round(graphCpuMs / 1000, 1) },
            stateTwoGenerations, stateAfterRotation: stateOf(stack.checkpoint, n),
        };
    } finally {
        for (const k of Object.keys(process.env)) {
            if (!(k in saved)) delete process.env[k];
        }
        Object.assign(process.env, saved);
        await Promise.all(sources.map((h) => h.close()));
        await graph.stop();
    }
}

/**
 * The time floor of the rotation day from its API minimum ({@link dayMinimum} "rotation", Legacy
 * principals): requests R = 10 per add-in (6 refresh reads, 1 merge-base read, 3 writes), writes
 * W = 3. Each quota's bucket starts full, so it can hold the day back by at most (its requests -
 * its capacity) / its refill rate; the latency alone costs R x latency / parallelism, as a step
 * has one request in flight and at most `parallel` steps run at once. The floor is the largest.
 */
export function fleetFloor(addIns: number, latencyMs: number, parallel: number): Record<string, unknown> & { seconds: number; requests: number } {
    const min = dayMinimum("rotation", 1);
    const requests = addIns * min.total;
    const writes = addIns * min.changeWrites;
    const ru = GRAPH_THROTTLE.resourceUnits;
    const wq = GRAPH_THROTTLE.writes;
    const parts = {
        resourceUnitQuotaSeconds: Math.max(0, requests - ru.capacity) / ru.refillPerSecond,
        writeQuotaSeconds: Math.max(0, writes - wq.capacity) / wq.refillPerSecond,
        latencySeconds: (requests * latencyMs) / 1000 / parallel,
    };
    const seconds = Math.max(...Object.values(parts));
    return {
        seconds, requests, writes, perAddIn: { requests: min.total, writes: min.changeWrites, derivation: min.derivation },
        ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v, 2)])),
        derivation:
            `R = ${addIns} x ${min.total} = ${requests} requests (${writes} writes); max((R - ${ru.capacity}) / ${ru.refillPerSecond} per s, ` +
            `(W - ${wq.capacity}) / ${wq.refillPerSecond} per s, R x ${latencyMs} ms / ${parallel}) = max(${round(parts.resourceUnitQuotaSeconds, 1)}, ` +
            `${round(parts.writeQuotaSeconds, 1)}, ${round(parts.latencySeconds, 1)}) s`,
    };
}

interface Holding {
    objectId: string;
    keys: { keyId: string; usage: string; displayName: string }[];
    passwords: { keyId: string; displayName: string }[];
}

/** Objects whose entries are not exactly the Sign, Verify and Password of the generations the checkpoint records for their add-in. */
function wrongObjects(checkpoint: Checkpoint, entries: { name: string }[], principals: { id: string }[], holdings: Holding[]): string[] {
    const byObject = new Map(holdings.map((h) => [h.objectId, h]));
    const wrong: string[] = [];
    entries.forEach((e, i) => {
        const gens = checkpoint.resources.filter((r) => r.type.endsWith(":CredentialGeneration") && !r.delete && (r.name === `${e.name}-slot-a` || r.name === `${e.name}-slot-b`));
        const names = gens.map((g) => String(g.outputs.displayName)).sort();
        const expectKeys = gens.flatMap((g) => [String(g.outputs.signKeyId), String(g.outputs.verifyKeyId)]).sort();
        const expectPasswords = gens.map((g) => String(g.outputs.passwordKeyId)).sort();
        const h = byObject.get(principals[i].id);
        const ok = h !== undefined && names.length === 2 && names.every((d) => !d.includes("/gen-0/"))
            && JSON.stringify(h.keys.map((k) => k.keyId).sort()) === JSON.stringify(expectKeys)
            && JSON.stringify(h.passwords.map((p) => p.keyId).sort()) === JSON.stringify(expectPasswords);
        if (!ok) {
            wrong.push(`${e.name}: declared ${names.join(", ")}; holds ${h ? [...h.keys.map((k) => `${k.usage} ${k.displayName}`), ...h.passwords.map((p) => `Password ${p.displayName}`)].join(", ") : "nothing"}`);
        }
    });
    return wrong;
}

/** Add-ins a failed run names (the engine's error lists each failed resource). */
function failedAddIns(update: RunResult | undefined, preview: RunResult, entries: { name: string }[]): string[] {
    const errors = [preview.error, update?.error].filter((e): e is string => e !== undefined).join("\n");
    if (errors === "" && (update?.ok ?? false)) {
        return [];
    }
    const named = entries.filter((e) => new RegExp(`::${e.name}(-|$)`).test(errors)).map((e) => e.name);
    return named.length > 0 ? named : ["(the run failed without naming an add-in)"];
}

// ---- the emulator in a child process ----------------------------------------------------------

interface GraphProcess {
    readonly url: string;
    readonly token: string;
    call<T = unknown>(request: GraphProcessOp): Promise<T>;
    stop(): Promise<void>;
}

async function startGraphProcess(): Promise<GraphProcess> {
    const child: ChildProcess = fork(path.join(__dirname, "graphProcess.ts"), [], {
        cwd: path.resolve(__dirname, ".."),
        execArgv: ["-r", "ts-node/register/transpile-only"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
    let next = 1;
    child.on("message", (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.ok) w?.resolve(m.value);
        else w?.reject(new Error(`graph process: ${m.error ?? "failed"}`));
    });
    const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
        waiting.set(0, { resolve: (v) => resolve(v as { url: string; token: string }), reject });
        child.once("exit", (code) => reject(new Error(`graph process exited with ${String(code)} before it was ready`)));
    });
    return {
        ...ready,
        call<T>(request: GraphProcessOp): Promise<T> {
            const id = next++;
            return new Promise<T>((resolve, reject) => {
                waiting.set(id, { resolve: (v) => resolve(v as T), reject });
                child.send({ ...request, id });
            });
        },
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                await new Promise<void>((resolve) => {
                    child.once("exit", () => resolve());
                    child.disconnect();
                });
            }
        },
    };
}

// ---- helpers ------------------------------------------------------------------------------------

/** A run's phase timings (engine/deployment.ts `RunTimings`) in seconds. */
function secondsOf(run: RunResult): Record<string, number> {
    return Object.fromEntries(Object.entries(run.timings).map(([k, ms]) => [k.replace(/Ms$/, "Seconds"), round(ms / 1000, 1)]));
}

/** `addin-credentials:addins` for Legacy principals, all starting at T0, and the planning time. */
function fleetEntries(principals: { appId: string }[]): { name: string; clientId: string; firstGenerationStart: string }[] {
    return principals.map((p, i) => ({ name: `addin-${String(i).padStart(4, "0")}`, clientId: p.appId, firstGenerationStart: new Date(T0).toISOString() }));
}

function programConfig(addins: object[], atMs: number): Record<string, string> {
    return { "addin-credentials:addins": JSON.stringify(addins), "addin-credentials:planningTime": new Date(atMs).toISOString() };
}

/**
 * A host source that calls `onAcquire` when a run takes its provider process (the preview's,
 * then the update's), and notes the process's CPU time in ms in `cpuMs` when the run gives it back.
 */
function markingHosts(inner: HostSource, onAcquire: () => void | Promise<void>, cpuMs: number[] = []): HostSource {
    return {
        async acquire() {
            await onAcquire();
            const lease = await inner.acquire();
            return {
                host: lease.host,
                async release() {
                    cpuMs.push(processCpuMs(lease.host.pid));
                    await lease.release();
                },
            };
        },
        close: () => inner.close(),
    };
}

/** User + system CPU time of a process, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number): number {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
    } catch {
        return Number.NaN;
    }
}

/** Starts the V8 profiler of this process; the returned function writes the profile. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
    const inspector = await import("node:inspector/promises");
    const session = new inspector.Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    return async (file) => {
        const { profile } = await session.post("Profiler.stop");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(profile));
        session.disconnect();
    };
}

