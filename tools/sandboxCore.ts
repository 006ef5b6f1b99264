/**
 * The sandbox (`npm run sandbox`): years of simulated days against the embedded Graph + ACS
 * emulator, each day as the pipelines run it (pipelines/): the deploy job's `pulumi up --yes` (a
 * preview, then the update) at the scenario's start time of day, and the drift job's
 * `pulumi preview --refresh --expect-no-changes` twelve hours later, through one of two engines
 * (below). A successful update "deploys" its `clientSecret` / `secondaryClientSecret` outputs to
 * the simulated remote web; a failed one deploys nothing, is recorded with the error the pipeline
 * would show, and the schedule goes on the next day. Every simulated hour, whichever the engine,
 * `emu.checkAddIn` asks whether SharePoint can sign a context token that the app validates and
 * whether the app gets an access token; the full check runs whenever ACS's active key or the
 * app's settings changed since the previous sample, otherwise that sample's result stands
 * (nothing else decides it).
 *
 * Strategies: `component` runs the real program (index.ts). `replace` runs
 * tools/strategies/replaceProgram.ts (one CredentialGeneration renewed `rotateBeforeExpiryDays`
 * before expiry by a plain create-before-delete replacement; the app gets ClientSecret = new and
 * SecondaryClientSecret = old). `seed` is the manual procedure as written, without Pulumi: once
 * the add-in has failed, the operator (at the next daily run) removes every credential of the
 * object, registers 32 new random bytes as a Symmetric Sign key, a Symmetric Verify key and a
 * password, and sets ClientSecret = the new value.
 *
 * ## Engines (`engine`, `--engine`), behind {@link SandboxEngine}
 *
 * `stand-in` (default): the engine stand-in (engine/), dynamic resources in Pulumi's own dynamic
 * provider host. Every day runs its two jobs (about 0.3 s a day). Provider processes: by default
 * one process is recycled between runs (engine/providerHost.ts), which forgets all provider state
 * as a new process would; `freshProcesses` starts a new one per run as the engine does (about
 * 0.25 s of CPU each: three a day make six years take half an hour).
 *
 * `real`: the Pulumi CLI (cli/, the version of @pulumi/pulumi) in a project folder, `file://`
 * backend and home of its own (cli/realProject.ts): `pulumi stack init --secrets-provider
 * passphrase`, the stack file's `addin-credentials:addins` written from the scenario, the adopted
 * secret set with `pulumi config set --secret --path 'adoptedClientSecrets.<name>'` (from stdin),
 * then `pulumi up --yes --json` and `pulumi preview --refresh --expect-no-changes --json`, and
 * `pulumi stack output addins --show-secrets --json` for what the deploy job delivers. A run costs
 * 10 to 60 seconds here, so only the days on which something can happen are run; the others are
 * counted in `runs` and `skippedDays`, their hours checked like any other. The program's plan is a
 * pure function of the config and the clock, and the inventory's of the object and the clock;
 * nothing else writes to the object. So a day runs (its deploy job, and its drift job 12 h later,
 * with a `run:` line in the timeline saying why) when it is the first day, when the last day that
 * ran failed, or when one of these instants falls after the last job that ran and by the day's
 * drift job (plus the planner's clock skew tolerance):
 * - the last successful update's `addins.<name>.nextActionDate` (the plan's next change), its
 *   `currentExpiry`, and `currentExpiry` minus `rotateBeforeExpiryDays` (the plan's status and
 *   warnings change then; on the regular schedule the next generation comes first);
 * - the end of every entry on the object that this add-in's set did not create (a valid key that
 *   expires changes which key ACS signs with and the inventory's risks), and the end plus
 *   `gracePeriodDays` of every entry (the inventory's `expired` cleanup removes it then:
 *   `nextActionDate` does not say so, it is the plan's, not the inventory's).
 * "The last day that ran failed": its deploy job failed or its drift job was red, and the next
 * day's pipeline runs again (a scenario whose runs always fail runs the CLI every day). A change
 * that recurs every run (a risk the inventory reports by an update) turns the drift job red, so
 * its days are run too.
 * Faults (`faults`) act per run and are injected before each day that runs; the Graph client
 * retries them, and a run they make fail makes the next day run. An outage makes no day
 * interesting: the program does not look at the add-in's health. `planMismatches` on the real CLI:
 * `pulumi up --json` prints its preview's steps (JSON) before the update's engine events, so the
 * resources the preview plans to create, update, replace or delete are compared with those the
 * update did, without another run (the preview's JSON does not list unchanged resources, so
 * unchanged ones are not compared; the stand-in compares every step). `engineRuns` counts CLI
 * engine runs (an up = 2, a drift preview = 1; stack init, config set and stack output are not
 * runs). `real` runs `component` only (the replace program is no project of its own, the seed
 * runs no Pulumi), and refuses `freshProcesses` (the CLI starts its own provider processes).
 * The program is compiled without type checking (PULUMI_NODEJS_TRANSPILE_ONLY; that is
 * `npm run typecheck`'s job).
 *
 * ## Scenario file format (`--scenario <file.json>`; tools/scenarios/default.json is the default)
 *
 * ```jsonc
 * {
 *   "description": "free text, printed at the top",
 *   "start": "2026-11-26T06:00:00Z",          // first run's instant; @default 2026-11-26T06:00:00Z
 *   "target": "servicePrincipal",             // "servicePrincipal" (Legacy ACS principal) | "application" (app-backed)
 *   "addIn": {                                // the add-in's entry in addin-credentials:addins (clientId is filled in)
 *     "name": "hr-portal",                    // @default "hr-portal"
 *     "firstGenerationStart": "2026-11-26T06:00:00Z",  // @default start
 *     "lifetimeDays": 1095, "rotateBeforeExpiryDays": 30, "gracePeriodDays": 7, "propagationHours": 24,
 *     "valueSource": "random-bytes"           // any other field of the addins entry is passed through
 *   },
 *   "credentials": [                          // entries seeded on the object before the first run (unmanaged)
 *     { "ref": "legacy", "type": "Symmetric", "usage": "Sign",    // type: Symmetric | AsymmetricX509Cert | Password
 *       "start": "2025-12-01T00:00:00Z", "end": "2027-12-01T00:00:00Z",
 *       "key": "random",                      // base64 of the key bytes, or "random" (entries sharing a ref share the bytes)
 *       "displayName": null },
 *     { "ref": "legacy", "type": "Password", "start": "...", "end": "..." }  // secretText: optional
 *   ],
 *   "app": { "clientSecret": "legacy", "secondaryClientSecret": null },   // refs (their key bytes, base64) or null
 *   "runEveryDays": 1,                        // days between deploy jobs (--run-every overrides); @default 1
 *   "adopt": "legacy",                        // component only: pass this ref's secret as adoptedClientSecrets and
 *                                             // its Sign key's end as adoptedSecretEndDateTime and its entries'
 *                                             // keyIds as adoptedKeyIds; @default none
 *   "faults": {                               // emulator realism; @default none of them
 *     "propagationHours": 24,                 // ACS delay before a new key is used
 *     "readAfterWriteLag": 0,                 // Graph reads that still see the state before a write
 *     "throttlePerRun": 0,                    // 429s (no Retry-After) at the start of every run
 *     "serverErrorsPerRun": 0                 // 503s at the start of every run
 *   }
 * }
 * ```
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CliResult, RealProject } from "../cli/realProject";
import { CLOCK_SKEW_TOLERANCE_MS } from "../components/planner";
import { AddInCheck, Emulator } from "../emulator";
import { DirectoryObject } from "../emulator/model";
import { EngineStack, EXIT } from "../engine/stack";
import { memoizeTypeScriptCompilation } from "../engine/program";
import { Lab, PROGRAM_PATH, startLab } from "./lab";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The default first run instant. */
export const DEFAULT_START = "2026-11-26T06:00:00Z";
/** The scenario used without `--scenario`. */
export const DEFAULT_SCENARIO_PATH = path.join(__dirname, "scenarios", "default.json");
/** The comparison strategies' program. */
export const REPLACE_PROGRAM_PATH = path.join(__dirname, "strategies", "replaceProgram.ts");

