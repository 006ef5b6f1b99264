// npm run bench: what the project costs, measured in this run, next to the limits.
//   1. Graph requests per provider operation (check, create, refresh, rotation, removal) for both
//      value sources on both target kinds, next to the API minimum plus the confirmation reads;
//      and per add-in for a whole day's `pulumi up` (preview + update, through the engine
//      stand-in) on a day with nothing to do, the onboarding day, a creation day, a rotation day
//      and a removal day, next to that day's API minimum (bench/upBench.ts `dayMinimum`).
//   2. Wall time per provider operation against the emulator with 50 ms injected latency, next
//      to requests x latency.
//   3. Program evaluation in mock mode for 1, 100 and 1,000 add-ins (a child process per
//      measurement, so peak RSS is its own), next to bare @pulumi/azuread ServicePrincipalPassword;
//      and the state (checkpoint) bytes per add-in, every add-in holding two generations.
//   4. The rotation day of 1,000 add-ins in one stack: a `pulumi up` through the engine stand-in at
//      its default parallelism, under Graph's documented throttling, with the product's retry
//      settings, against the floor computed from the API minimum (bench/upBench.ts `fleetFloor`).
//   5. The tenant-wide report's scan (`npm run inventory -- --all`) of 10,000 principals: Graph
//      requests and pages next to the paging minimum, wall time with and without latency.
// Writes bench/results.json. Not a test: nothing here passes or fails `npm test`.
//
// Environment: BENCH_REPS (repetitions per figure, default 5), BENCH_EVAL_REPS (default 3; the
// 1,000-add-in component evaluation runs once unless BENCH_EVAL_REPS_LARGE says otherwise),
// BENCH_EVAL_SIZES (default "1,100,1000"), BENCH_FLEET (add-ins of the fleet rotation, default
// 1000), BENCH_PROFILE_DIR (write a CPU profile of this process during the fleet's measured up),
// BENCH_TENANT (principals of the tenant scan, default 10000), BENCH_SECTIONS (comma-separated
// subset of operations,evaluation,fleet,tenant; default all: the sections not run keep their
// figures from the existing bench/results.json).
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CREDENTIAL_GENERATION_MODULE, CREDENTIAL_GENERATION_TYPE } from "../components/credentialGeneration";
import { graphEnv } from "../components/graph/env";
import { providerShim } from "../components/providerShim";
import { createGraphClient, graphClientOptionsFromEnv } from "../components/graph/client";
import { Emulator, PopulationState, startEmulator } from "../emulator";
import { findAddIns, reportAddIns } from "../tools/tenantReport";
import { SCAN_PAGE_SIZE, scanTenant } from "../tools/tenantScan";
import { dynamicUrn, ProviderHost, serializeProvider, startProviderHost, withProvider } from "../engine/providerHost";
import { Props } from "../engine/wire";
import { median, round } from "./numbers";
import { dayRequests, fleetRotation, stateBytes, StateSize } from "./upBench";
import { generationProps } from "../tools/lab";

type Kind = "servicePrincipal" | "application";
type Source = "random-bytes" | "entra-password";
type Op = "check (new clientId)" | "create" | "refresh" | "rotation" | "removal" | "diff (no Graph call)";

const REPS = positive("BENCH_REPS", 5);
const EVAL_REPS = positive("BENCH_EVAL_REPS", 3);
const EVAL_REPS_LARGE = positive("BENCH_EVAL_REPS_LARGE", 1);
const FLEET = positive("BENCH_FLEET", 1000);
const TENANT = positive("BENCH_TENANT", 10_000);
const ALL_SECTIONS = ["operations", "evaluation", "fleet", "tenant"] as const;
const SECTIONS = sections(process.env.BENCH_SECTIONS);
const LATENCY_MS = 50;

