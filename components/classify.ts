// Pure classification of the credentials on an add-in's Entra object, and the cleanup plan that
// follows from a policy. No I/O: the CredentialInventory provider and `npm run inventory` read
// Graph and hand the view here (docs/FACTS.md §3: SharePoint's token service signs with the oldest
// valid Symmetric Sign key, so an older valid Sign key the app does not hold breaks the add-in;
// expired keys are harmless, sp-dev-docs issue 8912).
//
// The provider is serialized by value with this file: keep it free of imports with side effects.
import type { ObjectCredentials } from "./graph/credentials";

/** The prefix every managed entry's display name starts with (inventory and cleanup rely on it). */
export const MANAGED_DISPLAY_NAME_PREFIX = "addin-credentials";

/** Whether an entry is a key credential or a password credential (Graph's two collections). */
export type CredentialKind = "key" | "password";

/**
 * How an entry relates to this stack:
 * - `managed`: carries the display name of a generation the component declares now;
 * - `managed-duplicate`: carries such a name but is not one of that generation's own entries: left
 *   by a create attempt that Graph applied late (its response was lost), so nobody holds its value;
 * - `managed-retired`: carries the name of a generation of this set that the plan retired (expired
 *   past its grace period, or revoked or displaced by a manual rotation); it is removed;
 * - `managed-orphan`: carries this set's prefix but no declared or retired generation's name (left
 *   by an interrupted run, or by a plan that changed, e.g. a new firstGenerationStart);
 * - `unmanaged-valid` / `unmanaged-expired`: anything else, by whether its end has passed.
 */
export type Classification = "managed" | "managed-duplicate" | "managed-retired" | "managed-orphan" | "unmanaged-valid" | "unmanaged-expired";

/** One classified entry. Holds no secret (no key value, no password hint). */
export interface InventoryEntry {
    /** Graph's keyId. */
    readonly keyId: string;
    /** Which collection it is in. */
    readonly kind: CredentialKind;
    /** "Symmetric", "AsymmetricX509Cert", ... for keys; "Password" for passwords. */
    readonly type: string;
    /** "Sign" or "Verify" for keys; "" for passwords. */
    readonly usage: string;
    /** Graph's displayName, "" when none. */
    readonly displayName: string;
    /** ISO 8601, as Graph returned it ("" when absent). */
    readonly startDateTime: string;
    /** ISO 8601, as Graph returned it ("" when absent). */
    readonly endDateTime: string;
    readonly classification: Classification;
    /** For `managed-retired`: why the plan retired its generation. */
    readonly retiredBecause?: string;
    /** The generation index parsed from a managed display name (`…/gen-<n>/…`). */
    readonly generation?: number;
    /** True for an unmanaged entry of the adopted secret (the secret the app uses today). */
    readonly adopted: boolean;
    /** What this entry will do to the add-in, in plain words with dates; absent when harmless. */
    readonly risk?: string;
}

/** What {@link classifyCredentials} needs besides the entries. */
export interface ClassifyContext {
    /** The directory's current time (Graph's `Date` header). */
    readonly now: Date;
    /** The AddInCredentialSet's name; entries with its prefix that are not declared are orphans. @default - no orphans */
    readonly setName?: string;
    /** Display names of the generations declared now. */
    readonly declaredDisplayNames: readonly string[];
    /**
     * keyIds of the declared generations' own entries (Sign, Verify, Password each). Other entries
     * carrying a declared name are duplicates.
     * @default - not known: every entry with a declared name is `managed`
     */
    readonly declaredKeyIds?: readonly string[];
    /**
     * Display names of this set's generations that the plan retired, each with why (the
     * planner's `retired`). @default - none
     */
    readonly retiredGenerations?: readonly { readonly displayName: string; readonly reason: string }[];
    /** Days an expired generation is kept after its end. */
    readonly gracePeriodDays: number;
    /**
     * keyIds of the adopted secret's entries (the secret the app uses today, before this stack
     * managed it), as `npm run inventory` prints them. Graph never shows a value, so the keyId
     * is what identifies them; an end date would also match another secret ending that day.
     * @default - nothing is adopted
     */
    readonly adoptedKeyIds?: readonly string[];
}

