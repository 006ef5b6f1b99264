// Pure rotation planner: (clock, configuration) -> which credential generations exist, which
// secrets the web app holds, and what happens next. No I/O and no Pulumi state (the program cannot
// read its own state), so every date below is derived from configuration alone and the clock only
// decides how far along the schedule we are. Same clock, same plan: previews do not drift, and a
// generation's dates never change while it exists.
//
// The facts it rests on (docs/FACTS.md §3):
// - ACS signs with the OLDEST still-valid key; a new key takes up to `propagationHours` to be
//   usable; Microsoft: add the new secret >= 30 days before expiry, remove the old one >= 7 days
//   after expiry.
// - The component keeps two slots; generation k lives in slot k % 2, so creating generation k+1
//   replaces (create-before-delete) generation k-1 in the same `up`.
//
// The tension: a literal replacement deletes generation k-1 when k+1 is created, so k-1
// must already be expired + grace by then. With s(k+1) = s(k) + interval and
//     interval = ceil((lifetimeDays + gracePeriodDays) / 2) days
// generation k-1 (start s(k) - interval) reaches expiry + grace at s(k-1) + lifetime + grace
// <= s(k+1), and the rotation still happens lifetime - interval (~ (lifetime - grace) / 2 = 544
// days with the defaults) before the current generation's expiry. When lifetime + grace is odd,
// k-1 reaches expiry + grace up to a day before its slot is reused; the plan stops declaring it at
// that instant (an ordinary delete), so nothing expired outlives the grace period.
//
// Manual (emergency) rotations insert a generation at a configured instant; the schedule then
// continues from it, but (nextScheduledStart) never by removing a still-valid generation and
// preferably not before expiry + grace: restarting the schedule at `at + interval` alone would delete
// the generation before the manual one up to ~544 days before its expiry, while it is the key ACS
// signs with. Without manual rotations the next start is exactly start + interval.

import { INSTANT_EXAMPLES, parseInstant } from "./instant";
import { formatValue, MAX_LIFETIME_DAYS, MIN_LIFETIME_DAYS } from "./limits";

/** One day in milliseconds; every duration is computed in ms and rendered as UTC ISO strings. */
export const DAY_MS = 86_400_000;

/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;

/**
 * How far a runner's clock may lag behind a configured instant (`firstGenerationStart`, a manual
 * rotation's `at`) and still treat it as due. An operator who sets firstGenerationStart to "now"
 * and triggers a pipeline whose clock is a few minutes slow should get generation 0, not an empty
 * deployment. Scheduled boundaries get no tolerance: a rotation one run late is harmless.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 10 * 60_000;

/**
 * The gap between runs the schedule must at least tolerate (a daily pipeline): a rotation may come
 * that late and still propagate before the generation it supersedes expires.
 */
export const MIN_RUN_GAP_MS = DAY_MS;

/** How long after a manual rotation (or scheduled early removal) its warnings stay in the plan. */
export const NOTICE_DAYS = 7;

/** Defaults of the optional planner inputs (Microsoft's guidance, docs/FACTS.md §3). */
export const DEFAULTS = {
    /** Three years, as the classic procedure registers: the longest lifetime accepted. */
    lifetimeDays: MAX_LIFETIME_DAYS,
    /** Microsoft: a new secret at least 30 days before the old one expires. */
    rotateBeforeExpiryDays: 30,
    /** Microsoft: remove the old secret at least 7 days after it expired. */
    gracePeriodDays: 7,
    /** SharePoint Online: a new secret can take up to 24 hours to become effective. */
    propagationHours: 24,
} as const;

/** The `name` of every {@link PlanError} (compare names, not classes, across module copies). */
export const PlanErrorName = "PlanError";

/** A configuration the planner refuses; `input` names the offending input. */
export class PlanError extends Error {
    /** The input at fault, e.g. `rotateBeforeExpiryDays` or `manualRotations[1].at`. */
    public readonly input: string;

    constructor(input: string, message: string) {
        super(message);
        this.name = PlanErrorName;
        this.input = input;
    }
}

/** An emergency rotation, kept in configuration forever as history so the plan stays deterministic. */
export interface ManualRotation {
    /**
     * When the new generation starts (ISO 8601 with a time zone); it is also the generation's
     * startDateTime. Set it to the time you add the entry: an `at` before the current generation's
     * start rewrites history, so the generations after it get new dates and are replaced.
     */
    readonly at: string;
    /** Also remove the generation that was current until `at` at once (outage risk of up to `propagationHours`). */
    readonly revokePrevious: boolean;
}