export type Strategy = "component" | "replace" | "seed";
export const STRATEGIES: readonly Strategy[] = ["component", "replace", "seed"];

/** What runs the deploy and drift jobs (see "Engines" above). */
export type EngineKind = "stand-in" | "real";
export const ENGINES: readonly EngineKind[] = ["stand-in", "real"];

/**
 * Refuses the combinations the real CLI cannot run, with the fix; the command line and
 * {@link runSandbox} share it.
 * @throws Error naming the option.
 */
export function checkEngineOptions(engine: EngineKind, strategy: Strategy, freshProcesses: boolean): void {
    if (engine !== "real") {
        return;
    }
    if (strategy !== "component") {
        const why = strategy === "replace" ? "its program, tools/strategies/replaceProgram.ts, is not a Pulumi project of its own" : "the seed's procedure runs no Pulumi";
        throw new Error(`--engine real runs the repository's program (index.ts) on the Pulumi CLI, so only --strategy component; got --strategy ${strategy} (${why}). Run it with --engine stand-in.`);
    }
    if (freshProcesses) {
        throw new Error("--fresh-processes applies to the engine stand-in only: the Pulumi CLI starts its own provider processes for every run. Leave it out with --engine real.");
    }
}

/** One seeded credential (see the format above). */
export interface ScenarioCredential {
    readonly ref?: string;
    readonly type: "Symmetric" | "AsymmetricX509Cert" | "Password";
    readonly usage?: "Sign" | "Verify";
    readonly start?: string;
    readonly end?: string;
    readonly key?: string;
    readonly secretText?: string;
    readonly displayName?: string | null;
}

/** A scenario file (see the format above). */
export interface Scenario {
    readonly description?: string;
    readonly start?: string;
    readonly target?: "servicePrincipal" | "application";
    readonly addIn?: Record<string, unknown>;
    readonly credentials?: readonly ScenarioCredential[];
    readonly app?: { readonly clientSecret?: string | null; readonly secondaryClientSecret?: string | null };
    readonly adopt?: string | null;
    /** Days between deploy jobs, unless the command line says otherwise. @default 1 */
    readonly runEveryDays?: number;
    readonly faults?: {
        readonly propagationHours?: number;
        readonly readAfterWriteLag?: number;
        readonly throttlePerRun?: number;
        readonly serverErrorsPerRun?: number;
    };
}

export interface SandboxOptions {
    /** Simulated years. @default 6 */
    readonly years?: number;
    /** Days between runs. @default 1 */
    readonly runEveryDays?: number;
    /** @default "component" */
    readonly strategy?: Strategy;
    /** The scenario; @default tools/scenarios/default.json */
    readonly scenario?: Scenario;
    /** Timeline lines, as they happen. */
    readonly onLine?: (line: string) => void;
    /** Progress, 0..1, about once per simulated month. */
    readonly onProgress?: (fraction: number, at: Date) => void;
    /** Stand-in only: a new provider process for every engine run, as the engine does, instead of one recycled process. @default false */
    readonly freshProcesses?: boolean;
    /** What runs the jobs: the engine stand-in, or the Pulumi CLI on the days on which something can happen. @default "stand-in" */
    readonly engine?: EngineKind;
}

/** The machine-readable result (`--json`). */
export interface SandboxSummary {
    readonly strategy: Strategy;
    readonly engine: EngineKind;
    readonly scenario: string;
    readonly start: string;
    readonly end: string;
    readonly years: number;
    readonly runEveryDays: number;
    /** Days of the schedule (deploy jobs), run or skipped. */
    readonly runs: number;
    /** Of those, days the engine did not run because nothing could happen (the real CLI only; see "Engines"). */
    readonly skippedDays: number;
    /** Hourly samples taken, and how many failed (context token or access token). */
    readonly samples: number;
    /** Samples that ran emu.checkAddIn in full (the others had the same active key and app settings as the previous one). */
    readonly fullChecks: number;
    readonly authFailures: number;
    /** Most key + password entries on the object at any sample. */
    readonly maxCredentials: number;
    /** The same, counting only entries that were not seeded by the scenario (the program's own). */
    readonly maxManagedCredentials: number;
    /** Entries present longer than gracePeriodDays + one run interval after their expiry (per entry). */
    readonly expiredLeftOver: number;
    /** Of those, entries the program did not create (seeded, unmanaged). */
    readonly expiredLeftOverUnmanaged: number;
    /** Graph requests the emulator logged (ACS token requests excluded). */
    readonly graphRequests: number;
    /** Generations created after the first. */
    readonly rotations: number;
    /** Days whose deploy job failed in its preview (so its update never ran). */
    readonly previewFailures: number;
    /** Days whose deploy job failed in its update. */
    readonly updateFailures: number;
    /**
     * Days whose update performed other steps than its preview planned (op and URN): every step on
     * the stand-in, the resources created, updated, replaced or deleted on the real CLI.
     */
    readonly planMismatches: number;
    /** Days whose drift job failed: changes proposed, or an error. */
    readonly driftJobRedDays: number;
    /** Engine runs (previews and updates) in all: a deploy job 2 (1 when its preview failed), a drift job 1. */
    readonly engineRuns: number;
    /** Separate outages: runs of consecutive failed samples. */
    readonly outages: { readonly from: string; readonly hours: number; readonly reason: string }[];
    readonly wallSeconds: number;
    readonly notes: string[];
}