/** The cleanup policies of AddInCredentialSet's `cleanup` argument. */
export type CleanupMode = "expired" | "none" | "unmanaged";

/** The cleanup modes, for validation messages. */
export const CLEANUP_MODES: readonly CleanupMode[] = ["expired", "none", "unmanaged"];

/** What {@link planCleanup} applies. */
export interface CleanupPolicy {
    readonly cleanup: CleanupMode;
    /** keyIds to remove explicitly (the classic procedure's `Remove-MsolServicePrincipalCredential -KeyIds`). */
    readonly removeKeyIds: readonly string[];
    /** Remove even when a safety check refuses (the adopted secret, no valid managed generation). */
    readonly force: boolean;
    readonly gracePeriodDays: number;
    readonly now: Date;
    /** keyIds of `removeKeyIds` removed by an earlier run: absent now, and that is fine. @default [] */
    readonly alreadyRemovedKeyIds?: readonly string[];
    /** Remove every entry of the set `setName` (the add-in is taken out of service). @default false */
    readonly decommission?: boolean;
    /** The set whose entries `decommission` removes. @default - none */
    readonly setName?: string;
}

/** One planned removal and why. */
export interface PlannedRemoval {
    readonly entry: InventoryEntry;
    readonly reason: string;
}

/** The result of {@link planCleanup}: what to remove, or why nothing may be removed. */
export interface CleanupPlan {
    readonly remove: PlannedRemoval[];
    /** Non-empty: remove nothing at all and report these. */
    readonly refusals: string[];
    /** Things to tell the operator that change nothing (a listed keyId already absent). */
    readonly notes: string[];
}

const DAY_MS = 86_400_000;

/** The display-name prefix of one set's generations. */
export function setPrefix(setName: string): string {
    return `${MANAGED_DISPLAY_NAME_PREFIX}/${setName}/`;
}

/**
 * Classifies every key and password entry of one object (see {@link Classification}), marks the
 * adopted secret's entries and describes each entry's risk. Sorted: keys, then passwords, each by
 * start, then keyId.
 */
export function classifyCredentials(creds: ObjectCredentials, ctx: ClassifyContext): InventoryEntry[] {
    const now = ctx.now.getTime();
    const declared = new Set(ctx.declaredDisplayNames);
    const ownKeyIds = ctx.declaredKeyIds !== undefined && ctx.declaredKeyIds.length > 0 ? new Set(ctx.declaredKeyIds) : undefined;
    const ownPrefix = ctx.setName === undefined ? undefined : setPrefix(ctx.setName);
    const adoptedIds = new Set((ctx.adoptedKeyIds ?? []).map((id) => id.toLowerCase()));

    const base = [
        ...creds.keyCredentials.map((k) => ({
            keyId: k.keyId,
            kind: "key" as const,
            type: k.type ?? "unknown",
            usage: k.usage ?? "",
            displayName: k.displayName ?? "",
            startDateTime: k.startDateTime ?? "",
            endDateTime: k.endDateTime ?? "",
        })),
        ...creds.passwordCredentials.map((p) => ({
            keyId: p.keyId,
            kind: "password" as const,
            type: "Password",
            usage: "",
            displayName: p.displayName ?? "",
            startDateTime: p.startDateTime ?? "",
            endDateTime: p.endDateTime ?? "",
        })),
    ];

    const retired = new Map((ctx.retiredGenerations ?? []).map((g) => [g.displayName, g.reason]));
    const classified: InventoryEntry[] = base.map((e) => {
        let classification: Classification;
        if (e.displayName !== "" && declared.has(e.displayName)) {
            classification = ownKeyIds === undefined || ownKeyIds.has(e.keyId) ? "managed" : "managed-duplicate";
        } else if (e.displayName !== "" && retired.has(e.displayName)) {
            classification = "managed-retired";
        } else if (ownPrefix !== undefined && e.displayName.startsWith(ownPrefix)) {
            classification = "managed-orphan";
        } else {
            classification = isExpired(e, now) ? "unmanaged-expired" : "unmanaged-valid";
        }
        const generation = generationOf(e.displayName);
        const adopted = classification.startsWith("unmanaged") && adoptedIds.has(e.keyId.toLowerCase());
        const retiredBecause = classification === "managed-retired" ? retired.get(e.displayName) : undefined;
        return { ...e, classification, ...(generation === undefined ? {} : { generation }), ...(retiredBecause === undefined ? {} : { retiredBecause }), adopted };
    });

    // Sign keys the app holds: declared generations and the adopted secret, still valid.
    const delivered = classified.filter((e) => isValidSignKey(e, now) && (e.classification === "managed" || e.adopted));
    const newestDeliveredStart = Math.max(...delivered.map((d) => time(d.startDateTime)));
    const withRisk = classified.map((e): InventoryEntry => {
        // Retired generations are removed by this run: they are no risk to report.
        if (!isValidSignKey(e, now) || e.adopted || e.classification === "managed" || e.classification === "managed-retired" || delivered.length === 0) {
            return e;
        }
        const start = time(e.startDateTime);
        const end = time(e.endDateTime);
        if (!(start < newestDeliveredStart)) {
            return e; // newer than everything the app holds: SharePoint reaches it only after those expire
        }
        // A delivered key that started earlier and outlives it shadows it: it never becomes the oldest.
        if (delivered.some((d) => time(d.startDateTime) <= start && time(d.endDateTime) >= end)) {
            return e;
        }
        const olderDelivered = delivered.filter((d) => time(d.startDateTime) < start).map((d) => time(d.endDateTime));
        const from = olderDelivered.length > 0 ? Math.max(...olderDelivered) : Math.max(start, now);
        const when = from > now ? `from ${day(from)} until ${day(end)}` : `until ${day(end)}`;
        const risk =
            "older valid Sign key the app does not hold: SharePoint signs with the oldest valid key, " +
            `so it will sign with this one ${when} and the add-in's context tokens will fail validation`;
        return { ...e, risk };
    });

    return withRisk.sort(
        (a, b) => (a.kind === b.kind ? 0 : a.kind === "key" ? -1 : 1) || time(a.startDateTime) - time(b.startDateTime) || a.keyId.localeCompare(b.keyId),
    );
}