/** The API minimum of each operation: the calls nothing can avoid, and the confirmation reads. */
function minimum(op: Op, kind: Kind): { calls: number; confirm: number; derivation: string } {
    const resolve = kind === "servicePrincipal" ? 1 : 2;
    const resolveText = kind === "servicePrincipal" ? "resolve (1 GET servicePrincipals(appId))" : "resolve (GET servicePrincipals(appId) + GET applications(appId))";
    switch (op) {
        case "diff (no Graph call)":
            return { calls: 0, confirm: 0, derivation: "no Graph call: the host's own cost per gRPC call" };
        case "check (new clientId)":
            return { calls: resolve, confirm: 0, derivation: `${resolveText}` };
        case "create":
            return { calls: resolve + 3, confirm: 2, derivation: `${resolveText} + GET (merge base) + addPassword + PATCH keyCredentials; confirm: 2 consecutive GETs` };
        case "refresh":
            return { calls: 1, confirm: 0, derivation: "GET keyCredentials,passwordCredentials" };
        case "rotation":
            return { calls: resolve + 3 + 3, confirm: 2 + 4, derivation: "create new + removal of old; confirm: 2 + 2 + 2 GETs" };
        case "removal":
            return { calls: 3, confirm: 4, derivation: "GET (merge base) + PATCH keyCredentials + removePassword; confirm: 2 GETs after each write" };
    }
}

interface OpSample {
    requests: number;
    ms: number;
}

/** When and on what a section was measured. */
interface Machine {
    date: string;
    node: string;
    cpus: number;
    cpuModel: string;
    platform: string;
}

interface Results {
    date: string;
    node: string;
    cpus: number;
    cpuModel: string;
    platform: string;
    repetitions: { perOperation: number; evaluation: number; evaluationLarge: number };
    requests: Record<string, unknown>[];
    /** Graph requests per add-in of a whole day's `up`, next to that day's API minimum. */
    days: Record<string, unknown>[];
    wallTime: Record<string, unknown>[];
    evaluation: Record<string, unknown>;
    fleet: Record<string, unknown>;
    tenantScan: Record<string, unknown>;
    /** When and where each section's figures were measured (a partial run keeps the others'). */
    measured: Record<string, Machine>;
    totalSeconds: number;
}

async function main(): Promise<void> {
    const started = Date.now();
    const results: Results = {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? "unknown",
        platform: `${os.platform()} ${os.release()}`,
        repetitions: { perOperation: REPS, evaluation: EVAL_REPS, evaluationLarge: EVAL_REPS_LARGE },
        requests: [],
        days: [],
        wallTime: [],
        evaluation: {},
        fleet: {},
        tenantScan: {},
        measured: {},
        totalSeconds: 0,
    };
    const file = path.join(__dirname, "results.json");
    if (SECTIONS.length < ALL_SECTIONS.length && fs.existsSync(file)) {
        // A partial run keeps the other sections' figures (and says which sections it measured).
        const previous = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Results>;
        Object.assign(results, {
            requests: previous.requests ?? [], days: previous.days ?? [], wallTime: previous.wallTime ?? [], evaluation: previous.evaluation ?? {}, fleet: previous.fleet ?? {},
            tenantScan: previous.tenantScan ?? {},
            measured: previous.measured ?? Object.fromEntries(ALL_SECTIONS.filter((x) => x !== "tenant").map((x) => [x, machineOf(previous)])),
        });
    }
    for (const section of SECTIONS) {
        results.measured[section] = machineOf(results);
    }
    const emu = await startEmulator({ port: 0 });
    const providerText = await serializeProvider(providerShim("CredentialGeneration"));
    const env = graphEnv({ url: emu.url, token: emu.token });
    try {
        if (SECTIONS.includes("operations")) {
            await operations(emu, providerText, env, results);
        }
        // ---- 3: program evaluation in mock mode ---------------------------------------------------------
        // ---- 4: the rotation day of a fleet, under Graph's throttling ------------------------------
        // Before the evaluation, whose state-bytes figure for the fleet's size is the fleet's own.
        if (SECTIONS.includes("fleet")) {
            log(`fleet rotation: ${FLEET} add-ins in one stack, the rotation day's pulumi up at the engine's default parallelism`);
            results.fleet = await fleetRotation({ addIns: FLEET, latencyMs: LATENCY_MS, profileDir: process.env.BENCH_PROFILE_DIR || undefined });
        }
        if (SECTIONS.includes("evaluation")) {
            results.evaluation = { ...evaluation(), stateBytes: await stateBytesRows(SECTIONS.includes("fleet") ? (results.fleet as FleetState) : undefined) };
        }
        // ---- 5: the tenant-wide report's scan ---------------------------------------------------------
        if (SECTIONS.includes("tenant")) {
            results.tenantScan = await tenantScan(emu, env);
        }
    } finally {
        await emu.close();
    }
    results.totalSeconds = round((Date.now() - started) / 1000, 1);
    fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    printTable(results);
    log(`wrote ${path.relative(process.cwd(), file)} (sections ${SECTIONS.join(", ")}) in ${results.totalSeconds} s`);
}

