/**
 * The sandbox (`npm run sandbox`): years of daily `pulumi up` runs against the embedded Graph +
 * ACS emulator on a simulated clock, with the add-in checked every simulated hour.
 *
 * Each run: set the emulator clock and `addin-credentials:planningTime` to the run's instant, run
 * the program through the lifecycle harness (harness/lifecycle.ts; dynamic resources go to
 * Pulumi's own dynamic provider host), then "deploy" its `clientSecret` / `secondaryClientSecret`
 * outputs to the simulated remote web. Until the next run, the clock advances hour by hour and
 * each hour `emu.checkAddIn` asks whether SharePoint can sign a context token that the app
 * validates and whether the app gets an access token. Every hour is sampled; the full check runs
 * after each run and whenever ACS's active key or the app's settings changed since the previous
 * sample, otherwise that sample's result stands (nothing else decides it).
 *
 * Strategies: `component` runs the real program (index.ts). `replace` and `seed` run
 * tools/strategies/replaceProgram.ts (one CredentialGeneration renewed `rotateBeforeExpiryDays`
 * before expiry): `replace` is a create-before-delete replacement, the app gets ClientSecret = new
 * and SecondaryClientSecret = old; `seed` is the manual procedure, every credential on the object
 * removed and a new set added (delete-before-replace, plus the unmanaged entries removed directly
 * on the emulator), the app gets ClientSecret = new only.
 *
 * ## Scenario file format (`--scenario <file.json>`; tools/scenarios/default.json is the default)
 *
 * ```jsonc
 * {
 *   "description": "free text, printed at the top",
 *   "start": "2026-11-26T06:00:00Z",          // first run's instant; @default 2026-11-26T06:00:00Z
 *   "target": "servicePrincipal",             // "servicePrincipal" (Legacy ACS principal) | "application" (app-backed, SPDD)
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
 *   "adopt": "legacy",                        // component only: pass this ref's secret as adoptedClientSecrets and
 *                                             // its Sign key's end as adoptedSecretEndDateTime; @default none
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
import { AddInCheck, Emulator, startEmulator } from "../emulator";
import { DirectoryObject } from "../emulator/model";
import { LifecycleHarness, PROGRAM_PATH, RunResult, Step } from "../harness/lifecycle";
import { emulatorEnv, startProviderHost } from "../tests/support/providerHost";

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
}

/** The machine-readable result (`--json`). */
export interface SandboxSummary {
    readonly strategy: Strategy;
    readonly scenario: string;
    readonly start: string;
    readonly end: string;
    readonly years: number;
    readonly runEveryDays: number;
    readonly runs: number;
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
    const known = new Set(["description", "start", "target", "addIn", "credentials", "app", "adopt", "faults"]);
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

/** Runs the whole simulation and returns the summary. */
export async function runSandbox(options: SandboxOptions = {}): Promise<SandboxSummary> {
    const wallStart = Date.now();
    const years = options.years ?? 6;
    const runEvery = options.runEveryDays ?? 1;
    const strategy = options.strategy ?? "component";
    const scenario = options.scenario ?? loadScenario(DEFAULT_SCENARIO_PATH);
    const say = options.onLine ?? (() => undefined);
    const startMs = Date.parse(scenario.start ?? DEFAULT_START);
    const endMs = addYears(startMs, years);
    const addInName = String(scenario.addIn?.name ?? "hr-portal");
    const graceDays = Number(scenario.addIn?.gracePeriodDays ?? 7);

    const emu = await startEmulator({ port: 0, logErrors: false, propagationDelayMs: (scenario.faults?.propagationHours ?? 24) * HOUR_MS });
    emu.clock.freeze(new Date(startMs));
    const env = emulatorEnv(emu, { ADDIN_CREDENTIALS_RETRY_BASE_MS: "1" });
    const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const host = await startProviderHost({ env });
    const compiled = memoizeProgramCompilation();
    try {
        // ---- the principal and its starting credentials
        const target = scenario.target ?? "servicePrincipal";
        let appId: string;
        let holderId: string;
        if (target === "application") {
            const app = emu.tenant.addApplication({ displayName: `Add-in ${addInName}` });
            appId = app.appId;
            holderId = app.applicationId;
        } else {
            const sp = emu.tenant.addLegacyServicePrincipal({ displayName: `Add-in ${addInName}` });
            appId = sp.appId;
            holderId = sp.id;
        }
        const refBytes = new Map<string, string>();
        const bytesOf = (c: ScenarioCredential): string => {
            if (c.key !== undefined && c.key !== "random") {
                return c.key;
            }
            const ref = c.ref ?? crypto.randomUUID();
            if (!refBytes.has(ref)) {
                refBytes.set(ref, crypto.randomBytes(32).toString("base64"));
            }
            return refBytes.get(ref) as string;
        };
        for (const c of scenario.credentials ?? []) {
            if (c.type === "Password") {
                emu.tenant.seedCredentials(holderId, {
                    passwordCredentials: [{ secretText: c.secretText, displayName: c.displayName ?? null, startDateTime: c.start, endDateTime: c.end }],
                });
            } else {
                const key = bytesOf(c);
                if (c.ref !== undefined && !refBytes.has(c.ref)) {
                    refBytes.set(c.ref, key);
                }
                emu.tenant.seedCredentials(holderId, {
                    keyCredentials: [{ type: c.type, usage: c.usage ?? "Sign", key, displayName: c.displayName ?? null, startDateTime: c.start, endDateTime: c.end }],
                });
            }
        }
        const holder = emu.tenant.get(holderId) as DirectoryObject;
        const seededKeyIds = new Set([...holder.keyCredentials, ...holder.passwordCredentials].map((e) => e.keyId));
        const secretOfRef = (ref: string | null | undefined): string | null => (ref ? refBytes.get(ref) ?? null : null);
        const app = { clientSecret: secretOfRef(scenario.app?.clientSecret), secondaryClientSecret: secretOfRef(scenario.app?.secondaryClientSecret) };

        // ---- the program and its config
        const programPath = strategy === "component" ? PROGRAM_PATH : REPLACE_PROGRAM_PATH;
        const harness = new LifecycleHarness({ programPath, provider: host });
        const addInEntry: Record<string, unknown> = { name: addInName, firstGenerationStart: new Date(startMs).toISOString(), ...scenario.addIn, clientId: appId };
        const config: Record<string, string> = {};
        const secretKeys: string[] = [];
        if (strategy === "component" && scenario.adopt) {
            const adoptedSign = (scenario.credentials ?? []).find((c) => c.ref === scenario.adopt && c.type === "Symmetric" && c.usage === "Sign");
            addInEntry.adoptedSecretEndDateTime = adoptedSign?.end ?? holder.keyCredentials[0]?.endDateTime.toISOString();
            config["addin-credentials:adoptedClientSecrets"] = JSON.stringify({ [addInName]: secretOfRef(scenario.adopt) });
            secretKeys.push("addin-credentials:adoptedClientSecrets");
        }
        config["addin-credentials:addins"] = JSON.stringify([addInEntry]);
        if (strategy === "seed") {
            config["addin-credentials:sandboxDeleteBeforeReplace"] = "true";
        }

        // ---- bookkeeping
        let runs = 0;
        let samples = 0;
        let authFailures = 0;
        let maxCredentials = 0;
        let maxManaged = 0;
        const leftOver = new Set<string>();
        const displayNames = new Set<string>();
        const outages: { from: string; hours: number; reason: string }[] = [];
        let openOutage: { from: string; hours: number; reason: string } | undefined;
        let lastNextAction = "";
        let lastNextActionAt = Number.POSITIVE_INFINITY;
        let lastWarnings = "";
        let lastCheck: AddInCheck | undefined;
        let lastCheckKey = "";
        let fullChecks = 0;
        let lastProgressMonth = -1;
        const notes: string[] = [];
        const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        // Secrets are named by order of first appearance, never shown (not even a prefix).
        const secretLabels = new Map<string, string>();
        const short = (s: string | null): string => {
            if (!s) return "(none)";
            if (!secretLabels.has(s)) secretLabels.set(s, `secret #${secretLabels.size + 1}`);
            return secretLabels.get(s) as string;
        };
        const nameOf = (keyId: string): string => {
            const e = [...holder.keyCredentials, ...holder.passwordCredentials].find((x) => x.keyId === keyId);
            return e?.displayName ?? "unmanaged";
        };

        say(`sandbox: strategy ${strategy}, ${years} year(s) from ${new Date(startMs).toISOString()}, a run every ${runEvery} day(s), add-in checked hourly`);
        if (scenario.description) {
            say(`scenario: ${scenario.description}`);
        }
        say(`${dayOf(startMs)}  start: ${describeObject(holder)}; app ClientSecret ${short(app.clientSecret)}, SecondaryClientSecret ${short(app.secondaryClientSecret)}`);

        for (let runMs = startMs; runMs < endMs; runMs += runEvery * DAY_MS) {
            emu.clock.freeze(new Date(runMs));
            if (scenario.faults?.throttlePerRun) {
                emu.faults.throttle({ times: scenario.faults.throttlePerRun, retryAfterSeconds: null });
            }
            if (scenario.faults?.serverErrorsPerRun) {
                emu.faults.serverError({ times: scenario.faults.serverErrorsPerRun, status: 503 });
            }
            if (scenario.faults?.readAfterWriteLag) {
                emu.faults.readAfterWriteLag(scenario.faults.readAfterWriteLag);
            }
            config["addin-credentials:planningTime"] = new Date(runMs).toISOString();
            const before = new Set([...holder.keyCredentials, ...holder.passwordCredentials].map((e) => `${e.keyId}`));
            const beforeNames = new Map([...holder.keyCredentials, ...holder.passwordCredentials].map((e) => [e.keyId, e.displayName ?? "unmanaged"]));
            let result: RunResult;
            try {
                result = await harness.run({ config, secretKeys });
            } catch (e) {
                throw new Error(`run on ${new Date(runMs).toISOString()} failed: ${(e as Error).message}`);
            }
            runs++;
            const out = (result.outputs.addins?.value as Record<string, AddInOutputs> | undefined)?.[addInName];
            if (!out) {
                throw new Error(`run on ${new Date(runMs).toISOString()}: the program exported no addins.${addInName}`);
            }
            for (const g of out.generations ?? []) {
                displayNames.add(g.displayName);
            }
            const changes = result.steps.filter((s) => s.op !== "same");
            const generationChanged = changes.some((s) => s.type.endsWith("CredentialGeneration") && (s.op === "create" || s.op === "replace"));
            if (strategy === "seed" && generationChanged) {
                // The manual procedure removes every credential on the object, not only its own.
                const keep = new Set([out.generations?.[0]?.signKeyId, out.generations?.[0]?.verifyKeyId, out.generations?.[0]?.passwordKeyId].filter(Boolean));
                const managed = new Set(harnessKeyIds(harness));
                holder.keyCredentials = holder.keyCredentials.filter((k) => keep.has(k.keyId) || managed.has(k.keyId));
                holder.passwordCredentials = holder.passwordCredentials.filter((p) => keep.has(p.keyId) || managed.has(p.keyId));
            }

            // Deploy to the remote web.
            const newPrimary = out.clientSecret ?? null;
            let newSecondary: string | null;
            if (strategy === "component") {
                newSecondary = out.secondaryClientSecret ?? null;
            } else if (strategy === "replace") {
                newSecondary = newPrimary !== app.clientSecret ? app.clientSecret : app.secondaryClientSecret;
            } else {
                newSecondary = null;
            }
            const deployChanged = newPrimary !== app.clientSecret || newSecondary !== app.secondaryClientSecret;

            // Timeline.
            const after = new Set([...holder.keyCredentials, ...holder.passwordCredentials].map((e) => e.keyId));
            const added = [...after].filter((k) => !before.has(k));
            const removed = [...before].filter((k) => !after.has(k));
            if (changes.length > 0 || deployChanged || added.length > 0 || removed.length > 0) {
                const day = dayOf(runMs);
                if (lastNextAction && lastNextActionAt <= runMs) {
                    say(`${day}  why: ${lastNextAction}`);
                }
                for (const s of changes) {
                    say(`${day}  ${describeStep(s)}`);
                }
                const groups = (ids: string[], names: (k: string) => string) => {
                    const counts = new Map<string, number>();
                    for (const k of ids) counts.set(names(k), (counts.get(names(k)) ?? 0) + 1);
                    return [...counts].map(([n, c]) => `${c} × ${n}`).join(", ");
                };
                if (added.length > 0) say(`${day}  Entra: added ${groups(added, nameOf)}`);
                if (removed.length > 0) say(`${day}  Entra: removed ${groups(removed, (k) => beforeNames.get(k) ?? "?")}`);
                if (deployChanged) {
                    say(`${day}  deploy: ClientSecret ${short(newPrimary)}, SecondaryClientSecret ${short(newSecondary)}`);
                }
                say(`${day}  now: ${describeObject(holder)}; next (${dayOf(Date.parse(out.nextActionDate))}): ${out.nextAction}`);
            }
            // Program warnings, when they change (the first run's, and new ones later).
            const warnings = result.logs.filter((l) => l.severity !== "info").map((l) => `${l.severity}: ${l.message.trim()}`);
            const warningText = warnings.join("\n");
            if (warningText !== lastWarnings) {
                for (const w of warnings.filter((x) => !lastWarnings.includes(x))) {
                    say(`${dayOf(runMs)}  program ${w}`);
                }
                lastWarnings = warningText;
            }
            lastNextAction = out.nextAction;
            lastNextActionAt = Date.parse(out.nextActionDate);
            app.clientSecret = newPrimary;
            app.secondaryClientSecret = newSecondary;

            // Hourly samples until the next run.
            const nextRunMs = Math.min(runMs + runEvery * DAY_MS, endMs);
            for (let t = runMs; t < nextRunMs; t += HOUR_MS) {
                emu.clock.freeze(new Date(t));
                samples++;
                const entries = [...holder.keyCredentials, ...holder.passwordCredentials];
                maxCredentials = Math.max(maxCredentials, entries.length);
                maxManaged = Math.max(maxManaged, entries.filter((e) => !seededKeyIds.has(e.keyId)).length);
                for (const e of entries) {
                    if (t > e.endDateTime.getTime() + (graceDays + runEvery) * DAY_MS) {
                        leftOver.add(e.keyId);
                    }
                }
                // The check's outcome depends only on ACS's active key and the app's two settings:
                // run it in full after every run and whenever either changed, else reuse it.
                const key = `${emu.acs.activeSigningKey(appId)?.keyId ?? "none"}|${app.clientSecret}|${app.secondaryClientSecret}`;
                if (t === runMs || key !== lastCheckKey || lastCheck === undefined) {
                    lastCheck = await emu.checkAddIn(appId, { clientSecret: app.clientSecret ?? "", secondaryClientSecret: app.secondaryClientSecret });
                    lastCheckKey = key;
                    fullChecks++;
                }
                const check = lastCheck;
                const ok = check.contextTokenValid && check.accessTokenOk;
                if (!ok) {
                    authFailures++;
                    if (!openOutage) {
                        openOutage = { from: new Date(t).toISOString(), hours: 0, reason: check.reason ?? "unknown" };
                        outages.push(openOutage);
                        say(`${dayOf(t)}  OUTAGE from ${new Date(t).toISOString().slice(11, 16)}Z: ${openOutage.reason}`);
                    }
                    openOutage.hours++;
                } else if (openOutage) {
                    say(`${dayOf(t)}  restored at ${new Date(t).toISOString().slice(11, 16)}Z after ${openOutage.hours} h (key ${check.activeKeyId?.slice(0, 8)} active, validated with ${check.contextTokenValidatedWith})`);
                    openOutage = undefined;
                }
            }
            const month = Math.floor((runMs - startMs) / (30 * DAY_MS));
            if (month !== lastProgressMonth) {
                lastProgressMonth = month;
                options.onProgress?.((runMs - startMs) / (endMs - startMs), new Date(runMs));
            }
        }
        options.onProgress?.(1, new Date(endMs));

        const graphRequests = emu.requests.filter((r) => !r.operation.startsWith("acs")).length;
        if (strategy !== "component" && scenario.adopt) {
            notes.push(`${strategy}: adoption is not modelled; the app's first deployment keeps its current secret as ${strategy === "replace" ? "SecondaryClientSecret" : "nothing (ClientSecret = new only)"}.`);
        }
        if (strategy === "replace") {
            notes.push("replace: create-before-delete of the single generation; the old key is deleted in the same run, so SharePoint has no propagated key until the new one propagates.");
        } else if (strategy === "seed") {
            notes.push("seed: every credential removed, a new set added, ClientSecret = new only: no propagated key until the new one propagates.");
        } else {
            notes.push("component: two generation slots; a slot is reused only once its generation is expired + grace.");
        }
        const unmanagedLeft = [...leftOver].filter((k) => seededKeyIds.has(k)).length;
        if (unmanagedLeft > 0) {
            notes.push(`${unmanagedLeft} expired left-over entr${unmanagedLeft === 1 ? "y was" : "ies were"} seeded (unmanaged); nothing in this program removes them.`);
        }
        return {
            strategy,
            scenario: scenario.description ?? "",
            start: new Date(startMs).toISOString(),
            end: new Date(endMs).toISOString(),
            years,
            runEveryDays: runEvery,
            runs,
            samples,
            fullChecks,
            authFailures,
            maxCredentials,
            maxManagedCredentials: maxManaged,
            expiredLeftOver: leftOver.size,
            expiredLeftOverUnmanaged: unmanagedLeft,
            graphRequests,
            rotations: Math.max(0, displayNames.size - 1),
            outages,
            wallSeconds: Math.round((Date.now() - wallStart) / 100) / 10,
            notes,
        };
    } finally {
        compiled.restore();
        await host.stop();
        await emu.close();
        for (const [k, v] of Object.entries(savedEnv)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    }
}

/** What the sandbox reads from `addins.<name>`. */
interface AddInOutputs {
    clientSecret?: string;
    secondaryClientSecret?: string;
    generations?: { displayName: string; signKeyId?: string; verifyKeyId?: string; passwordKeyId?: string }[];
    nextActionDate: string;
    nextAction: string;
}

/**
 * The harness re-requires the program on every run, and ts-node type-checks and emits it again
 * each time (~0.2 s, most of a run). The program's text does not change during a sandbox run, so
 * the JavaScript ts-node emitted the first time is reused (same file, same text → same output);
 * the module still executes afresh on every run.
 */
function memoizeProgramCompilation(): { restore(): void } {
    type Loader = (m: NodeJS.Module, filename: string) => void;
    type CompilingModule = NodeJS.Module & { _compile(code: string, filename: string): unknown };
    const extensions = require.extensions;
    const original = extensions[".ts"] as Loader | undefined;
    if (original === undefined) {
        return { restore: () => undefined };
    }
    const cache = new Map<string, { text: string; code: string }>();
    const loader: Loader = (m, filename) => {
        const text = fs.readFileSync(filename, "utf8");
        const hit = cache.get(filename);
        const mod = m as CompilingModule;
        if (hit && hit.text === text) {
            mod._compile(hit.code, filename);
            return;
        }
        const compile = mod._compile.bind(mod);
        mod._compile = (code: string, file: string) => {
            cache.set(filename, { text, code });
            return compile(code, file);
        };
        original(m, filename);
    };
    extensions[".ts"] = loader;
    return {
        restore() {
            if (extensions[".ts"] === loader) {
                extensions[".ts"] = original;
            }
        },
    };
}


/** keyIds of every generation in the harness's state. */
function harnessKeyIds(harness: LifecycleHarness): string[] {
    return [...harness.state.values()].flatMap((e) =>
        ["signKeyId", "verifyKeyId", "passwordKeyId"].map((k) => e.outputs[k]).filter((v): v is string => typeof v === "string"),
    );
}

function describeStep(s: Step): string {
    const what = s.type.endsWith("CredentialGeneration") ? "generation" : s.type.endsWith("RandomBytes") ? "key bytes" : s.type.split(":").pop();
    const ops: Record<Step["op"], string> = {
        same: "kept",
        create: "created",
        update: "updated",
        replace: "replaced",
        delete: "removed",
        "refresh-gone": "found gone on refresh",
        "refresh-changed": "found changed on refresh",
    };
    return `pulumi: ${ops[s.op]} ${what} ${s.name}${s.replaces ? ` (changed: ${s.replaces.join(", ")})` : ""}`;
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

function addYears(ms: number, years: number): number {
    const d = new Date(ms);
    d.setUTCFullYear(d.getUTCFullYear() + Math.floor(years));
    return d.getTime() + Math.round((years % 1) * 365 * DAY_MS);
}

/** Exported for the CLI's tests. */
export type { Emulator };