/**
 * Plans the removals a policy asks for (see README "Cleanup of lingering credentials"):
 * - `expired` (default): unmanaged entries and this set's orphans that expired longer ago than
 *   the grace period;
 * - `none`: nothing (report only);
 * - `unmanaged`: those, plus unmanaged and orphaned entries that are still valid. Refused, unless
 *   `force`, when the object holds no valid managed generation or when the adopted secret (the
 *   app's current secret) is among them;
 * - `removeKeyIds`: exactly those as well; one of a declared generation is refused, one that is
 *   not on the object is noted (nothing to do).
 * Entries of another set (another `addin-credentials/<name>/` prefix) are removed only when listed.
 */
export function planCleanup(entries: readonly InventoryEntry[], policy: CleanupPolicy): CleanupPlan {
    const now = policy.now.getTime();
    const graceMs = policy.gracePeriodDays * DAY_MS;
    const remove: PlannedRemoval[] = [];
    const refusals: string[] = [];
    const notes: string[] = [];
    const planned = new Set<string>();
    const add = (entry: InventoryEntry, reason: string): void => {
        if (!planned.has(entry.keyId)) {
            planned.add(entry.keyId);
            remove.push({ entry, reason });
        }
    };
    const otherSet = (e: InventoryEntry): boolean => e.classification.startsWith("unmanaged") && e.displayName.startsWith(`${MANAGED_DISPLAY_NAME_PREFIX}/`);

    if (policy.decommission && policy.setName !== undefined) {
        for (const e of entries.filter((x) => x.displayName.startsWith(setPrefix(policy.setName as string)))) {
            add(e, "decommission is set: the add-in is taken out of service");
        }
    }
    // The plan's own rotation: retired generations go whatever the cleanup policy.
    for (const e of entries) {
        if (e.classification === "managed-retired") {
            add(e, `retired: ${e.retiredBecause ?? "no longer declared"}`);
        }
    }
    if (policy.cleanup !== "none") {
        for (const e of entries) {
            if (e.classification === "managed-duplicate") {
                add(e, `a duplicate of generation "${e.displayName}" left by a create attempt Graph applied late; nobody holds its value`);
                continue;
            }
            const removable = e.classification === "unmanaged-expired" || e.classification === "managed-orphan";
            if (removable && !otherSet(e) && isExpired(e, now) && time(e.endDateTime) < now - graceMs) {
                add(e, `expired on ${day(time(e.endDateTime))}, longer ago than the grace period of ${policy.gracePeriodDays} day(s)`);
            }
        }
    }
    if (policy.cleanup === "unmanaged") {
        for (const e of entries) {
            if (otherSet(e) || isExpired(e, now)) {
                continue;
            }
            if (e.classification === "unmanaged-valid") {
                add(e, `unmanaged, valid until ${day(time(e.endDateTime))}, and cleanup is "unmanaged"${e.risk ? `; ${e.risk}` : ""}`);
            } else if (e.classification === "managed-orphan") {
                add(e, `left by an earlier run of this set (not a declared generation), valid until ${day(time(e.endDateTime))}, and cleanup is "unmanaged"`);
            }
        }
    }
    const alreadyRemoved = new Set(policy.alreadyRemovedKeyIds ?? []);
    for (const keyId of policy.removeKeyIds) {
        const e = entries.find((x) => x.keyId.toLowerCase() === keyId.toLowerCase());
        if (e === undefined) {
            // Absent is what removeKeyIds asks for: an earlier run removed it, or the keyId is
            // mistyped, which only the operator can tell (a preview cannot see the earlier run).
            if (!alreadyRemoved.has(keyId)) {
                notes.push(`removeKeyIds: keyId ${keyId} is neither a key nor a password on this object: removed earlier, or mistyped (npm run inventory lists the keyIds).`);
            }
        } else if (e.classification === "managed") {
            refusals.push(
                `removeKeyIds: keyId ${keyId} belongs to the declared generation "${e.displayName}"; ` +
                    "to replace a managed generation add a manualRotations entry instead, then it is removed by the rotation.",
            );
        } else {
            add(e, `listed in removeKeyIds${e.risk ? `; ${e.risk}` : ""}`);
        }
    }

    // Safety checks on removals of still-valid entries.
    const valid = remove.filter((r) => !isExpired(r.entry, now));
    if (!policy.force && !policy.decommission && valid.length > 0) {
        const adopted = valid.filter((r) => r.entry.adopted);
        if (adopted.length > 0) {
            refusals.push(
                `cleanup would remove ${describeIds(adopted)}: the adopted secret the app uses today (ends ${day(time(adopted[0].entry.endDateTime))}). ` +
                    'Removing it breaks the add-in; wait until it has expired (cleanup "expired" removes it after the grace period), ' +
                    "drop these keyIds from removeKeyIds, or set forceCleanup: true to remove it anyway.",
            );
        }
        const validManaged = entries.some((e) => e.classification === "managed" && isValidSignKey(e, now) && time(e.startDateTime) <= now);
        if (!validManaged) {
            refusals.push(
                `cleanup would remove the valid entries ${describeIds(valid)} while the object holds no valid managed generation, ` +
                    "which could leave the add-in without any key the app holds. Run again once a generation of this set is in place, " +
                    'use cleanup "expired", or set forceCleanup: true to remove them anyway.',
            );
        }
    }
    return { remove, refusals, notes };
}