/** Reads and checks a scenario file; errors say what is wrong where. */
export function loadScenario(file: string): Scenario {
    let raw: unknown;
    try {
        raw = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Error(`Scenario ${file}: cannot read it as JSON (${(e as Error).message}).`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        throw new Error(`Scenario ${file}: must be a JSON object (see the format at the top of tools/sandboxCore.ts).`);
    }
    const s = raw as Scenario;
    const known = new Set(["description", "start", "target", "addIn", "credentials", "app", "adopt", "runEveryDays", "faults"]);
    const unknown = Object.keys(s).filter((k) => !known.has(k));
    if (unknown.length > 0) {
        throw new Error(`Scenario ${file}: unknown field(s) ${unknown.join(", ")}; known: ${[...known].join(", ")}.`);
    }
    if (s.start !== undefined && Number.isNaN(Date.parse(s.start))) {
        throw new Error(`Scenario ${file}: start must be an ISO 8601 instant; got ${JSON.stringify(s.start)}.`);
    }
    if (s.target !== undefined && s.target !== "servicePrincipal" && s.target !== "application") {
        throw new Error(`Scenario ${file}: target must be "servicePrincipal" or "application"; got ${JSON.stringify(s.target)}.`);
    }
    const refs = new Set((s.credentials ?? []).map((c) => c.ref).filter((r) => r !== undefined));
    for (const [i, c] of (s.credentials ?? []).entries()) {
        if (!["Symmetric", "AsymmetricX509Cert", "Password"].includes(c.type)) {
            throw new Error(`Scenario ${file}: credentials[${i}].type must be Symmetric, AsymmetricX509Cert or Password; got ${JSON.stringify(c.type)}.`);
        }
        if (c.type !== "Password" && c.usage !== "Sign" && c.usage !== "Verify") {
            throw new Error(`Scenario ${file}: credentials[${i}].usage must be Sign or Verify for a key; got ${JSON.stringify(c.usage)}.`);
        }
        for (const f of ["start", "end"] as const) {
            if (c[f] !== undefined && Number.isNaN(Date.parse(c[f]))) {
                throw new Error(`Scenario ${file}: credentials[${i}].${f} must be an ISO 8601 instant; got ${JSON.stringify(c[f])}.`);
            }
        }
    }
    for (const ref of [s.app?.clientSecret, s.app?.secondaryClientSecret, s.adopt]) {
        if (ref !== undefined && ref !== null && !refs.has(ref)) {
            throw new Error(`Scenario ${file}: "${ref}" names no credential ref (known: ${[...refs].join(", ") || "none"}).`);
        }
    }
    return s;
}


/** What the sandbox reads from the program's `addins.<name>` output. */
interface AddInOutputs {
    clientSecret?: string;
    secondaryClientSecret?: string;
    generations?: { displayName: string }[];
    inventory?: { removed?: { keyId: string; reason: string; removedAt?: string }[] };
    currentExpiry?: string;
    nextActionDate: string;
    nextAction: string;
}

/** Runs the whole simulation and returns the summary. */
export async function runSandbox(options: SandboxOptions = {}): Promise<SandboxSummary> {
    const engineKind = options.engine ?? "stand-in";
    const strategy = options.strategy ?? "component";
    checkEngineOptions(engineKind, strategy, options.freshProcesses ?? false);
    const scenario = options.scenario ?? loadScenario(DEFAULT_SCENARIO_PATH);
    const lab = await startLab({
        hosts: options.freshProcesses ? "fresh" : "recycled",
        client: { retryBaseMs: 1 },
        emulator: { propagationDelayMs: (scenario.faults?.propagationHours ?? 24) * HOUR_MS },
    });
    try {
        const simulation = new Simulation(lab, scenario, options);
        const engine = strategy === "seed" ? undefined
            : engineKind === "real" ? await RealCliEngine.open(lab, simulation.stackConfig)
            : StandInEngine.open(lab, strategy === "component" ? PROGRAM_PATH : REPLACE_PROGRAM_PATH, simulation.stackConfig);
        try {
            return await simulation.run(engine);
        } finally {
            await engine?.close();
        }
    } finally {
        await lab.close();
    }
}

/** The app's two settings, as secret values (null: not set). */
interface RemoteWeb {
    clientSecret: string | null;
    secondaryClientSecret: string | null;
}

/** One simulation: the tenant, the stack, the remote web and the counters. */
class Simulation {
    private readonly wallStart = Date.now();
    private readonly emu: Emulator;
    private readonly strategy: Strategy;
    private readonly years: number;
    private readonly runEvery: number;
    private readonly startMs: number;
    private readonly endMs: number;
    private readonly addInName: string;
    private readonly graceDays: number;
    private readonly rotateBeforeDays: number;
    private readonly say: (line: string) => void;
    private readonly appId: string;
    private readonly holder: DirectoryObject;
    private readonly seededKeyIds: Set<string>;
    private readonly app: RemoteWeb;
    /** The stack config the scenario gives the program (the engine stores it). */
    readonly stackConfig: StackConfig;
    private engine: SandboxEngine | undefined;
    private readonly refBytes = new Map<string, string>();
    private readonly refKeyIds = new Map<string, string[]>();
    private readonly secretLabels = new Map<string, string>();
    private readonly displayNames = new Set<string>();
    private readonly outages: { from: string; hours: number; reason: string }[] = [];
    private readonly leftOver = new Set<string>();
    private readonly notes: string[] = [];
    private openOutage: { from: string; hours: number; reason: string } | undefined;
    private lastCheck: { key: string; check: AddInCheck } | undefined;
    private nextAction = { at: Number.POSITIVE_INFINITY, text: "" };
    /** The last successful update's `currentExpiry`, in ms. */
    private currentExpiryMs: number | undefined;
    /** When the last job that ran ran; undefined before the first. */
    private lastJobMs: number | undefined;
    /** The last day that ran had a failed deploy job or a red drift job: the next day runs too. */
    private retryNextDay = false;
    private counts = {
        runs: 0, skippedDays: 0, samples: 0, fullChecks: 0, authFailures: 0, maxCredentials: 0, maxManaged: 0,
        previewFailures: 0, updateFailures: 0, planMismatches: 0, driftJobRedDays: 0, engineRuns: 0, seedProcedures: 0,
    };
    private lastWarnings = "";
    private lastSeedAt = Number.NEGATIVE_INFINITY;

    constructor(lab: Lab, private readonly scenario: Scenario, options: SandboxOptions) {
        this.emu = lab.emu;
        this.strategy = options.strategy ?? "component";
        this.years = options.years ?? 6;
        this.runEvery = options.runEveryDays ?? scenario.runEveryDays ?? 1;
        this.startMs = Date.parse(scenario.start ?? DEFAULT_START);
        this.endMs = addYears(this.startMs, this.years);
        this.addInName = String(scenario.addIn?.name ?? "hr-portal");
        this.graceDays = Number(scenario.addIn?.gracePeriodDays ?? 7);
        this.rotateBeforeDays = Number(scenario.addIn?.rotateBeforeExpiryDays ?? 30);
        this.say = options.onLine ?? (() => undefined);
        this.onProgress = options.onProgress;
        this.emu.clock.freeze(new Date(this.startMs));

        const { appId, holderId } = this.addPrincipal();
        this.appId = appId;
        this.seedCredentials(holderId);
        this.holder = this.emu.tenant.get(holderId) as DirectoryObject;
        this.seededKeyIds = new Set(this.entries().map((e) => e.keyId));
        this.app = { clientSecret: this.secretOfRef(scenario.app?.clientSecret), secondaryClientSecret: this.secretOfRef(scenario.app?.secondaryClientSecret) };
        this.stackConfig = this.configureProgram();
    }

    private readonly onProgress: SandboxOptions["onProgress"];

    /** Runs the schedule with `engine` (none for the seed's procedure). */
    async run(engine: SandboxEngine | undefined): Promise<SandboxSummary> {
        this.engine = engine;
        this.say(`sandbox: strategy ${this.strategy}${engine === undefined ? "" : ` on ${engine.description}`}, ${this.years} year(s) from ${iso(this.startMs)}, a deploy job every ${this.runEvery} day(s)` +
            `${engine === undefined ? "" : " and a drift job 12 hours after each"}, add-in checked hourly`);
        if (this.scenario.description) {
            this.say(`scenario: ${this.scenario.description}`);
        }
        this.say(`${dayOf(this.startMs)}  start: ${describeObject(this.holder)}; app ClientSecret ${this.label(this.app.clientSecret)}, SecondaryClientSecret ${this.label(this.app.secondaryClientSecret)}`);
        let lastMonth = -1;
        for (let runMs = this.startMs; runMs < this.endMs; runMs += this.runEvery * DAY_MS) {
            const nextMs = Math.min(runMs + this.runEvery * DAY_MS, this.endMs);
            const why = engine?.skipsQuietDays === true ? this.whyRun(runMs, nextMs) : "every day";
            if (why === undefined) {
                await this.quietDay(runMs, nextMs);
            } else {
                if (engine?.skipsQuietDays === true) {
                    this.say(`${dayOf(runMs)}  run: ${why}`);
                }
                await this.day(runMs, nextMs);
            }
            const month = Math.floor((runMs - this.startMs) / (30 * DAY_MS));
            if (month !== lastMonth) {
                lastMonth = month;
                this.onProgress?.((runMs - this.startMs) / (this.endMs - this.startMs), new Date(runMs));
            }
        }
        this.onProgress?.(1, new Date(this.endMs));
        return this.summary();
    }

    // ---- one day ------------------------------------------------------------------------------

    private async day(runMs: number, nextMs: number): Promise<void> {
        this.emu.clock.freeze(new Date(runMs));
        this.injectFaults();
        const failuresBefore = this.failures();
        const before = new Map(this.entries().map((e) => [e.keyId, e.displayName ?? "unmanaged"]));
        this.counts.runs++;
        const reasons = this.engine === undefined ? await this.seedOperator(runMs) : await this.deployJob(this.engine, runMs);
        this.lastJobMs = runMs;
        this.reportEntries(runMs, before, reasons);
        const driftMs = Math.min(runMs + 12 * HOUR_MS, nextMs);
        await this.sample(runMs, driftMs);
        if (this.engine !== undefined && driftMs < nextMs) {
            await this.driftJob(this.engine, driftMs);
            this.lastJobMs = driftMs;
        }
        this.retryNextDay = this.failures() > failuresBefore;
        await this.sample(driftMs, nextMs);
    }

    /** A day the engine does not run, because nothing can happen on it: its hours are checked like any other's. */
    private async quietDay(runMs: number, nextMs: number): Promise<void> {
        this.counts.runs++;
        this.counts.skippedDays++;
        await this.sample(runMs, nextMs);
    }

    /**
     * Why a job of the day [runMs, nextMs) can change anything, or undefined when none can: an
     * instant at which the plan, the inventory or the object changes falls after the last job that
     * ran and by this day's drift job (plus the planner's clock skew tolerance, within which it
     * acts early), or the last day that ran failed (see "Engines" at the top).
     */
    private whyRun(runMs: number, nextMs: number): string | undefined {
        const lastJobMs = this.lastJobMs;
        if (lastJobMs === undefined) {
            return "the first day";
        }
        if (this.retryNextDay) {
            return "the last day that ran failed (RED above), so the pipeline runs again";
        }
        const horizon = Math.min(runMs + 12 * HOUR_MS, nextMs) + CLOCK_SKEW_TOLERANCE_MS;
        // ">=": a job at exactly an instant may not have acted on it (the inventory's "longer ago than").
        const due = this.dueInstants().filter((d) => d.at >= lastJobMs && d.at <= horizon);
        return due.length === 0 ? undefined : due.reduce((first, d) => (d.at < first.at ? d : first)).why;
    }

    /** The instants at which a run may do something the last one did not, each with why. */
    private dueInstants(): { at: number; why: string }[] {
        const minute = (ms: number): string => `${iso(ms).slice(0, 16)}Z`;
        const instants = [{ at: this.nextAction.at, why: `nextActionDate ${minute(this.nextAction.at)}: ${this.nextAction.text}` }];
        const expiry = this.currentExpiryMs;
        if (expiry !== undefined) {
            const window = expiry - this.rotateBeforeDays * DAY_MS;
            instants.push(
                { at: window, why: `currentExpiry minus rotateBeforeExpiryDays (${this.rotateBeforeDays}), ${minute(window)}: the current generation enters its rotation window` },
                { at: expiry, why: `currentExpiry ${minute(expiry)}: the current generation expires` },
            );
        }
        const ownPrefix = `addin-credentials/${this.addInName}/`;
        for (const e of this.entries()) {
            const name = e.displayName ?? "unmanaged";
            const endMs = e.endDateTime.getTime();
            if (!name.startsWith(ownPrefix)) {
                instants.push({ at: endMs, why: `an entry the set did not create (${name}) ends ${minute(endMs)}: ACS's signing key and the inventory's risks may change` });
            }
            const removable = endMs + this.graceDays * DAY_MS;
            instants.push({ at: removable, why: `an entry (${name}) ended gracePeriodDays (${this.graceDays}) ago, ${minute(removable)}: the inventory's cleanup` });
        }
        return instants.filter((d) => Number.isFinite(d.at));
    }

    private failures(): number {
        return this.counts.previewFailures + this.counts.updateFailures + this.counts.driftJobRedDays;
    }

    /** The deploy job: `pulumi up --yes`. Returns why each entry it removed was removed. */
    private async deployJob(engine: SandboxEngine, runMs: number): Promise<Map<string, string>> {
        const day = dayOf(runMs);
        const up = await engine.deploy();
        this.counts.engineRuns += up.engineRuns;
        this.reportWarnings(runMs, up.diagnostics);
        if (up.outcome === "preview-failed") {
            this.counts.previewFailures++;
            this.say(`${day}  RED deploy job: the preview failed, nothing was deployed: ${firstLine(up.error)}`);
            return new Map();
        }
        if (up.planMismatch !== undefined) {
            this.counts.planMismatches++;
            const planned = new Set(up.planMismatch.planned);
            const performed = new Set(up.planMismatch.performed);
            this.say(`${day}  PLAN MISMATCH: planned only [${[...planned].filter((s) => !performed.has(s)).join("; ")}], performed only [${[...performed].filter((s) => !planned.has(s)).join("; ")}]`);
        }
        if (up.changes.length > 0 && this.nextAction.text !== "" && this.nextAction.at <= runMs) {
            this.say(`${day}  why: ${this.nextAction.text}`);
        }
        for (const s of up.changes) {
            this.say(`${day}  pulumi: ${describeStep(s)}`);
        }
        if (up.outcome === "update-failed") {
            this.counts.updateFailures++;
            this.say(`${day}  RED deploy job: the update failed, nothing was deployed: ${firstLine(up.error)}`);
            return new Map();
        }
        const out = up.addins?.[this.addInName];
        if (out === undefined) {
            throw new Error(`run on ${iso(runMs)}: the program exported no addins.${this.addInName}`);
        }
        for (const g of out.generations ?? []) {
            this.displayNames.add(g.displayName);
        }
        this.nextAction = { at: Date.parse(out.nextActionDate), text: out.nextAction };
        this.currentExpiryMs = out.currentExpiry === undefined ? undefined : Date.parse(out.currentExpiry);
        const primary = out.clientSecret ?? null;
        const secondary = this.strategy === "component" ? out.secondaryClientSecret ?? null
            : primary !== this.app.clientSecret ? this.app.clientSecret : this.app.secondaryClientSecret;
        this.deploy(runMs, primary, secondary);
        return this.removalReasons(up.steps, out, runMs);
    }

    /** The drift job: `pulumi preview --refresh --expect-no-changes`. */
    private async driftJob(engine: SandboxEngine, atMs: number): Promise<void> {
        this.emu.clock.freeze(new Date(atMs));
        const drift = await engine.drift();
        this.counts.engineRuns++;
        if (drift.exitCode !== EXIT.success) {
            this.counts.driftJobRedDays++;
            this.say(`${dayOf(atMs)}  RED drift job (exit ${drift.exitCode}): ${drift.why}`);
        }
    }

    /**
     * The seed's procedure, as written: only once the add-in has failed (an outage is open at the
     * daily run), remove every credential of the object, register 32 new random bytes as a
     * Symmetric Sign key, a Symmetric Verify key and a password (Graph generates the password's
     * value), valid three years, and set ClientSecret to the new value.
     */
    private async seedOperator(runMs: number): Promise<Map<string, string>> {
        // Seed step 6: a new secret can take up to 24 hours to become effective; the operator waits
        // that long before acting again on the same outage.
        const propagationMs = (this.scenario.faults?.propagationHours ?? 24) * HOUR_MS;
        if (this.openOutage === undefined || runMs - this.lastSeedAt <= propagationMs) {
            return new Map();
        }
        this.lastSeedAt = runMs;
        const day = dayOf(runMs);
        const reasons = new Map(this.entries().map((e) => [e.keyId, "the seed's procedure removes every credential of the object"]));
        const graph = seedGraph(this.emu, this.holder);
        const current = await graph("GET", "?$select=keyCredentials,passwordCredentials") as { passwordCredentials: { keyId: string }[] };
        await graph("PATCH", "", { keyCredentials: [] });
        for (const p of current.passwordCredentials) {
            await graph("POST", "/removePassword", { keyId: p.keyId });
        }
        const bytes = crypto.randomBytes(32).toString("base64");
        const start = new Date(runMs).toISOString();
        const end = new Date(addYears(runMs, 3)).toISOString();
        const displayName = `seed/${day}`;
        await graph("PATCH", "", {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric", usage, key: bytes, keyId: crypto.randomUUID(), startDateTime: start, endDateTime: end, displayName })),
        });
        await graph("POST", "/addPassword", { passwordCredential: { displayName, startDateTime: start, endDateTime: end } });
        this.counts.seedProcedures++;
        this.displayNames.add(displayName);
        this.say(`${day}  operator: the add-in has been failing since ${this.openOutage.from.slice(0, 16)}Z; following the seed: every credential removed, a new set added`);
        this.deploy(runMs, bytes, null);
        return reasons;
    }

    // ---- the remote web, the object, the hourly checks -------------------------------------------

    private deploy(runMs: number, primary: string | null, secondary: string | null): void {
        if (primary !== this.app.clientSecret || secondary !== this.app.secondaryClientSecret) {
            this.say(`${dayOf(runMs)}  deploy: ClientSecret ${this.label(primary)}, SecondaryClientSecret ${this.label(secondary)}`);
        }
        this.app.clientSecret = primary;
        this.app.secondaryClientSecret = secondary;
    }

    /** Why each entry a run removed was removed: the inventory's reasons, or the step that removed it. */
    private removalReasons(steps: readonly JobStep[], out: AddInOutputs, runMs: number): Map<string, string> {
        const reasons = new Map<string, string>();
        for (const r of out.inventory?.removed ?? []) {
            if (r.removedAt === undefined || Math.abs(Date.parse(r.removedAt) - runMs) < HOUR_MS) {
                reasons.set(r.keyId, `the inventory: ${r.reason}`);
            }
        }
        const replaced = steps.filter((s) => s.type.endsWith("CredentialGeneration") && (s.op === "delete-replaced" || s.op === "delete") && !s.retain);
        for (const s of replaced) {
            reasons.set(`step:${s.name}`, `the engine deleted the replaced generation ${s.name} (${s.op})`);
        }
        const repaired = steps.filter((s) => s.type.endsWith("CredentialGeneration") && s.op === "update");
        for (const s of repaired) {
            reasons.set(`step:${s.name}`, `the repair of ${s.name} (update)`);
        }
        return reasons;
    }

    private reportEntries(runMs: number, before: Map<string, string>, reasons: Map<string, string>): void {
        const day = dayOf(runMs);
        const after = new Map(this.entries().map((e) => [e.keyId, e.displayName ?? "unmanaged"]));
        const added = [...after.keys()].filter((k) => !before.has(k));
        const removed = [...before.keys()].filter((k) => !after.has(k));
        if (added.length > 0) {
            this.say(`${day}  Entra: added ${groupCount(added.map((k) => after.get(k) ?? "?"))}`);
        }
        const byReason = new Map<string, string[]>();
        const fallback = [...reasons].filter(([k]) => k.startsWith("step:")).map(([, v]) => v).join("; ") || "removed by another writer";
        for (const k of removed) {
            const why = reasons.get(k) ?? fallback;
            byReason.set(why, [...(byReason.get(why) ?? []), before.get(k) ?? "?"]);
        }
        for (const [why, names] of byReason) {
            this.say(`${day}  Entra: removed ${groupCount(names)}, because ${why}`);
        }
        if (added.length > 0 || removed.length > 0) {
            this.say(`${day}  now: ${describeObject(this.holder)}${this.nextAction.text ? `; next (${dayOf(this.nextAction.at)}): ${this.nextAction.text}` : ""}`);
        }
    }

    /** The deploy job's warnings and errors ("severity: message"), each once, when they differ from the last job's. */
    private reportWarnings(runMs: number, diagnostics: readonly string[]): void {
        const warnings = [...new Set(diagnostics)];
        const text = warnings.join("\n");
        if (text !== this.lastWarnings) {
            for (const w of warnings.filter((x) => !this.lastWarnings.includes(x))) {
                this.say(`${dayOf(runMs)}  program ${w}`);
            }
            this.lastWarnings = text;
        }
    }

    /** Checks the add-in every hour in [fromMs, toMs). */
    private async sample(fromMs: number, toMs: number): Promise<void> {
        for (let t = fromMs; t < toMs; t += HOUR_MS) {
            this.emu.clock.freeze(new Date(t));
            this.counts.samples++;
            const entries = this.entries();
            this.counts.maxCredentials = Math.max(this.counts.maxCredentials, entries.length);
            this.counts.maxManaged = Math.max(this.counts.maxManaged, entries.filter((e) => !this.seededKeyIds.has(e.keyId)).length);
            for (const e of entries) {
                if (t > e.endDateTime.getTime() + (this.graceDays + this.runEvery) * DAY_MS) {
                    this.leftOver.add(e.keyId);
                }
            }
            // The outcome depends only on ACS's active key and the app's two settings.
            const key = `${this.emu.acs.activeSigningKey(this.appId)?.keyId ?? "none"}|${this.app.clientSecret}|${this.app.secondaryClientSecret}`;
            if (this.lastCheck?.key !== key) {
                const check = await this.emu.checkAddIn(this.appId, { clientSecret: this.app.clientSecret ?? "", secondaryClientSecret: this.app.secondaryClientSecret });
                this.lastCheck = { key, check };
                this.counts.fullChecks++;
            }
            const check = (this.lastCheck as { check: AddInCheck }).check;
            if (!(check.contextTokenValid && check.accessTokenOk)) {
                this.counts.authFailures++;
                if (this.openOutage === undefined) {
                    this.openOutage = { from: iso(t), hours: 0, reason: check.reason ?? "unknown" };
                    this.outages.push(this.openOutage);
                    this.say(`${dayOf(t)}  OUTAGE from ${iso(t).slice(11, 16)}Z: ${this.openOutage.reason}`);
                }
                this.openOutage.hours++;
            } else if (this.openOutage !== undefined) {
                this.say(`${dayOf(t)}  restored at ${iso(t).slice(11, 16)}Z after ${this.openOutage.hours} h (key ${check.activeKeyId?.slice(0, 8)} active, validated with ${check.contextTokenValidatedWith})`);
                this.openOutage = undefined;
            }
        }
    }

    // ---- set-up --------------------------------------------------------------------------------

    private addPrincipal(): { appId: string; holderId: string } {
        if ((this.scenario.target ?? "servicePrincipal") === "application") {
            const app = this.emu.tenant.addApplication({ displayName: `Add-in ${this.addInName}` });
            return { appId: app.appId, holderId: app.applicationId };
        }
        const sp = this.emu.tenant.addLegacyServicePrincipal({ displayName: `Add-in ${this.addInName}` });
        return { appId: sp.appId, holderId: sp.id };
    }

    private seedCredentials(holderId: string): void {
        for (const c of this.scenario.credentials ?? []) {
            const remember = (ids: string[]): void => {
                if (c.ref !== undefined) this.refKeyIds.set(c.ref, [...(this.refKeyIds.get(c.ref) ?? []), ...ids]);
            };
            if (c.type === "Password") {
                remember(this.emu.tenant.seedCredentials(holderId, {
                    passwordCredentials: [{ secretText: c.secretText, displayName: c.displayName ?? null, startDateTime: c.start, endDateTime: c.end }],
                }).passwordCredentials);
                continue;
            }
            const key = c.key !== undefined && c.key !== "random" ? c.key : this.bytesOfRef(c.ref ?? crypto.randomUUID());
            if (c.ref !== undefined && !this.refBytes.has(c.ref)) {
                this.refBytes.set(c.ref, key);
            }
            remember(this.emu.tenant.seedCredentials(holderId, {
                keyCredentials: [{ type: c.type, usage: c.usage ?? "Sign", key, displayName: c.displayName ?? null, startDateTime: c.start, endDateTime: c.end }],
            }).keyCredentials);
        }
    }

    private bytesOfRef(ref: string): string {
        if (!this.refBytes.has(ref)) {
            this.refBytes.set(ref, crypto.randomBytes(32).toString("base64"));
        }
        return this.refBytes.get(ref) as string;
    }

    private secretOfRef(ref: string | null | undefined): string | null {
        return ref ? this.refBytes.get(ref) ?? null : null;
    }

    private configureProgram(): StackConfig {
        const addIn: Record<string, unknown> = { name: this.addInName, firstGenerationStart: iso(this.startMs), ...this.scenario.addIn, clientId: this.appId };
        const adoptedClientSecrets: Record<string, string | null> = {};
        if (this.strategy === "component" && this.scenario.adopt) {
            const adoptedSign = (this.scenario.credentials ?? []).find((c) => c.ref === this.scenario.adopt && c.type === "Symmetric" && c.usage === "Sign");
            addIn.adoptedSecretEndDateTime = adoptedSign?.end ?? this.holder.keyCredentials[0]?.endDateTime.toISOString();
            addIn.adoptedKeyIds = this.refKeyIds.get(this.scenario.adopt) ?? [];
            adoptedClientSecrets[this.addInName] = this.secretOfRef(this.scenario.adopt);
        }
        return { addIns: [addIn], adoptedClientSecrets };
    }

    private injectFaults(): void {
        const faults = this.scenario.faults;
        if (faults?.throttlePerRun) {
            this.emu.faults.throttle({ times: faults.throttlePerRun, retryAfterSeconds: null });
        }
        if (faults?.serverErrorsPerRun) {
            this.emu.faults.serverError({ times: faults.serverErrorsPerRun, status: 503 });
        }
        if (faults?.readAfterWriteLag) {
            this.emu.faults.readAfterWriteLag(faults.readAfterWriteLag);
        }
    }

    private entries(): { keyId: string; displayName: string | null; endDateTime: Date }[] {
        return [...this.holder.keyCredentials, ...this.holder.passwordCredentials];
    }

    /** Secrets are named by order of first appearance, never shown (not even a prefix). */
    private label(secret: string | null): string {
        if (!secret) return "(none)";
        if (!this.secretLabels.has(secret)) this.secretLabels.set(secret, `secret #${this.secretLabels.size + 1}`);
        return this.secretLabels.get(secret) as string;
    }

    private summary(): SandboxSummary {
        const c = this.counts;
        const notes = [...this.notes];
        if (this.strategy === "replace" && this.scenario.adopt) {
            notes.push("replace: adoption is not modelled; the app's first deployment keeps its current secret as SecondaryClientSecret.");
        }
        notes.push({
            component: "component: two generation slots; a slot is reused only once its generation is expired + grace.",
            replace: "replace: create-before-delete of the single generation; the old key is deleted in the same run, so SharePoint has no propagated key until the new one propagates.",
            seed: "seed: acts only after the add-in has failed; every credential removed, a new set added, ClientSecret = new only: no propagated key until the new one propagates.",
        }[this.strategy]);
        if (this.engine?.kind === "real") {
            notes.push(`real: ${c.runs - c.skippedDays} of ${c.runs} day(s) run on ${this.engine.description}, ${c.skippedDays} skipped (nothing could happen); ` +
                "planMismatches compares the resources the preview of pulumi up --json plans to change with those its update changed.");
        }
        const unmanagedLeft = [...this.leftOver].filter((k) => this.seededKeyIds.has(k)).length;
        if (unmanagedLeft > 0) {
            notes.push(`${unmanagedLeft} expired left-over entr${unmanagedLeft === 1 ? "y was" : "ies were"} seeded (unmanaged).`);
        }
        return {
            strategy: this.strategy,
            engine: this.engine?.kind ?? "stand-in",
            scenario: this.scenario.description ?? "",
            start: iso(this.startMs),
            end: iso(this.endMs),
            years: this.years,
            runEveryDays: this.runEvery,
            runs: c.runs,
            skippedDays: c.skippedDays,
            samples: c.samples,
            fullChecks: c.fullChecks,
            authFailures: c.authFailures,
            maxCredentials: c.maxCredentials,
            maxManagedCredentials: c.maxManaged,
            expiredLeftOver: this.leftOver.size,
            expiredLeftOverUnmanaged: unmanagedLeft,
            graphRequests: this.emu.requests.filter((r) => !r.operation.startsWith("acs")).length,
            rotations: this.strategy === "seed" ? Math.max(0, c.seedProcedures - 1) : Math.max(0, this.displayNames.size - 1),
            previewFailures: c.previewFailures,
            updateFailures: c.updateFailures,
            planMismatches: c.planMismatches,
            driftJobRedDays: c.driftJobRedDays,
            engineRuns: c.engineRuns,
            outages: this.outages,
            wallSeconds: Math.round((Date.now() - this.wallStart) / 100) / 10,
            notes,
        };
    }
}

// ---- the engines: the stand-in and the real Pulumi CLI behind one small interface ----------------

/** The stack config the scenario gives the program, before an engine stores it. */
interface StackConfig {
    /** `addin-credentials:addins`. */
    readonly addIns: readonly Record<string, unknown>[];
    /** `addin-credentials:adoptedClientSecrets` (secret): add-in name → the secret its remote web uses today. */
    readonly adoptedClientSecrets: Readonly<Record<string, string | null>>;
}

/** A step of a run, as the timeline describes it. */
interface JobStep {
    readonly op: string;
    /** The resource's type token. */
    readonly type: string;
    /** The resource's name (the URN's last part). */
    readonly name: string;
    /** replace: the properties whose change forced it. */
    readonly replaces?: readonly string[];
    /** delete / delete-replaced: retainOnDelete kept the resource at the provider. */
    readonly retain?: boolean;
}

/** The deploy job's `pulumi up --yes`, as the simulation reads it from either engine. */
interface DeployJob {
    /** Engine runs it took: 1 when its preview failed, else 2. */
    readonly engineRuns: number;
    readonly outcome: "succeeded" | "preview-failed" | "update-failed";
    /** What the CLI showed as the failure. */
    readonly error?: string;
    /** The warnings and errors of the preview and the update, as "severity: message". */
    readonly diagnostics: readonly string[];
    /** Every step of the update (none when its preview failed). */
    readonly steps: readonly JobStep[];
    /** The update's steps that change something (create, update, replace, delete), in order. */
    readonly changes: readonly JobStep[];
    /** When the update changed other resources than its preview planned: both lists, "op urn". */
    readonly planMismatch?: { readonly planned: readonly string[]; readonly performed: readonly string[] };
    /** After a successful update: the stack output `addins`, secrets in plain text. */
    readonly addins?: Readonly<Record<string, AddInOutputs>>;
}

/** The drift job's `pulumi preview --refresh --expect-no-changes`. */
interface DriftJob {
    /** The CLI's exit code (EXIT). */
    readonly exitCode: number;
    /** When it is not 0: the changes it proposed, or the failure. */
    readonly why: string;
}

/** What runs the jobs of a day, on one stack of the scenario's program. */
interface SandboxEngine {
    readonly kind: EngineKind;
    /** For the timeline's first line: "the engine stand-in", "the Pulumi CLI v3.276.0". */
    readonly description: string;
    /** Run only the days on which something can happen (see "Engines" at the top), or every day. */
    readonly skipsQuietDays: boolean;
    /** `pulumi up --yes` at the emulator's clock. */
    deploy(): Promise<DeployJob>;
    /** `pulumi preview --refresh --expect-no-changes` at the emulator's clock. */
    drift(): Promise<DriftJob>;
    close(): Promise<void>;
}

/** The engine stand-in (engine/): a stack in this process, provider processes from the lab. */
class StandInEngine implements SandboxEngine {
    readonly kind = "stand-in";
    readonly description = "the engine stand-in";
    readonly skipsQuietDays = false;
    private readonly config: Record<string, string> = {};
    private readonly secretKeys: string[] = [];

    private constructor(private readonly stack: EngineStack, stackConfig: StackConfig, private readonly restore: () => void) {
        this.config["addin-credentials:addins"] = JSON.stringify(stackConfig.addIns);
        if (Object.keys(stackConfig.adoptedClientSecrets).length > 0) {
            this.config["addin-credentials:adoptedClientSecrets"] = JSON.stringify(stackConfig.adoptedClientSecrets);
            this.secretKeys.push("addin-credentials:adoptedClientSecrets");
        }
    }

    /** A new stack "sandbox" of `programPath`. */
    static open(lab: Lab, programPath: string, stackConfig: StackConfig): StandInEngine {
        const restoreCompilation = memoizeTypeScriptCompilation();
        // Pulumi's SDK captures a stack trace for every resource and many promises; under ts-node
        // each is mapped through source maps, which took a fifth of a simulated day. The simulation
        // reads no stack trace, so V8's own formatting is used while it runs.
        const prepareStackTrace = Error.prepareStackTrace;
        delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
        const restore = (): void => {
            Error.prepareStackTrace = prepareStackTrace;
            restoreCompilation();
        };
        return new StandInEngine(lab.newStack({ programPath, stack: "sandbox" }), stackConfig, restore);
    }

    async deploy(): Promise<DeployJob> {
        const up = await this.stack.up({ config: this.config, secretKeys: this.secretKeys });
        const update = up.update;
        const logs = [...up.preview.logs, ...(update?.logs ?? [])];
        return {
            engineRuns: update === undefined ? 1 : 2,
            outcome: update === undefined ? "preview-failed" : update.ok ? "succeeded" : "update-failed",
            error: up.error,
            diagnostics: logs.filter((l) => l.severity !== "info").map((l) => `${l.severity}: ${l.message.trim()}`),
            steps: update?.steps ?? [],
            changes: (update?.steps ?? []).filter((s) => s.logical),
            planMismatch: up.planMismatch,
            addins: update?.ok === true ? update.outputs.addins?.value as Record<string, AddInOutputs> | undefined : undefined,
        };
    }

    async drift(): Promise<DriftJob> {
        const drift = await this.stack.preview({ config: this.config, secretKeys: this.secretKeys, expectNoChanges: true });
        return {
            exitCode: drift.exitCode,
            why: drift.exitCode === EXIT.noChangesExpected ? drift.preview.steps.filter((s) => s.logical).map((s) => describeStep(s)).join("; ") : firstLine(drift.error),
        };
    }

    async close(): Promise<void> {
        this.restore();
    }
}

/** The stack's name on either engine. */
const SANDBOX_STACK = "sandbox";
/** A real `pulumi up` takes 10 to 60 s on a loaded 2-core machine; give up long after that. */
const CLI_RUN_TIMEOUT_MS = 15 * 60_000;
/** The ops by which the CLI counts a resource as changed (display.PreviewDigest's steps, the engine's logical steps). */
const CHANGE_OPS = new Set(["create", "update", "delete", "replace", "import"]);

/** The Pulumi CLI (cli/) on a project folder, backend and home of its own. */
class RealCliEngine implements SandboxEngine {
    readonly kind = "real";
    readonly skipsQuietDays = true;
    readonly description: string;

    private constructor(private readonly project: RealProject) {
        this.description = `the Pulumi CLI v${project.cli.versions.pulumi}`;
    }

    /** `pulumi stack init`, the stack file from `stackConfig`, and its secrets set with `pulumi config set --secret --path`. */
    static async open(lab: Lab, stackConfig: StackConfig): Promise<RealCliEngine> {
        const project = await lab.newRealProject({ transpileOnly: true });
        try {
            mustSucceed(await project.pulumi(["stack", "init", SANDBOX_STACK, "--secrets-provider", "passphrase"]));
            const file = project.stackFile(SANDBOX_STACK);
            const written = yaml.load(fs.readFileSync(file, "utf8")) as { encryptionsalt?: string } | undefined;
            if (written?.encryptionsalt === undefined) {
                throw new Error(`pulumi stack init wrote no encryptionsalt into ${file}`);
            }
            fs.writeFileSync(file, yaml.dump({ encryptionsalt: written.encryptionsalt, config: { "addin-credentials:addins": stackConfig.addIns } }));
            for (const [name, secret] of Object.entries(stackConfig.adoptedClientSecrets)) {
                // From stdin, as `pulumi config set` reads a value it is not given: never on a command line.
                mustSucceed(await project.pulumi(["config", "set", "--secret", "--path", `adoptedClientSecrets.${name}`, "--stack", SANDBOX_STACK], { input: secret ?? "" }));
            }
        } catch (e) {
            project.close();
            throw e;
        }
        return new RealCliEngine(project);
    }

    async deploy(): Promise<DeployJob> {
        const up = await this.cli(["up", "--yes", "--json"]);
        // `up --json` prints the preview as one JSON document, then (if the update ran) the update's
        // engine events, one JSON object a line.
        const { preview, events } = readUpJson(up);
        const updated = events.length > 0;
        const steps = events.flatMap((e) => e.resourcePreEvent === undefined ? [] : [e.resourcePreEvent.metadata])
            .filter((m) => !m.type.startsWith("pulumi:providers:"));
        const diagnostics = [...(preview?.diagnostics ?? []), ...events.flatMap((e) => e.diagnosticEvent === undefined ? [] : [e.diagnosticEvent])];
        const outcome = up.code === 0 ? "succeeded" : updated ? "update-failed" : "preview-failed";
        const planned = changeList((preview?.steps ?? []).map((s) => ({ op: s.op, urn: s.urn, type: typeOfUrn(s.urn) })));
        const performed = changeList(steps);
        const matches = planned.length === performed.length && planned.every((s, i) => s === performed[i]);
        const error = outcome === "succeeded" ? undefined : errorOf(up, diagnostics);
        return {
            engineRuns: updated ? 2 : 1,
            outcome,
            ...(error === undefined ? {} : { error }),
            // The failure is the job's error (as the stand-in reports it), not one more diagnostic.
            diagnostics: diagnostics.filter((d) => (d.severity === "warning" || d.severity === "error") && messageOf(d) !== error).map((d) => `${d.severity}: ${messageOf(d)}`),
            steps: steps.map(jobStep),
            changes: steps.filter((m) => m.logical === true && m.op !== "same").map(jobStep),
            ...(outcome !== "succeeded" || matches ? {} : { planMismatch: { planned, performed } }),
            ...(outcome === "succeeded" ? { addins: await this.addins() } : {}),
        };
    }

    async drift(): Promise<DriftJob> {
        const drift = await this.cli(["preview", "--refresh", "--expect-no-changes", "--json"]);
        if (drift.code === EXIT.success) {
            return { exitCode: drift.code, why: "" };
        }
        const preview = readUpJson(drift).preview;
        const changes = (preview?.steps ?? []).filter((s) => CHANGE_OPS.has(s.op));
        return {
            exitCode: drift.code,
            why: drift.code === EXIT.noChangesExpected && changes.length > 0
                ? changes.map((s) => describeStep({ op: s.op, type: typeOfUrn(s.urn), name: nameOfUrn(s.urn), replaces: s.replaceReasons })).join("; ")
                : errorOf(drift, preview?.diagnostics ?? []),
        };
    }

    async close(): Promise<void> {
        this.project.close();
    }

    /** What the deploy job delivers: `pulumi stack output addins --show-secrets --json`. */
    private async addins(): Promise<Record<string, AddInOutputs>> {
        const output = mustSucceed(await this.cli(["stack", "output", "addins", "--show-secrets", "--json"]));
        return JSON.parse(output.stdout) as Record<string, AddInOutputs>;
    }

    private cli(args: readonly string[]): Promise<CliResult> {
        return this.project.pulumi([...args, "--stack", SANDBOX_STACK, "--color", "never"], { timeoutMs: CLI_RUN_TIMEOUT_MS });
    }
}

/** A step's metadata in the CLI's engine events (apitype.StepEventMetadata), the parts read here. */
interface CliStepMetadata {
    readonly op: string;
    readonly urn: string;
    readonly type: string;
    /** replace / create-replacement: the properties that forced the replacement. */
    readonly keys?: readonly string[];
    /** Whether the step counts (false, so absent, for create-replacement, delete-replaced, refresh). */
    readonly logical?: boolean;
    readonly old?: { readonly retainOnDelete?: boolean };
}

/** A diagnostic of the preview's JSON or of an engine event. */
interface CliDiagnostic {
    readonly message: string;
    /** debug, info, info#err, warning, error. */
    readonly severity: string;
}

/** `pulumi preview --json`'s document (display.PreviewDigest), the parts read here. */
interface CliPreviewDigest {
    readonly steps?: readonly { readonly op: string; readonly urn: string; readonly replaceReasons?: readonly string[] }[];
    readonly diagnostics?: readonly CliDiagnostic[];
}

/** One engine event of `pulumi up --json` (apitype.EngineEvent), the parts read here. */
interface CliEngineEvent {
    readonly resourcePreEvent?: { readonly metadata: CliStepMetadata };
    readonly diagnosticEvent?: CliDiagnostic;
}

/** Splits `pulumi up --json` / `pulumi preview --json` output: the preview's document, then the update's events. */
function readUpJson(result: CliResult): { preview?: CliPreviewDigest; events: CliEngineEvent[] } {
    const lines = result.stdout.split("\n");
    const firstEvent = lines.findIndex((l) => l.startsWith("{\"sequence\":"));
    const head = (firstEvent < 0 ? lines : lines.slice(0, firstEvent)).join("\n").trim();
    try {
        return {
            ...(head === "" ? {} : { preview: JSON.parse(head) as CliPreviewDigest }),
            events: firstEvent < 0 ? [] : lines.slice(firstEvent).filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as CliEngineEvent),
        };
    } catch (e) {
        throw new Error(`${result.command} (exit ${result.code}) printed something other than its JSON (${(e as Error).message}): ${JSON.stringify(result.stdout.slice(0, 200))}`);
    }
}