/** Sections 1 and 2: requests and wall time per operation. */
async function operations(emu: Emulator, providerText: string, env: Record<string, string>, results: Results): Promise<void> {
    results.requests = [];
    results.wallTime = [];
    {
        // ---- 1 + 2: requests and wall time per operation -------------------------------------------
        // Base 0: the pauses between confirming reads are zero, so wall time is the requests'
        // own cost. Default base (1000 ms): what a real run waits between those reads.
        const fast = await startProviderHost({ env: { ...env, ADDIN_CREDENTIALS_RETRY_BASE_MS: "0" } });
        const real = await startProviderHost({ env });
        try {
            log(`requests and wall time: ${REPS} repetitions per operation, ${LATENCY_MS} ms latency on every Graph request`);
            for (const kind of ["servicePrincipal", "application"] as const) {
                for (const source of ["random-bytes", "entra-password"] as const) {
                    const samples = await measureOps(emu, fast, providerText, kind, source, REPS);
                    for (const [op, list] of samples) {
                        const requests = median(list.map((s) => s.requests));
                        const ms = median(list.map((s) => s.ms));
                        const min = minimum(op, kind);
                        if (op === "diff (no Graph call)") {
                            results.wallTime.push({ operation: op, kind, valueSource: source, retryBaseMs: 0, medianMs: round(ms, 1), requests, samplesMs: list.map((s) => round(s.ms, 1)) });
                            continue;
                        }
                        results.requests.push({
                            operation: op, kind, valueSource: source, requests, apiMinimum: min.calls, confirmationReads: min.confirm,
                            ratioToMinimumPlusConfirmation: round(requests / (min.calls + min.confirm), 2), ratioToMinimum: round(requests / min.calls, 2),
                            derivation: min.derivation,
                        });
                        results.wallTime.push({
                            operation: op, kind, valueSource: source, retryBaseMs: 0, medianMs: round(ms, 0), requests, requestsTimesLatencyMs: requests * LATENCY_MS,
                            ratio: round(ms / (requests * LATENCY_MS), 2), samplesMs: list.map((s) => round(s.ms, 0)),
                        });
                    }
                }
            }
            log("wall time with the default retry base (1000 ms between confirming reads), Legacy principal, random-bytes");
            const realSamples = await measureOps(emu, real, providerText, "servicePrincipal", "random-bytes", REPS);
            for (const [op, list] of realSamples) {
                if (op === "diff (no Graph call)") continue;
                const requests = median(list.map((s) => s.requests));
                const ms = median(list.map((s) => s.ms));
                results.wallTime.push({
                    operation: op, kind: "servicePrincipal", valueSource: "random-bytes", retryBaseMs: 1000, medianMs: round(ms, 0), requests,
                    requestsTimesLatencyMs: requests * LATENCY_MS, ratio: round(ms / (requests * LATENCY_MS), 2), samplesMs: list.map((s) => round(s.ms, 0)),
                });
            }
        } finally {
            await fast.stop();
            await real.stop();
        }
    }
    log("requests of a whole day's pulumi up (preview + update) per add-in, through the engine stand-in");
    results.days = await dayRequests(REPS);
}

// ---- per-operation measurement ------------------------------------------------------------------------

/**
 * Runs check, create, refresh, rotation and removal `reps` times on fresh principals, with
 * `LATENCY_MS` of latency on every Graph request, and counts the requests each one made.
 */