/**
 * What is wrong with an adoption, for as long as the adopted secret is delivered (before its
 * end): every adopted keyId must be an entry on the object that this stack does not manage, one
 * of them a Symmetric Sign key (the one SharePoint signs with), and each must end when the
 * configuration says the adopted secret ends. Once it has ended, its entries may be gone.
 */
export function adoptionProblems(
    entries: readonly InventoryEntry[],
    adoption: { readonly adoptedKeyIds: readonly string[]; readonly adoptedSecretEndDateTime?: string },
    now: Date,
): string[] {
    const end = adoption.adoptedSecretEndDateTime === undefined ? undefined : Date.parse(adoption.adoptedSecretEndDateTime);
    if (adoption.adoptedKeyIds.length === 0 || end === undefined || now.getTime() >= end) {
        return [];
    }
    const problems: string[] = [];
    const found = adoption.adoptedKeyIds.map((id) => ({ id, entry: entries.find((e) => e.keyId.toLowerCase() === id.toLowerCase()) }));
    for (const { id, entry } of found) {
        if (entry === undefined) {
            problems.push(`adoptedKeyIds: keyId ${id} is on no entry of this object; copy the keyIds of the secret the app uses today from npm run inventory.`);
        } else if (!entry.classification.startsWith("unmanaged")) {
            problems.push(`adoptedKeyIds: keyId ${id} belongs to "${entry.displayName}", which this project manages: only a secret from before this stack can be adopted.`);
        } else if (time(entry.endDateTime) !== end) {
            problems.push(`adoptedKeyIds: keyId ${id} ends ${entry.endDateTime}, but adoptedSecretEndDateTime is ${adoption.adoptedSecretEndDateTime}; give the end date npm run inventory shows for it.`);
        }
    }
    if (!found.some(({ entry }) => entry !== undefined && entry.kind === "key" && entry.type === "Symmetric" && entry.usage === "Sign")) {
        problems.push("adoptedKeyIds: none of them is a Symmetric Sign key, the entry SharePoint signs with; include the Sign key of the secret the app uses today.");
    }
    return problems;
}