/** Planner configuration: the dates and durations that fully determine the schedule. */
export interface RotationPlanInput {
    /**
     * Start of generation 0 (ISO 8601 date, or date-time with `Z` or an offset, year 2000 or later);
     * set once on first deployment, never changed (every generation's dates derive from it). A
     * date far in the past makes the first deployment create the generations due now, back-dated.
     */
    readonly firstGenerationStart: string;
    /**
     * Lifetime of each generation in days (integer, MIN_LIFETIME_DAYS to MAX_LIFETIME_DAYS: 2 to 1095).
     * @default 1095
     */
    readonly lifetimeDays?: number;
    /**
     * The next generation must exist at least this many days before the current one expires (integer >= 0).
     * @default 30
     */
    readonly rotateBeforeExpiryDays?: number;
    /**
     * Days an expired generation is kept before it is removed (integer >= 0).
     * @default 7
     */
    readonly gracePeriodDays?: number;
    /**
     * Hours a new key can take to become usable by SharePoint (>= 0).
     * @default 24
     */
    readonly propagationHours?: number;
    /**
     * Emergency rotations, sorted by `at`, never removed once applied.
     * @default - no manual rotations; the schedule alone decides
     */
    readonly manualRotations?: readonly ManualRotation[];
    /**
     * End of the app's existing unmanaged secret, delivered while it is still valid.
     * @default - no adopted secret
     */
    readonly adoptedSecretEndDateTime?: string;
}

/** Why a generation exists. */
export type GenerationOrigin = "first" | "scheduled" | "manual";

/** One generation the plan declares. */
export interface GenerationPlan {
    /** Position in the sequence of generations, 0 for the first; stable while the generation exists. */
    readonly index: number;
    /** The slot it occupies, index % 2. */
    readonly slot: 0 | 1;
    /** Graph startDateTime (UTC ISO). */
    readonly startDateTime: string;
    /** Graph endDateTime: start + lifetimeDays (UTC ISO). */
    readonly endDateTime: string;
    /** endDateTime + gracePeriodDays: from then on the plan no longer declares it (UTC ISO). */
    readonly removeAfterDateTime: string;
    /** Whether it came from firstGenerationStart, the schedule, or a manual rotation. */
    readonly origin: GenerationOrigin;
}

/** A generation the plan no longer declares: its entries are removed from the object. */
export interface RetiredGeneration extends GenerationPlan {
    /** Why it is no longer declared, in one sentence with dates. */
    readonly reason: string;
    /** True when it was retired before its expiry + grace (revoked or displaced by a manual rotation): it may still be valid. */
    readonly early: boolean;
}

/** Where a delivered secret comes from. */
export type SecretSource = "current-generation" | "previous-generation" | "adopted" | "none";

/** Health of the current generation. */
export type PlanStatus = "not-started" | "ok" | "rotation-window" | "expired";

/** What the next planned change is. */
export type PlannedActionKind = "deploy-first-generation" | "rotate" | "manual-rotation" | "remove-previous" | "adopted-expires";

/** The next instant at which a run changes something. */
export interface PlannedAction {
    /** What happens. */
    readonly kind: PlannedActionKind;
    /** When it becomes due (UTC ISO); the first run at or after it performs it. */
    readonly at: string;
    /** One sentence for preview output. */
    readonly reason: string;
}

/** The planner's answer for one clock reading. */
export interface RotationPlan {
    /** The clock reading the plan is for (UTC ISO). */
    readonly now: string;
    /** Days between scheduled generation starts: ceil((lifetimeDays + gracePeriodDays) / 2). */
    readonly intervalDays: number;
    /** The newest declared generation, undefined before firstGenerationStart. */
    readonly current: GenerationPlan | undefined;
    /** The generation before it, while it is still declared (not revoked, not past expiry + grace). */
    readonly previous: GenerationPlan | undefined;
    /** Contents of slot 0 and slot 1. */
    readonly slots: readonly [GenerationPlan | undefined, GenerationPlan | undefined];
    /**
     * Every earlier generation the plan no longer declares, oldest first: expired longer ago
     * than the grace period, or revoked by a manual rotation. Whatever of them is still on the
     * object is removed (by the set's inventory, after the declared generations exist).
     */
    readonly retired: readonly RetiredGeneration[];
    /**
     * What to deliver as ClientSecret. Normally the current generation; the previous one while an
     * adopted secret is still valid alongside both (ACS signs with the adopted one, then with the
     * previous one, so those two are what the app must hold); the adopted one before generation 0.
     */
    readonly primarySource: SecretSource;
    /** What to deliver as SecondaryClientSecret. */
    readonly secondarySource: "previous-generation" | "adopted" | "none";
    /** Whole days until the current generation expires (floor), undefined before generation 0. */
    readonly daysLeft: number | undefined;
    /** Health of the current generation. */
    readonly status: PlanStatus;
    /** The next change a run will make. */
    readonly nextAction: PlannedAction;
    /** Things preview must show: future start, outage risk, early removal, rotation window, expiry. */
    readonly warnings: readonly string[];
}

/** The validated, defaulted configuration, in milliseconds. */
interface Config {
    readonly firstStartMs: number;
    readonly lifetimeMs: number;
    readonly rotateBeforeMs: number;
    readonly graceMs: number;
    readonly propagationMs: number;
    readonly intervalMs: number;
    readonly intervalDays: number;
    readonly rotateBeforeExpiryDays: number;
    readonly gracePeriodDays: number;
    readonly propagationHours: number;
    readonly manual: readonly { readonly atMs: number; readonly revokePrevious: boolean }[];
    readonly adoptedEndMs: number | undefined;
}