async function measureOps(emu: Emulator, host: ProviderHost, providerText: string, kind: Kind, source: Source, reps: number): Promise<Map<Op, OpSample[]>> {
    const out = new Map<Op, OpSample[]>();
    const add = (op: Op, s: OpSample): void => {
        out.set(op, [...(out.get(op) ?? []), s]);
    };
    for (let rep = 0; rep < reps; rep++) {
        emu.reset();
        emu.faults.latency(LATENCY_MS);
        const appId = kind === "servicePrincipal" ? emu.tenant.addLegacyServicePrincipal().appId : emu.tenant.addApplication().appId;
        const first = inputs(emu, appId, source, 1);
        const urnOf = (n: string): string => dynamicUrn(n, CREDENTIAL_GENERATION_MODULE, CREDENTIAL_GENERATION_TYPE);

        const checked = await timed(emu, () => host.check(urnOf("gen"), {}, withProvider(providerText, first)));
        add("check (new clientId)", checked.sample);
        const created = await timed(emu, () => host.create(urnOf("gen"), checked.value.inputs));
        add("create", created.sample);
        const gen = created.value;
        const refreshed = await timed(emu, () => host.read(gen.id, urnOf("gen"), gen.outs, checked.value.inputs));
        add("refresh", refreshed.sample);
        assertClean(refreshed.value.props);
        const diffed = await timed(emu, () => host.diff(gen.id, urnOf("gen"), gen.outs, withProvider(providerText, checked.value.inputs), checked.value.inputs));
        add("diff (no Graph call)", diffed.sample);

        // Rotation: the engine checks the new inputs against the old (same clientId: no Graph
        // call), creates the replacement, then deletes the old generation.
        const second = inputs(emu, appId, source, 2);
        const rotated = await timed(emu, async () => {
            const c = await host.check(urnOf("gen"), checked.value.inputs, withProvider(providerText, second));
            const next = await host.create(urnOf("gen"), c.inputs);
            await host.delete(gen.id, urnOf("gen"), gen.outs);
            return next;
        });
        add("rotation", rotated.sample);
        const removed = await timed(emu, () => host.delete(rotated.value.id, urnOf("gen"), rotated.value.outs));
        add("removal", removed.sample);
        emu.faults.latency(0);
    }
    return out;
}

async function timed<T>(emu: Emulator, fn: () => Promise<T>): Promise<{ value: T; sample: OpSample }> {
    const mark = emu.requests.length;
    const t0 = performance.now();
    const value = await fn();
    const ms = performance.now() - t0;
    const requests = emu.requests.slice(mark).filter((r) => !r.operation.startsWith("acs.")).length;
    return { value, sample: { requests, ms } };
}

function inputs(emu: Emulator, clientId: string, source: Source, n: number): Props {
    return generationProps(emu.clock.now(), clientId, source, `bench gen ${n} ${crypto.randomUUID()}`);
}

function assertClean(props: Props): void {
    if ((props.missing as unknown[]).length > 0 || (props.drift as unknown[]).length > 0) {
        throw new Error("bench: a fresh generation did not read back clean");
    }
}

// ---- mock-mode evaluation ------------------------------------------------------------------------------

interface EvalRun {
    variant: string;
    count: number;
    resources: number;
    wallMs: number;
    rssBeforeMb: number;
    peakRssMb: number;
}

const EVAL_SIZES = (process.env.BENCH_EVAL_SIZES ?? "1,100,1000").split(",").map(Number);

/** What the fleet section measured of its state before the rotation. */
type FleetState = { addIns: number; stateTwoGenerations: StateSize };

/**
 * State bytes per add-in for each evaluation size, every add-in holding two generations
 * (bench/upBench.ts `stateBytes`); the fleet's size is taken from the fleet section's setup when
 * it ran (the same measurement).
 */
async function stateBytesRows(fleet: FleetState | undefined): Promise<StateSize[]> {
    const rows: StateSize[] = [];
    for (const count of EVAL_SIZES) {
        log(`state bytes: ${count} add-in(s), two generations each`);
        rows.push(fleet?.addIns === count ? fleet.stateTwoGenerations : await stateBytes(count));
    }
    return rows;
}

function evaluation(): Record<string, unknown> {
    const sizes = EVAL_SIZES;
    const rows: Record<string, unknown>[] = [];
    const medians = new Map<string, { wallMs: number; peakRssMb: number }>();
    for (const variant of ["component", "azuread"] as const) {
        for (const count of sizes) {
            const reps = variant === "component" && count >= 1000 ? EVAL_REPS_LARGE : EVAL_REPS;
            const runs: EvalRun[] = [];
            for (let i = 0; i < reps; i++) {
                log(`mock-mode evaluation: ${variant} x ${count} (${i + 1}/${reps})`);
                runs.push(evalChild(variant, count));
            }
            const wallMs = median(runs.map((r) => r.wallMs));
            const peakRssMb = median(runs.map((r) => r.peakRssMb));
            medians.set(`${variant}/${count}`, { wallMs, peakRssMb });
            rows.push({
                variant, count, repetitions: reps, resources: runs[0].resources, medianWallMs: round(wallMs, 0), msPerAddIn: round(wallMs / count, 2),
                medianPeakRssMb: round(peakRssMb, 0), rssBeforeEvaluationMb: round(median(runs.map((r) => r.rssBeforeMb)), 0), samplesMs: runs.map((r) => round(r.wallMs, 0)),
            });
        }
    }
    const slope = (variant: string): number => {
        const a = medians.get(`${variant}/100`);
        const b = medians.get(`${variant}/1000`);
        return a && b ? round(Math.log(b.wallMs / a.wallMs) / Math.log(10), 3) : Number.NaN;
    };
    const ratios = sizes.map((count) => {
        const c = medians.get(`component/${count}`);
        const z = medians.get(`azuread/${count}`);
        return { count, wallRatio: c && z ? round(c.wallMs / z.wallMs, 2) : null, peakRssRatio: c && z ? round(c.peakRssMb / z.peakRssMb, 2) : null };
    });
    return { rows, scalingExponent: { component: slope("component"), azuread: slope("azuread"), target: 1.1 }, ratios };
}

