// The pure part of `npm run inventory`, shared by its two modes (one add-in, `--client-id`; every
// add-in of the tenant, `--all`): which entries count as managed, the classification of one
// object's credentials (components/classify.ts does it; this only sets its context), what needs
// attention and the exit code, and the per-entry table. No I/O.
import { classifyCredentials, InventoryEntry, MANAGED_DISPLAY_NAME_PREFIX, setPrefix } from "../components/classify";
import type { ObjectCredentials } from "../components/graph/credentials";

const DAY_MS = 86_400_000;

/** Default of `--warn-days`. */
export const DEFAULT_WARN_DAYS = 30;

/** Display names that count as managed: this set's, or every addin-credentials one. */
export function managedDisplayNames(entries: readonly { displayName?: string | null }[], setName?: string): string[] {
    const prefix = setName === undefined ? `${MANAGED_DISPLAY_NAME_PREFIX}/` : setPrefix(setName);
    return [...new Set(entries.map((e) => e.displayName ?? "").filter((n) => n.startsWith(prefix)))];
}

/** The names of the AddInCredentialSets with a generation on the object (`addin-credentials/<set>/gen-…`), sorted. */
export function managingSets(entries: readonly { displayName: string }[]): string[] {
    const generation = new RegExp(`^${MANAGED_DISPLAY_NAME_PREFIX}/([^/]+)/gen-`);
    return [...new Set(entries.map((e) => generation.exec(e.displayName)?.[1]).filter((n): n is string => n !== undefined))].sort();
}

/** What needs attention on one object, from {@link assessInventory}. */
export interface Assessment {
    /** 1 when anything in `problems`. */
    readonly exitCode: 0 | 1;
    /** In words, with keyIds and dates: risks, no valid Sign key, the current secret due. */
    readonly problems: string[];
    /** No valid Symmetric Sign key: SharePoint cannot sign context tokens (the add-in is down now). */
    readonly down: boolean;
    /** Entries with a risk (an older valid Sign key the app may not hold). */
    readonly risky: boolean;
    /** Days left of the key whose expiry is watched, when it is within `warnDays`. */
    readonly expiresInDays?: number;
}

/**
 * What needs attention, in words, and the exit code: risks, then the expiry of the newest valid
 * managed generation (or, without one, of the newest valid Sign key).
 */
export function assessInventory(entries: readonly InventoryEntry[], now: Date, warnDays: number): Assessment {
    const risks = entries.filter((e) => e.risk !== undefined);
    const problems = risks.map((e) => `${e.kind} ${e.keyId}: ${e.risk}`);
    const t = now.getTime();
    const validSign = entries.filter((e) => isSymmetricSign(e) && Date.parse(e.endDateTime) > t);
    const managed = validSign.filter((e) => e.classification === "managed");
    const pool = managed.length > 0 ? managed : validSign;
    const newest = [...pool].sort((a, b) => Date.parse(b.startDateTime) - Date.parse(a.startDateTime))[0];
    let expiresInDays: number | undefined;
    if (newest === undefined) {
        problems.push("no valid Symmetric Sign key on the object: SharePoint cannot sign context tokens for this add-in.");
    } else {
        const daysLeft = Math.floor((Date.parse(newest.endDateTime) - t) / DAY_MS);
        if (daysLeft < warnDays) {
            const what = managed.length > 0 ? `the newest managed generation (${newest.displayName})` : `the newest valid Sign key ${newest.keyId}`;
            problems.push(`${what} expires on ${newest.endDateTime.slice(0, 10)}, in ${daysLeft} day(s) (--warn-days ${warnDays}).`);
            expiresInDays = daysLeft;
        }
    }
    return {
        exitCode: problems.length > 0 ? 1 : 0,
        problems,
        down: newest === undefined,
        risky: risks.length > 0,
        ...(expiresInDays === undefined ? {} : { expiresInDays }),
    };
}

