// Limits and formats that the stack config parser (program/config.ts), the planner, the components
// and the CredentialGeneration provider share: each is defined here once, so the config never
// accepts what the provider refuses later.

/**
 * Longest accepted lifetime of a generation, in days: `lifetimeDays` (planner, config) and the
 * span from `startDateTime` to `endDateTime` (provider). 1,095 days is the classic procedure's
 * three years and never more than three calendar years (a calendar year has 365 or 366 days).
 * Graph documents no maximum; tenant app-management policies often allow less.
 */
export const MAX_LIFETIME_DAYS = 1095;

/** Shortest accepted `lifetimeDays`: with one day, no rotation can precede expiry. */
export const MIN_LIFETIME_DAYS = 2;

/**
 * How an error shows a value it refuses: its JSON (numbers as written), cut after 80 characters;
 * `nothing` when it is missing. Never call it with a secret.
 */
export function formatValue(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    const text = typeof value === "number" ? String(value) : JSON.stringify(value) ?? typeof value;
    return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * How an error shows a value of the wrong kind where the value itself may be or hold a secret
 * (app settings, adopted secrets, a misplaced block): its kind only, e.g. `a list`, `a string`.
 */
export function formatKind(value: unknown): string {
    if (value === undefined || value === null) {
        return value === undefined ? "nothing" : "null";
    }
    if (Array.isArray(value)) {
        return "a list";
    }
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