/** A generation on the (configuration-only) timeline. */
interface Generation {
    readonly index: number;
    readonly startMs: number;
    readonly endMs: number;
    readonly origin: GenerationOrigin;
    /** Index into manualRotations when origin is "manual". */
    readonly manualIndex: number | undefined;
    /** A manual rotation with revokePrevious: the generation before this one ends at startMs. */
    readonly revokesPrevious: boolean;
}

/**
 * Plans the credential generations for one clock reading.
 *
 * @param input the rotation configuration; validated before anything is computed.
 * @param now the runner's clock.
 * @returns the plan; deep-equal for equal inputs.
 * @throws PlanError when the configuration is invalid or asks for two rotations inside one
 *   propagation window.
 */
export function planRotation(input: RotationPlanInput, now: Date): RotationPlan {
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
        throw new PlanError("now", "now must be a valid Date; got an invalid one. Pass the runner's clock, e.g. new Date().");
    }
    const nowMs = now.getTime();
    const config = checkedConfig(input);
    const timeline = buildTimeline(config, nowMs);

    const dueCount = timeline.findIndex((g) => !isDue(g, nowMs));
    const currentGen = dueCount > 0 ? timeline[dueCount - 1] : undefined;
    const nextGen = timeline[dueCount];
    const previousGen = currentGen !== undefined ? declaredPrevious(timeline, currentGen, nowMs, config) : undefined;

    const current = currentGen !== undefined ? toPlan(currentGen, config) : undefined;
    const previous = previousGen !== undefined ? toPlan(previousGen, config) : undefined;
    const slots: [GenerationPlan | undefined, GenerationPlan | undefined] = [undefined, undefined];
    for (const g of [previous, current]) {
        if (g !== undefined) slots[g.slot] = g;
    }

    const delivery = chooseDelivery(config, nowMs, currentGen, previousGen);
    const status: PlanStatus = current === undefined ? "not-started" : generationStatus(current, now, config.rotateBeforeExpiryDays);

    return {
        now: iso(nowMs),
        intervalDays: config.intervalDays,
        current,
        previous,
        slots,
        retired: retiredGenerations(timeline, currentGen, previousGen, config, nowMs),
        primarySource: delivery.primary,
        secondarySource: delivery.secondary,
        daysLeft: currentGen !== undefined ? Math.floor((currentGen.endMs - nowMs) / DAY_MS) : undefined,
        status,
        nextAction: nextAction(config, timeline, nowMs, nextGen, previousGen),
        warnings: collectWarnings(config, timeline, nowMs, currentGen, nextGen, status),
    };
}

/**
 * Health of a generation at a clock reading: "expired" at or after its end, "rotation-window"
 * from `rotateBeforeExpiryDays` before its end, else "ok". On the regular schedule the current
 * generation is always "ok" (its successor starts earlier); it enters the window only when a
 * manual rotation came less than rotateBeforeExpiryDays + gracePeriodDays after its predecessor
 * (see nextScheduledStart). Exported also for checking deployed generations against the clock.
 */
export function generationStatus(
    generation: Pick<GenerationPlan, "endDateTime">,
    now: Date,
    rotateBeforeExpiryDays: number,
): "ok" | "rotation-window" | "expired" {
    const endMs = Date.parse(generation.endDateTime);
    if (now.getTime() >= endMs) return "expired";
    if (now.getTime() >= endMs - rotateBeforeExpiryDays * DAY_MS) return "rotation-window";
    return "ok";
}

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Checks a configuration as {@link planRotation} does, whatever the clock: every input and every
 * manual rotation, due or not. For callers that validate configuration before planning (the stack
 * config parser).
 * @throws PlanError naming the input, the value and the fix.
 */
export function validatePlanInput(input: RotationPlanInput): void {
    buildTimeline(checkedConfig(input), Number.NEGATIVE_INFINITY);
}

/** The configuration with every rule that needs no clock checked: the one path of planRotation and validatePlanInput. */
function checkedConfig(input: RotationPlanInput): Config {
    const config = resolveConfig(input);
    checkAdoptedEnd(config);
    return config;
}