/** One object's classified entries and what needs attention. */
export interface Inspection extends Assessment {
    readonly entries: InventoryEntry[];
}

/**
 * Classifies one object's credentials as the CredentialInventory resource does and assesses them.
 *
 * Without a managed generation nobody has told us which secret the remote web holds. The
 * classic rotation puts the newest secret into web.config, so the risk is judged as if the app
 * held the newest valid Sign key's secret: an older valid Sign key (which SharePoint signs with
 * first) is reported, worded as the condition it is. Those entries are not marked adopted:
 * nothing was adopted.
 */
export function inspectCredentials(view: ObjectCredentials, now: Date, options: { readonly setName?: string; readonly warnDays: number }): Inspection {
    const declared = managedDisplayNames([...view.keyCredentials, ...view.passwordCredentials], options.setName);
    const base = { now, setName: options.setName, declaredDisplayNames: declared, gracePeriodDays: 0 };
    const classified = classifyCredentials(view, base);
    let entries = classified;
    if (!classified.some((e) => e.classification === "managed")) {
        const newest = classified
            .filter((e) => isSymmetricSign(e) && Date.parse(e.endDateTime) > now.getTime())
            .sort((a, b) => Date.parse(b.startDateTime) - Date.parse(a.startDateTime))[0];
        if (newest !== undefined) {
            const condition = `if the remote web holds only the newest secret (Sign key ${newest.keyId}, ends ${newest.endDateTime.slice(0, 10)}), this is an `;
            const newestSecret = classified.filter((e) => e.endDateTime === newest.endDateTime).map((e) => e.keyId);
            entries = classifyCredentials(view, { ...base, adoptedKeyIds: newestSecret }).map((e) => ({
                ...e,
                adopted: false,
                ...(e.risk === undefined ? {} : { risk: condition + e.risk }),
            }));
        }
    }
    return { entries, ...assessInventory(entries, now, options.warnDays) };
}

/** The key SharePoint signs with now: the oldest valid Symmetric Sign key (ACS signs with the oldest valid one), or undefined. */
export function signingKey(entries: readonly InventoryEntry[], now: Date): InventoryEntry | undefined {
    const t = now.getTime();
    return entries
        .filter((e) => isSymmetricSign(e) && Date.parse(e.startDateTime) <= t && Date.parse(e.endDateTime) > t)
        .sort((a, b) => Date.parse(a.startDateTime) - Date.parse(b.startDateTime) || a.keyId.localeCompare(b.keyId))[0];
}

/** The earliest future end among the object's valid Symmetric keys and passwords (the add-in's secret entries), or undefined. */
export function nextExpiry(entries: readonly InventoryEntry[], now: Date): string | undefined {
    const t = now.getTime();
    return entries
        .filter((e) => (e.type === "Symmetric" || e.kind === "password") && Date.parse(e.endDateTime) > t)
        .map((e) => e.endDateTime)
        .sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}

/** The classified entries as a fixed-width table (risk last, unpadded). */
export function formatInventoryTable(entries: readonly InventoryEntry[]): string {
    const header = ["keyId", "kind", "type", "usage", "display name", "start", "end", "classification", "risk"];
    const rows = entries.map((e) => [
        e.keyId,
        e.kind,
        e.type,
        e.usage || "-",
        e.displayName || "-",
        e.startDateTime.slice(0, 10) || "-",
        e.endDateTime.slice(0, 10) || "-",
        e.classification + (e.adopted ? " (adopted)" : ""),
        e.risk ?? "",
    ]);
    return formatTable(header, rows);
}

/** Rows under a header, columns padded to their widest cell, the last column unpadded. */
export function formatTable(header: readonly string[], rows: readonly string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function isSymmetricSign(e: Pick<InventoryEntry, "kind" | "type" | "usage">): boolean {
    return e.kind === "key" && e.type === "Symmetric" && e.usage === "Sign";
}