function evalChild(variant: string, count: number): EvalRun {
    const script = path.join(__dirname, "mockEval.ts");
    const res = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", script, variant, String(count)], {
        cwd: path.resolve(__dirname, ".."),
        encoding: "utf8",
        maxBuffer: 256 * 2 ** 20,
    });
    const line = res.stdout.split("\n").reverse().find((l) => l.startsWith("{"));
    if (res.status !== 0 || line === undefined) {
        throw new Error(`mockEval ${variant} ${count} failed (${res.status}): ${res.stderr.slice(-2000)}`);
    }
    return JSON.parse(line) as EvalRun;
}

// ---- tenant scan ---------------------------------------------------------------------------------------

/** The state the report must give each seeded add-in state (checked on every run). */
const REPORT_STATE: Record<PopulationState, string> = { healthy: "ok", expiring: "expiring", down: "down", risky: "at-risk", managed: "ok" };

/**
 * The scan of `npm run inventory -- --all` (tools/tenantScan.ts + tools/tenantReport.ts, the
 * project's Graph client) over a seeded tenant of TENANT principals, REPS times without latency
 * and REPS times with LATENCY_MS per request. The paging minimum: every object must be read, a
 * page holds at most 999, and add-ins are matched to their applications in memory, so
 * ceil(servicePrincipals / 999) + ceil(applications / 999) requests.
 */
async function tenantScan(emu: Emulator, env: Record<string, string>): Promise<Record<string, unknown>> {
    emu.reset();
    const seeded = emu.tenant.seedPopulation({ principals: TENANT, seed: 7 });
    const spPages = Math.ceil(seeded.servicePrincipals / SCAN_PAGE_SIZE);
    const appPages = Math.ceil(seeded.applications / SCAN_PAGE_SIZE);
    const floor = spPages + appPages;
    const client = createGraphClient(graphClientOptionsFromEnv(env));
    const expected = new Map(seeded.addIns.map((a) => [a.appId, REPORT_STATE[a.state]]));
    const runs: { latencyMs: number; requests: number; pages: number; ms: number; addIns: number; misclassified: number }[] = [];
    for (const latencyMs of [0, LATENCY_MS]) {
        log(`tenant scan: ${TENANT} principals (${seeded.applications} applications, ${seeded.addIns.length} add-ins), ${REPS} repetitions, ${latencyMs} ms latency`);
        emu.faults.latency(latencyMs);
        for (let rep = 0; rep < REPS; rep++) {
            const mark = emu.requests.length;
            const t0 = performance.now();
            const scan = await scanTenant(client);
            const reports = reportAddIns(findAddIns(scan.servicePrincipals, scan.applications).addIns, emu.clock.now(), { warnDays: 30 });
            const ms = performance.now() - t0;
            const misclassified = reports.filter((r) => expected.get(r.clientId) !== r.state).length + Math.abs(expected.size - reports.length);
            runs.push({ latencyMs, requests: emu.requests.length - mark, pages: scan.pages.servicePrincipals + scan.pages.applications, ms, addIns: reports.length, misclassified });
        }
    }
    emu.faults.latency(0);
    const summary = (latencyMs: number) => {
        const of = runs.filter((r) => r.latencyMs === latencyMs);
        const requests = median(of.map((r) => r.requests));
        return {
            latencyMs, requests, pages: median(of.map((r) => r.pages)), medianMs: round(median(of.map((r) => r.ms)), 0), samplesMs: of.map((r) => round(r.ms, 0)),
            ratioToMinimum: round(requests / floor, 2), addInsListed: median(of.map((r) => r.addIns)), misclassified: Math.max(...of.map((r) => r.misclassified)),
            // The collections are read side by side, their pages one after the other: the latency alone costs the longer chain.
            latencyFloorMs: Math.max(spPages, appPages) * latencyMs,
        };
    };
    return {
        servicePrincipals: seeded.servicePrincipals, applications: seeded.applications, addIns: seeded.addIns.length, pageSize: SCAN_PAGE_SIZE,
        pagingMinimum: floor,
        minimumDerivation: `ceil(${seeded.servicePrincipals} service principals / ${SCAN_PAGE_SIZE}) + ceil(${seeded.applications} applications / ${SCAN_PAGE_SIZE}) = ${floor}: every object read once, ${SCAN_PAGE_SIZE} per page at most, add-ins matched to applications by appId in memory (no per-principal GET)`,
        runs: [summary(0), summary(LATENCY_MS)],
    };
}