function resolveConfig(input: RotationPlanInput): Config {
    const firstStartMs = parseIsoInstant("firstGenerationStart", input.firstGenerationStart);
    const lifetimeDays = integerIn("lifetimeDays", input.lifetimeDays ?? DEFAULTS.lifetimeDays, MIN_LIFETIME_DAYS, MAX_LIFETIME_DAYS);
    // Grace beyond the lifetime would push rotations past expiry (interval > lifetime).
    const gracePeriodDays = integerIn("gracePeriodDays", input.gracePeriodDays ?? DEFAULTS.gracePeriodDays, 0, lifetimeDays);
    const rotateBeforeExpiryDays = integerIn(
        "rotateBeforeExpiryDays", input.rotateBeforeExpiryDays ?? DEFAULTS.rotateBeforeExpiryDays, 0, MAX_LIFETIME_DAYS);
    const propagationHours = input.propagationHours ?? DEFAULTS.propagationHours;
    if (typeof propagationHours !== "number" || !Number.isFinite(propagationHours) || propagationHours < 0) {
        throw new PlanError("propagationHours", `propagationHours must be a number of hours >= 0; got ${formatValue(propagationHours)}. Use 24 for SharePoint Online.`);
    }

    const intervalDays = Math.ceil((lifetimeDays + gracePeriodDays) / 2);
    // Time from a scheduled rotation to the expiry of the generation it supersedes.
    const marginDays = lifetimeDays - intervalDays;
    if (rotateBeforeExpiryDays > marginDays) {
        throw new PlanError(
            "rotateBeforeExpiryDays",
            `rotateBeforeExpiryDays must be at most ${marginDays} with lifetimeDays ${lifetimeDays} and gracePeriodDays ${gracePeriodDays}; ` +
            `got ${rotateBeforeExpiryDays}. Rotations are ceil((lifetimeDays + gracePeriodDays) / 2) = ${intervalDays} days apart so that ` +
            `a slot is reused only after its generation expired plus the grace period, which leaves ${marginDays} days before expiry. ` +
            `Set rotateBeforeExpiryDays to ${marginDays} or less, or increase lifetimeDays, or reduce gracePeriodDays.`,
        );
    }
    if (marginDays * DAY_MS < propagationHours * HOUR_MS) {
        throw new PlanError(
            "propagationHours",
            `propagationHours (${propagationHours}) must fit between a rotation and the expiry of the generation it supersedes, ` +
            `lifetimeDays - ceil((lifetimeDays + gracePeriodDays) / 2) = ${marginDays} days; otherwise SharePoint switches to a key ` +
            `that has not propagated. Increase lifetimeDays or reduce gracePeriodDays.`,
        );
    }
    // The promise: no failed hour for any gap between runs up to rotateBeforeExpiryDays minus the
    // propagation time (a rotation that comes that late still propagates before the superseded
    // generation expires). A schedule that leaves less than a day cannot be kept by a daily run.
    if (rotateBeforeExpiryDays * DAY_MS - propagationHours * HOUR_MS < MIN_RUN_GAP_MS) {
        throw new PlanError(
            "rotateBeforeExpiryDays",
            `rotateBeforeExpiryDays (${rotateBeforeExpiryDays}) minus propagationHours (${propagationHours}) leaves ` +
            `${formatDuration(Math.max(0, rotateBeforeExpiryDays * DAY_MS - propagationHours * HOUR_MS))} between runs, less than one day: ` +
            `a rotation one daily run late would not propagate before the generation it supersedes expires, and no schedule is free of failed hours. ` +
            `Set rotateBeforeExpiryDays to at least ${Math.ceil((propagationHours * HOUR_MS + MIN_RUN_GAP_MS) / DAY_MS)}` +
            `${lifetimeDays - intervalDays < Math.ceil((propagationHours * HOUR_MS + MIN_RUN_GAP_MS) / DAY_MS) ? ` (which needs a longer lifetimeDays than ${lifetimeDays})` : ""}.`,
        );
    }

    const manual = resolveManualRotations(input.manualRotations);
    const adoptedEndMs = input.adoptedSecretEndDateTime === undefined
        ? undefined
        : parseIsoInstant("adoptedSecretEndDateTime", input.adoptedSecretEndDateTime);

    return {
        firstStartMs,
        lifetimeMs: lifetimeDays * DAY_MS,
        rotateBeforeMs: rotateBeforeExpiryDays * DAY_MS,
        graceMs: gracePeriodDays * DAY_MS,
        propagationMs: propagationHours * HOUR_MS,
        intervalMs: intervalDays * DAY_MS,
        intervalDays,
        rotateBeforeExpiryDays,
        gracePeriodDays,
        propagationHours,
        manual,
        adoptedEndMs,
    };
}

function resolveManualRotations(entries: readonly ManualRotation[] | undefined): Config["manual"] {
    if (entries === undefined) return [];
    if (!Array.isArray(entries)) {
        throw new PlanError("manualRotations", `manualRotations must be a list of { at, revokePrevious }; got ${formatValue(entries)}.`);
    }
    // The type says what a caller should pass; a stack config can hold anything, so each entry is checked.
    const resolved = (entries as readonly unknown[]).map((entry, i) => {
        const name = `manualRotations[${i}]`;
        if (typeof entry !== "object" || entry === null) {
            throw new PlanError(name, `${name} must be { at: "<ISO date-time>", revokePrevious: true|false }; got ${formatValue(entry)}.`);
        }
        const { at, revokePrevious } = entry as Partial<Record<keyof ManualRotation, unknown>>;
        const atMs = parseIsoInstant(`${name}.at`, at);
        if (typeof revokePrevious !== "boolean") {
            throw new PlanError(`${name}.revokePrevious`, `${name}.revokePrevious must be true or false; got ${formatValue(revokePrevious)}. Say whether the previous generation is revoked at once.`);
        }
        return { atMs, revokePrevious };
    });
    for (let i = 1; i < resolved.length; i++) {
        if (resolved[i].atMs <= resolved[i - 1].atMs) {
            throw new PlanError(
                "manualRotations",
                `manualRotations must be sorted by at, without duplicates; manualRotations[${i}].at (${iso(resolved[i].atMs)}) ` +
                `is not after manualRotations[${i - 1}].at (${iso(resolved[i - 1].atMs)}). Keep the entries in the order they happened.`,
            );
        }
    }
    return resolved;
}

