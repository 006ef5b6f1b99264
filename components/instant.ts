// One way to read an instant given by a person (stack config, component arguments) or stored in a
// generation's inputs: ISO 8601, a date alone or a date-time with a time zone. A date-time without
// a zone is refused, because JavaScript reads it in the runner's local time zone and two runners
// would then plan different dates; a day that is not in the calendar ("2025-02-30") is refused
// rather than rolled over to the next month as Date.parse does. Answers of Microsoft Graph are
// read by the Graph client (graph/shape.ts), not here.

// Date, then optionally time (minutes, seconds, up to 7 fractional digits as Graph writes them) with Z or an offset.
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-](\d{2}):(\d{2})))?$/;

/** How a message asks for an instant. */
export const INSTANT_EXAMPLES = `an ISO 8601 date ("2025-03-01") or date-time with a time zone ("2025-03-01T09:00:00Z")`;

/** What {@link parseInstant} accepts: a date alone too, or a date-time only. */
export type InstantForm = "date-or-date-time" | "date-time";

/**
 * The instant `value` names, in milliseconds since the epoch (a date alone is its 00:00 UTC), or
 * undefined when it is not an ISO 8601 instant of the given form, has no time zone, or names a
 * day or time that does not exist.
 */
export function parseInstant(value: unknown, form: InstantForm = "date-or-date-time"): number | undefined {
    if (typeof value !== "string") {
        return undefined;
    }
    const m = ISO_INSTANT.exec(value);
    if (m === null || (form === "date-time" && m[4] === undefined)) {
        return undefined;
    }
    const [y, mo, d, h, mi, s, , , oh, om] = m.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
    const day = new Date(Date.UTC(y, mo - 1, d));
    const exists = day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d
        && h <= 23 && mi <= 59 && s <= 59 && oh <= 23 && om <= 59;
    const ms = Date.parse(value);
    return exists && !Number.isNaN(ms) ? ms : undefined;
}