/** "op urn" of each step that changes a resource (not the default providers'), sorted. */
function changeList(steps: readonly { op: string; urn: string; type: string }[]): string[] {
    return steps.filter((s) => CHANGE_OPS.has(s.op) && !s.type.startsWith("pulumi:providers:")).map((s) => `${s.op} ${s.urn}`).sort();
}

function jobStep(m: CliStepMetadata): JobStep {
    return {
        op: m.op,
        type: m.type,
        name: nameOfUrn(m.urn),
        ...(m.op === "replace" && m.keys !== undefined ? { replaces: m.keys } : {}),
        ...((m.op === "delete" || m.op === "delete-replaced") && m.old?.retainOnDelete === true ? { retain: true } : {}),
    };
}

/** The type token in a URN (`urn:pulumi:<stack>::<project>::<parent types $>type::<name>`). */
function typeOfUrn(urn: string): string {
    const types = urn.split("::")[2] ?? "";
    return types.slice(types.lastIndexOf("$") + 1);
}

function nameOfUrn(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** A diagnostic's text without color codes, trailing newline or the "error: " its text may start with. */
function messageOf(d: CliDiagnostic): string {
    // eslint-disable-next-line no-control-regex
    const plain = d.message.replace(/\u001b\[[0-9;]*m/g, "").trim();
    return plain.startsWith(`${d.severity}: `) ? plain.slice(d.severity.length + 2) : plain;
}

/** The failure a command showed: its first error diagnostic, else its stderr. */
function errorOf(result: CliResult, diagnostics: readonly CliDiagnostic[]): string {
    const error = diagnostics.find((d) => d.severity === "error");
    if (error !== undefined) {
        return messageOf(error);
    }
    const stderr = result.stderr.trim().replace(/^error: /, "");
    return stderr !== "" ? stderr : `${result.command} exited with ${result.code}`;
}

/** The result, or an Error naming the command when it failed (a sandbox set-up step, not a job). */
function mustSucceed(result: CliResult): CliResult {
    if (result.code !== 0) {
        throw new Error(`${result.command} failed (exit ${result.code}): ${firstLine(result.stderr.trim() || result.stdout.trim())}`);
    }
    return result;
}

/** Plain Graph calls on the object, as an operator following the seed would make them. */
function seedGraph(emu: Emulator, holder: DirectoryObject): (method: string, suffix: string, body?: unknown) => Promise<unknown> {
    const base = `${emu.url}/v1.0/${holder.set}/${holder.id}`;
    return async (method, suffix, body) => {
        const res = await fetch(`${base}${suffix}`, {
            method,
            headers: { authorization: `Bearer ${emu.token}`, "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (res.status >= 300) {
            throw new Error(`seed procedure: ${method} ${suffix || "object"} answered HTTP ${res.status}`);
        }
        const text = await res.text();
        return text === "" ? undefined : JSON.parse(text);
    };
}

function describeStep(s: JobStep): string {
    const what = s.type.endsWith("CredentialGeneration") ? "generation" : s.type.endsWith("CredentialInventory") ? "inventory" : s.type.endsWith("RandomBytes") ? "key bytes" : s.type.split(":").pop();
    return `${s.op} ${what} ${s.name}${s.replaces ? ` (changed: ${s.replaces.join(", ")})` : ""}${s.retain ? " [retain]" : ""}`;
}

function describeObject(obj: DirectoryObject): string {
    const groups = new Map<string, { n: number; end: Date }>();
    for (const e of [...obj.keyCredentials, ...obj.passwordCredentials]) {
        const name = e.displayName ?? "unmanaged";
        const g = groups.get(name) ?? { n: 0, end: e.endDateTime };
        g.n++;
        g.end = e.endDateTime > g.end ? e.endDateTime : g.end;
        groups.set(name, g);
    }
    const parts = [...groups].map(([name, g]) => `${name} (${g.n}, ends ${g.end.toISOString().slice(0, 10)})`);
    return `${obj.keyCredentials.length + obj.passwordCredentials.length} entries${parts.length ? `: ${parts.join("; ")}` : ""}`;
}

function groupCount(names: readonly string[]): string {
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    return [...counts].map(([n, c]) => `${c} × ${n}`).join(", ");
}

function firstLine(text: string | undefined): string {
    return (text ?? "unknown error").split("\n")[0];
}

function dayOf(ms: number): string {
    return new Date(ms).toISOString().slice(0, 10);
}

function iso(ms: number): string {
    return new Date(ms).toISOString();
}

function addYears(ms: number, years: number): number {
    const d = new Date(ms);
    d.setUTCFullYear(d.getUTCFullYear() + Math.floor(years));
    return d.getTime() + Math.round((years % 1) * 365 * DAY_MS);
}

/** Exported for the CLI's tests. */
export type { Emulator };