function integerIn(name: string, value: number, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new PlanError(name, `${name} must be a whole number of days from ${min} to ${max}; got ${formatValue(value)}. Set ${name} within that range.`);
    }
    return value;
}

// No add-in credential predates ACS; an earlier year is a typo (and would make the timeline long).
const MIN_YEAR = 2000;

function parseIsoInstant(name: string, value: unknown): number {
    const fix = `Use ${INSTANT_EXAMPLES}.`;
    if (typeof value !== "string") {
        throw new PlanError(name, `${name} must be an ISO 8601 string; got ${formatValue(value)}. ${fix}`);
    }
    const ms = parseInstant(value);
    if (ms === undefined || new Date(ms).getUTCFullYear() < MIN_YEAR) {
        throw new PlanError(name, `${name} must be a valid ISO 8601 date or date-time with a time zone, from year ${MIN_YEAR}; got ${formatValue(value)}. ${fix}`);
    }
    return ms;
}

// ---------------------------------------------------------------------------------------------
// Timeline (configuration only; the clock only says where to stop)

/** True when a run at nowMs must declare the generation. */
function isDue(g: Generation, nowMs: number): boolean {
    // Configured instants tolerate a slow runner clock; computed boundaries do not.
    return g.origin === "scheduled" ? g.startMs <= nowMs : g.startMs <= nowMs + CLOCK_SKEW_TOLERANCE_MS;
}

/**
 * All generations from generation 0 until the first one that is not due at nowMs and comes after
 * every manual rotation (so every manual entry is validated, due or not: a configuration is valid
 * or invalid regardless of when it is planned).
 */
function buildTimeline(config: Config, nowMs: number): Generation[] {
    const gens: Generation[] = [{
        index: 0, startMs: config.firstStartMs, endMs: config.firstStartMs + config.lifetimeMs,
        origin: "first", manualIndex: undefined, revokesPrevious: false,
    }];
    let manualIndex = 0;
    for (;;) {
        const last = gens[gens.length - 1];
        const lastDone = manualIndex >= config.manual.length;
        if (lastDone && !isDue(last, nowMs)) return gens;
        const scheduledMs = nextScheduledStart(config, last, gens[gens.length - 2]);
        const manual = lastDone ? undefined : config.manual[manualIndex];
        if (manual !== undefined && manual.atMs <= scheduledMs) {
            checkManualSpacing(config, manualIndex, manual.atMs, last);
            gens.push({
                index: last.index + 1, startMs: manual.atMs, endMs: manual.atMs + config.lifetimeMs,
                origin: "manual", manualIndex, revokesPrevious: manual.revokePrevious,
            });
            manualIndex++;
        } else {
            gens.push({
                index: last.index + 1, startMs: scheduledMs, endMs: scheduledMs + config.lifetimeMs,
                origin: "scheduled", manualIndex: undefined, revokesPrevious: false,
            });
        }
    }
}

/**
 * Start of the generation after `last`, from soft to hard constraints:
 * 1. an interval after `last`, and not before `beforeLast` (the occupant of the slot it reuses)
 *    has expired plus grace (the ideal);
 * 2. no later than rotateBeforeExpiryDays before `last` expires (Microsoft's margin);
 * 3. never while `beforeLast` is still valid: it may be the key ACS signs with (hard);
 * 4. no later than propagationHours before `last` expires, so the new key is usable when ACS
 *    falls back to it (hard; 3 and 4 are compatible because manual rotations are refused inside
 *    one propagation window of the previous start).
 * On the regular schedule 1 is met by start + interval and 2-4 hold by validation, so the result
 * is last.start + interval; only a manual rotation less than rotateBeforeExpiryDays +
 * gracePeriodDays after its predecessor makes 2 or 3 bind (and the plan then warns).
 */
function nextScheduledStart(config: Config, last: Generation, beforeLast: Generation | undefined): number {
    const occupant = beforeLast !== undefined && !last.revokesPrevious ? beforeLast : undefined;
    let t = last.startMs + config.intervalMs;
    if (occupant !== undefined) t = Math.max(t, occupant.endMs + config.graceMs);
    t = Math.min(t, last.endMs - config.rotateBeforeMs);
    if (occupant !== undefined) t = Math.max(t, occupant.endMs);
    return Math.min(t, last.endMs - config.propagationMs);
}