// ---- output ------------------------------------------------------------------------------------------------

function printTable(r: Results): void {
    const lines: string[] = [];
    lines.push(`addin-credentials bench, ${r.date.slice(0, 10)}, node ${r.node}, ${r.cpus} CPU (${r.cpuModel}), ${r.platform}`);
    lines.push("");
    lines.push(`Graph requests per operation (median of ${r.repetitions.perOperation}; emulator request log)`);
    lines.push(row(["operation", "target", "value source", "requests", "API min", "+confirm", "ratio to min+confirm", "ratio to min"]));
    for (const q of r.requests) {
        lines.push(row([q.operation, q.kind, q.valueSource, q.requests, q.apiMinimum, q.confirmationReads, q.ratioToMinimumPlusConfirmation, q.ratioToMinimum]));
    }
    lines.push("API minimum: check = resolve (1 GET Legacy, 2 GETs app-backed); create = resolve + GET + addPassword + PATCH; refresh = 1 GET;");
    lines.push("removal = GET + PATCH + removePassword; rotation = create + removal. Confirmation reads: 2 consecutive GETs after each write.");
    lines.push("");
    lines.push(`Wall time per operation, ${LATENCY_MS} ms latency per request (median of ${r.repetitions.perOperation})`);
    lines.push(row(["operation", "target", "value source", "retry base", "median ms", "requests x 50 ms", "ratio"]));
    for (const w of r.wallTime) {
        lines.push(row([w.operation, w.kind, w.valueSource, `${String(w.retryBaseMs)} ms`, w.medianMs, w.requestsTimesLatencyMs ?? "-", w.ratio ?? "-"]));
    }
    lines.push("");
    const ev = r.evaluation as { rows: Record<string, unknown>[]; scalingExponent: Record<string, number>; ratios: Record<string, unknown>[] };
    if (ev.rows !== undefined) {
        lines.push("Program evaluation in mock mode (child process per run; index.ts with N add-ins, two generations each)");
        lines.push(row(["variant", "add-ins", "resources", "runs", "median ms", "ms / add-in", "peak RSS MB"]));
        for (const e of ev.rows) {
            lines.push(row([e.variant, e.count, e.resources, e.repetitions, e.medianWallMs, e.msPerAddIn, e.medianPeakRssMb]));
        }
        lines.push(`scaling exponent (log-log slope 100 -> 1000): component ${ev.scalingExponent.component}, azuread ${ev.scalingExponent.azuread} (target <= 1.1)`);
        lines.push(`component / azuread ServicePrincipalPassword: ${ev.ratios.map((x) => `${String(x.count)}: time ${String(x.wallRatio)}x, peak RSS ${String(x.peakRssRatio)}x`).join("; ")}`);
        lines.push("");
    }
    const st = (ev as { stateBytes?: StateSize[] }).stateBytes;
    if (st !== undefined) {
        lines.push(`State bytes per add-in (checkpoint JSON after the update that gives each add-in its second generation): ${st.map((x) => `${x.count}: ${x.bytesPerAddIn} B (${x.resources} resources)`).join("; ")}`);
        lines.push("");
    }
    if (r.days.length > 0) {
        lines.push("Graph requests of a whole day's pulumi up (preview + update) per add-in, random-bytes (entra-password is the same)");
        lines.push(row(["day", "target", "preview", "update", "total", "writes", "API minimum", "ratio"]));
        for (const d of r.days.filter((x) => x.valueSource === "random-bytes")) {
            lines.push(row([d.day, d.kind, d.preview, d.update, d.requests, d.writes, d.apiMinimum, d.ratio]));
        }
        lines.push("");
    }
    const f = r.fleet as Record<string, unknown> & { floor?: { derivation: string }; preview?: Record<string, number>; update?: Record<string, number> };
    if (f.floor !== undefined) {
        lines.push(`Fleet rotation: ${String(f.addIns)} add-ins in one stack, the rotation day's pulumi up, parallel ${String(f.parallel)}, ${String(f.latencyMs)} ms latency, Graph's quotas ${JSON.stringify(f.throttle)}`);
        lines.push(`  exit ${String(f.exitCode)}, failures ${String(f.failures)}, objects not holding exactly their generations ${String(f.objectsNotHoldingExactlyTheirGenerations)}, plan mismatch ${String(f.planMismatch)}`);
        lines.push(`  ${String(f.seconds)} s (preview ${String(f.previewSeconds)} s, update ${String(f.updateSeconds)} s) vs floor ${String(f.floorSeconds)} s: ratio ${String(f.ratioToFloor)}; floor = ${f.floor.derivation}`);
        lines.push(`  requests ${String(f.requests)} (${String(f.requestsPerAddIn)} per add-in; 429: ${String(f.responses429)}) vs API minimum ${String(f.apiMinimumRequests)}: ratio ${String(f.ratioToApiMinimum)}`);
        lines.push(`  phases: preview ${JSON.stringify(f.preview)}, update ${JSON.stringify(f.update)}; CPU seconds ${JSON.stringify(f.cpuSeconds)}`);
    }
    const t = r.tenantScan as { servicePrincipals?: number; applications?: number; addIns?: number; pagingMinimum?: number; minimumDerivation?: string; runs?: Record<string, unknown>[] };
    if (t.runs !== undefined) {
        lines.push("");
        lines.push(`Tenant scan (npm run inventory -- --all): ${String(t.servicePrincipals)} service principals, ${String(t.applications)} applications, ${String(t.addIns)} add-ins (median of ${r.repetitions.perOperation})`);
        lines.push(row(["latency", "requests", "pages", "paging min", "ratio", "median ms", "latency floor ms", "add-ins listed", "misclassified"]));
        for (const x of t.runs) {
            lines.push(row([`${String(x.latencyMs)} ms`, x.requests, x.pages, t.pagingMinimum, x.ratioToMinimum, x.medianMs, x.latencyFloorMs, x.addInsListed, x.misclassified]));
        }
        lines.push(`paging minimum: ${String(t.minimumDerivation)}`);
    }
    console.log(lines.join("\n"));
}