/**
 * The refusal when SharePoint would sign, right after this run, with a key the remote web does not
 * get: the oldest valid Symmetric Sign key that stays on the object is neither a declared
 * generation's nor the adopted secret's. Delivering would replace the secret the app holds today
 * (an add-in onboarded without adopting its secret) or leave it without the key that signs (an
 * older valid key nobody delivers), and its context tokens fail until that key expires.
 */
export function undeliveredSigner(entries: readonly InventoryEntry[], removing: readonly string[], now: Date, setName: string): string[] {
    const t = now.getTime();
    const signer = entries
        .filter((e) => isValidSignKey(e, t) && time(e.startDateTime) <= t && !removing.includes(e.keyId))
        .sort((a, b) => time(a.startDateTime) - time(b.startDateTime) || a.keyId.localeCompare(b.keyId))[0];
    if (signer === undefined || signer.classification === "managed" || signer.adopted) {
        return [];
    }
    const until = day(time(signer.endDateTime));
    return [
        `SharePoint signs with key ${signer.keyId} (Symmetric/Sign, ${signer.startDateTime.slice(0, 10)}..${until}, ${signer.classification}), ` +
            `which the remote web would not hold after this update: its context tokens would fail until ${until}. ` +
            "If the remote web uses that secret today, adopt it (adoptedKeyIds, adoptedSecretEndDateTime and adoptedClientSecrets." + setName +
            "; npm run inventory -- --emit-config <client id> prints them); if nothing uses it, remove it (removeKeyIds: [" + signer.keyId + "]); " +
            "or set acceptOutage: true to go on anyway.",
    ];
}

/** "key 1234… (Symmetric/Sign), password 5678…" listing of planned removals, for messages. */
function describeIds(removals: readonly PlannedRemoval[]): string {
    return removals.map((r) => `${r.entry.kind} ${r.entry.keyId} (${r.entry.kind === "key" ? `${r.entry.type}/${r.entry.usage}` : "Password"})`).join(", ");
}

/** True for a Symmetric Sign key that has not expired. */
function isValidSignKey(e: Pick<InventoryEntry, "kind" | "type" | "usage" | "endDateTime">, now: number): boolean {
    return e.kind === "key" && e.type === "Symmetric" && e.usage === "Sign" && !isExpired(e, now);
}

/** An entry without a readable end is treated as valid (never removed as expired). */
function isExpired(e: Pick<InventoryEntry, "endDateTime">, now: number): boolean {
    const end = time(e.endDateTime);
    return !Number.isNaN(end) && end <= now;
}

function generationOf(displayName: string): number | undefined {
    if (!displayName.startsWith(`${MANAGED_DISPLAY_NAME_PREFIX}/`)) {
        return undefined;
    }
    const m = /\/gen-(\d+)\//.exec(displayName);
    return m ? Number(m[1]) : undefined;
}

function time(iso: string): number {
    return iso === "" ? Number.NaN : Date.parse(iso);
}

function day(ms: number): string {
    return new Date(ms).toISOString().slice(0, 10);
}