/**
 * A remote web holds two secrets. When the adopted secret ends, SharePoint moves to the oldest
 * generation still valid; if that one ends soon after, SharePoint moves again, and a run that
 * comes late (any gap up to rotateBeforeExpiryDays minus propagationHours is promised) would find
 * the app holding the adopted secret and that short-lived generation while SharePoint already
 * signs with the next. Such a configuration is refused.
 */
function checkAdoptedEnd(config: Config): void {
    if (config.adoptedEndMs === undefined) return;
    const endMs = config.adoptedEndMs;
    const toleratedGapMs = config.rotateBeforeMs - config.propagationMs;
    const signerAfter = buildTimeline(config, endMs)
        .filter((g) => g.startMs <= endMs && endMs < g.endMs)
        .sort((a, b) => a.startMs - b.startMs)[0];
    if (signerAfter !== undefined && signerAfter.endMs - endMs < toleratedGapMs) {
        throw new PlanError(
            "adoptedSecretEndDateTime",
            `adoptedSecretEndDateTime (${iso(endMs)}) is ${formatDuration(signerAfter.endMs - endMs)} before generation ${signerAfter.index} expires ` +
            `(${iso(signerAfter.endMs)}): SharePoint would change keys twice within rotateBeforeExpiryDays minus propagationHours ` +
            `(${formatDuration(toleratedGapMs)}), more than the two secrets a remote web holds can cover when a run comes late. ` +
            `Set firstGenerationStart so that generation ${signerAfter.index} ends at least ${formatDuration(toleratedGapMs)} after the adopted secret, ` +
            `or use a longer lifetimeDays.`,
        );
    }
}

function checkManualSpacing(config: Config, manualIndex: number, atMs: number, last: Generation): void {
    if (atMs < config.firstStartMs) {
        throw new PlanError(
            `manualRotations[${manualIndex}].at`,
            `manualRotations[${manualIndex}].at (${iso(atMs)}) is before firstGenerationStart (${iso(config.firstStartMs)}); ` +
            `there is nothing to rotate yet. Remove the entry or move it after firstGenerationStart.`,
        );
    }
    if (atMs - last.startMs < config.propagationMs || atMs <= last.startMs) {
        throw new PlanError(
            "manualRotations",
            `manualRotations[${manualIndex}].at (${iso(atMs)}) is ${formatDuration(atMs - last.startMs)} after generation ${last.index} ` +
            `started (${iso(last.startMs)}): two rotations inside one propagation window (propagationHours = ${config.propagationHours}) ` +
            `are refused, because the generation that SharePoint would fall back to may not have propagated yet. ` +
            `Move it to ${iso(Math.max(last.startMs + config.propagationMs, last.startMs + 1))} or later, or remove it.`,
        );
    }
}

/** The generation before `current`, if a run at nowMs still declares it. */
function declaredPrevious(timeline: readonly Generation[], current: Generation, nowMs: number, config: Config): Generation | undefined {
    if (current.index === 0 || current.revokesPrevious) return undefined;
    const previous = timeline[current.index - 1];
    // Removed at expiry + grace even if its slot is not reused yet (odd lifetime + grace, or a
    // schedule stretched by a manual rotation): never declare anything expired past its grace.
    return nowMs < previous.endMs + config.graceMs ? previous : undefined;
}

/** The due generations before the declared ones, with why each is no longer declared. */
function retiredGenerations(
    timeline: readonly Generation[], current: Generation | undefined, previous: Generation | undefined, config: Config, nowMs: number,
): RetiredGeneration[] {
    if (current === undefined) return [];
    return timeline.filter((g) => g.index < current.index && g !== previous).map((g) => {
        const successor = timeline[g.index + 1];
        const plan = toPlan(g, config);
        if (successor.revokesPrevious) {
            return { ...plan, early: true, reason: `generation ${g.index} was revoked by manualRotations[${successor.manualIndex}] at ${iso(successor.startMs)}` };
        }
        if (nowMs < g.endMs + config.graceMs) {
            const displacer = timeline[g.index + 2];
            return {
                ...plan,
                early: true,
                reason: `generation ${g.index} was displaced from slot ${slotName(g.index)} by generation ${displacer.index} ` +
                    `(${displacer.origin === "manual" ? `manualRotations[${displacer.manualIndex}]` : "the schedule"}, ${iso(displacer.startMs)}) before its expiry + grace (${iso(g.endMs + config.graceMs)})`,
            };
        }
        return {
            ...plan,
            early: false,
            reason: `generation ${g.index} expired ${iso(g.endMs)} and its grace period of ${config.gracePeriodDays} day(s) ended ${iso(g.endMs + config.graceMs)}`,
        };
    });
}

/**
 * The generation whose slot `g` reuses, if it is still declared until `g` starts (so the same run
 * creates `g` and deletes it: a Pulumi replacement of the slot).
 */
function slotOccupant(timeline: readonly Generation[], g: Generation, config: Config): Generation | undefined {
    if (g.index < 2 || timeline[g.index - 1].revokesPrevious) return undefined;
    const occupant = timeline[g.index - 2];
    return g.startMs <= occupant.endMs + config.graceMs ? occupant : undefined;
}