function row(cells: unknown[]): string {
    const widths = [22, 17, 15, 11, 10, 17, 21, 12];
    return "  " + cells.map((c, i) => String(c).padEnd(widths[i] ?? 10)).join(" ");
}

// ---- helpers -------------------------------------------------------------------------------------------------

function machineOf(r: Partial<Machine>): Machine {
    return { date: r.date ?? "unknown", node: r.node ?? "unknown", cpus: r.cpus ?? 0, cpuModel: r.cpuModel ?? "unknown", platform: r.platform ?? "unknown" };
}

function sections(raw: string | undefined): (typeof ALL_SECTIONS)[number][] {
    if (raw === undefined || raw.trim() === "") {
        return [...ALL_SECTIONS];
    }
    const names = raw.split(",").map((x) => x.trim());
    const unknown = names.filter((n) => !(ALL_SECTIONS as readonly string[]).includes(n));
    if (unknown.length > 0) {
        throw new Error(`BENCH_SECTIONS: unknown section(s) ${unknown.join(", ")}; use a comma-separated subset of ${ALL_SECTIONS.join(",")}.`);
    }
    return ALL_SECTIONS.filter((x) => names.includes(x));
}

function positive(name: string, fallback: number): number {
    const raw = process.env[name];
    const n = raw === undefined || raw === "" ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) {
        throw new Error(`${name} must be a whole number >= 1; got "${raw ?? ""}".`);
    }
    return n;
}

function log(line: string): void {
    console.error(`bench: ${line}`);
}

main().then(
    () => process.exit(0),
    (e: unknown) => {
        console.error(e instanceof Error ? e.stack : String(e));
        process.exit(1);
    },
);