function toPlan(g: Generation, config: Config): GenerationPlan {
    return {
        index: g.index,
        slot: g.index % 2 === 0 ? 0 : 1,
        startDateTime: iso(g.startMs),
        endDateTime: iso(g.endMs),
        removeAfterDateTime: iso(g.endMs + config.graceMs),
        origin: g.origin,
    };
}

// ---------------------------------------------------------------------------------------------
// Delivery, next action, warnings

/**
 * The web app must hold the key ACS signs with now (the oldest valid one) and the key it will sign
 * with when that one expires: the oldest valid key that outlives it. A key that expires before
 * the one signing now never signs, so it is not delivered (with an adopted secret that outlives a
 * generation, delivering "the two oldest" would hand out a key ACS never uses and leave out the
 * one it switches to, and a run that comes days late would find the add-in failing). Keys in age
 * order: the adopted one (it predates every managed generation), the previous generation, the
 * current one. When one key covers everything from now on, the previous generation is kept as
 * the second while it is in its grace period (tokens signed just before its expiry can still
 * arrive).
 */
function chooseDelivery(
    config: Config, nowMs: number, current: Generation | undefined, previous: Generation | undefined,
): { primary: SecretSource; secondary: RotationPlan["secondarySource"] } {
    const valid: { source: "adopted" | "previous-generation" | "current-generation"; endMs: number }[] = [];
    if (config.adoptedEndMs !== undefined && nowMs < config.adoptedEndMs) valid.push({ source: "adopted", endMs: config.adoptedEndMs });
    if (previous !== undefined && nowMs < previous.endMs) valid.push({ source: "previous-generation", endMs: previous.endMs });
    if (current !== undefined) valid.push({ source: "current-generation", endMs: current.endMs });
    const signing = valid[0];
    if (signing === undefined) {
        return { primary: "none", secondary: "none" };
    }
    const next = valid.slice(1).find((k) => k.endMs > signing.endMs);
    if (next !== undefined) {
        // `signing` cannot be the current generation: it is last in age order and `next` follows it.
        return { primary: next.source, secondary: signing.source === "current-generation" ? "none" : signing.source };
    }
    return { primary: signing.source, secondary: previous !== undefined && signing.source === "current-generation" ? "previous-generation" : "none" };
}

function nextAction(
    config: Config, timeline: readonly Generation[], nowMs: number, nextGen: Generation, previous: Generation | undefined,
): PlannedAction {
    const candidates: PlannedAction[] = [generationAction(config, timeline, nextGen)];
    if (previous !== undefined) {
        const removeMs = previous.endMs + config.graceMs;
        if (removeMs < nextGen.startMs) {
            candidates.push({
                kind: "remove-previous",
                at: iso(removeMs),
                reason: `generation ${previous.index} (slot ${slotName(previous.index)}) reaches expiry + gracePeriodDays (${config.gracePeriodDays}) and is removed`,
            });
        }
    }
    if (config.adoptedEndMs !== undefined && nowMs < config.adoptedEndMs) {
        candidates.push({
            kind: "adopted-expires",
            at: iso(config.adoptedEndMs),
            reason: "the adopted secret expires (adoptedSecretEndDateTime) and is no longer delivered",
        });
    }
    // Earliest wins; on a tie the generation change comes first (it is the bigger change).
    return candidates.reduce((best, c) => (Date.parse(c.at) < Date.parse(best.at) ? c : best));
}

/** The slot's name as the component names its resources (`<name>-slot-a`, `-slot-b`). */
function slotName(index: number): "a" | "b" {
    return index % 2 === 0 ? "a" : "b";
}

function generationAction(config: Config, timeline: readonly Generation[], g: Generation): PlannedAction {
    const slot = slotName(g.index);
    if (g.origin === "first") {
        return { kind: "deploy-first-generation", at: iso(g.startMs), reason: `generation 0 is created in slot a at firstGenerationStart` };
    }
    const occupant = slotOccupant(timeline, g, config);
    const occupantGoneMs = occupant === undefined ? 0 : occupant.endMs + config.graceMs;
    const slotText = occupant === undefined
        ? `slot ${slot}`
        : `slot ${slot}, replacing generation ${occupant.index} ` +
          (g.startMs < occupantGoneMs ? `${formatDuration(occupantGoneMs - g.startMs)} before its expiry + grace` : "(expired + grace)");
    if (g.origin === "manual") {
        const revoke = g.revokesPrevious ? `, revoking generation ${g.index - 1} at once` : "";
        return { kind: "manual-rotation", at: iso(g.startMs), reason: `manualRotations[${g.manualIndex}] creates generation ${g.index} in ${slotText}${revoke}` };
    }
    const before = timeline[g.index - 1];
    return {
        kind: "rotate",
        at: iso(g.startMs),
        reason: `generation ${g.index} is created in ${slotText}; generation ${before.index} expires ${formatDuration(before.endMs - g.startMs)} later`,
    };
}

function collectWarnings(
    config: Config, timeline: readonly Generation[], nowMs: number,
    current: Generation | undefined, nextGen: Generation, status: PlanStatus,
): string[] {
    const warnings: string[] = [];
    const first = timeline[0];
    if (current === undefined) {
        warnings.push(`firstGenerationStart (${iso(first.startMs)}) is ${formatDuration(first.startMs - nowMs)} in the future: nothing is deployed until then.`);
    } else if (first.startMs > nowMs && current.index === 0) {
        warnings.push(
            `the clock (${iso(nowMs)}) is ${formatDuration(first.startMs - nowMs)} before firstGenerationStart (${iso(first.startMs)}); ` +
            `generation 0 is deployed now with that start (clock skew tolerance ${CLOCK_SKEW_TOLERANCE_MS / 60_000} minutes).`,
        );
    }
    if (current !== undefined && status === "rotation-window") {
        warnings.push(`generation ${current.index} expires ${iso(current.endMs)}, within rotateBeforeExpiryDays (${config.rotateBeforeExpiryDays}); the next generation is due ${iso(nextGen.startMs)}.`);
    }
    if (current !== undefined && status === "expired") {
        warnings.push(`generation ${current.index} expired ${iso(current.endMs)}; the add-in has no valid managed secret.`);
    }

    // The adopted secret is what ACS signs with until it expires; if it expires before generation
    // 0 has propagated, SharePoint has no usable key in between.
    const propagatedMs = first.startMs + config.propagationMs;
    if (config.adoptedEndMs !== undefined && config.adoptedEndMs < propagatedMs && nowMs < propagatedMs) {
        warnings.push(
            `the adopted secret expires ${iso(config.adoptedEndMs)}, before generation 0 can have propagated (firstGenerationStart + ` +
            `propagationHours = ${iso(propagatedMs)}): SharePoint can fail to issue tokens from ${iso(config.adoptedEndMs)} until ${iso(propagatedMs)}. ` +
            `Move firstGenerationStart earlier than ${iso(config.adoptedEndMs - config.propagationMs)}.`,
        );
    }

    // Manual rotations and the early removals they cause: pending ones, and recent ones for a
    // week (so the run that performed them, and the next few, report it).
    const noticeFromMs = nowMs - NOTICE_DAYS * DAY_MS;
    for (const g of timeline) {
        if (g.index === 0 || g.startMs < noticeFromMs || g.index > nextGen.index && g.origin !== "manual") continue;
        const label = g.origin === "manual" ? `manualRotations[${g.manualIndex}] (${iso(g.startMs)})` : `the scheduled rotation at ${iso(g.startMs)}`;
        if (g.origin === "manual" && !isDue(g, nowMs)) {
            warnings.push(`${label} is in the future; nothing changes until then.`);
        }
        const occupant = slotOccupant(timeline, g, config);
        if (occupant !== undefined && g.startMs < occupant.endMs + config.graceMs) {
            const validText = g.startMs < occupant.endMs ? "while it is still valid" : "during its grace period";
            const why = g.origin === "manual"
                ? ""
                : `, so that generation ${g.index - 1} (a manual rotation) is followed rotateBeforeExpiryDays (${config.rotateBeforeExpiryDays}) before its expiry`;
            warnings.push(
                `${label} removes generation ${occupant.index} from slot ${slotName(occupant.index)} ${validText}, ` +
                `${formatDuration(occupant.endMs + config.graceMs - g.startMs)} before its expiry + gracePeriodDays (${iso(occupant.endMs + config.graceMs)})${why}.`,
            );
        }
        const superseded = timeline[g.index - 1];
        if (g.origin === "scheduled" && superseded.endMs - g.startMs < config.rotateBeforeMs) {
            warnings.push(
                `${label} comes ${formatDuration(superseded.endMs - g.startMs)} before generation ${superseded.index} expires, less than ` +
                `rotateBeforeExpiryDays (${config.rotateBeforeExpiryDays}), because generation ${g.index - 2} must not be removed while it is still valid.`,
            );
        }
        if (g.revokesPrevious) {
            warnings.push(
                `${label} revokes generation ${g.index - 1} at once: the only remaining managed key, generation ${g.index}, can take up to ` +
                `propagationHours (${config.propagationHours}) to propagate, so the add-in can fail until ${iso(g.startMs + config.propagationMs)}.`,
            );
        }
    }
    return warnings;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function iso(ms: number): string {
    return new Date(ms).toISOString();
}

/** "544 days", "1 day", "3 hours", "5 minutes" (floor; minutes rounded up so it is never "0 minutes"). */
function formatDuration(ms: number): string {
    const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;
    if (ms >= DAY_MS) return plural(Math.floor(ms / DAY_MS), "day");
    if (ms >= HOUR_MS) return plural(Math.floor(ms / HOUR_MS), "hour");
    return plural(Math.max(0, Math.ceil(ms / 60_000)), "minute");
}
