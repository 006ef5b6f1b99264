// CredentialInventory: reads every key and password entry on an add-in's Entra object, classifies
// them (components/classify.ts), reports risks, and removes lingering entries as the cleanup
// policy says. One per AddInCredentialSet, created after its generations (dependsOn), so cleanup
// never runs before the new generation exists. docs/FACTS.md §3: an older valid Sign key the app does
// not hold becomes SharePoint's signing key and breaks the add-in (the outage of the classic manual renewal).
//
// How each provider method maps to Graph v1.0 calls (T = the target object, see graph/target.ts):
//   check  - validates the inputs; no Graph call.
//   create - resolve T (1-2 GETs); then as update.
//   update - under the per-object write lock (shared with CredentialGeneration): GET T (fresh
//            view; "now" is the Date header of Graph's answer, the directory's clock); classify;
//            plan; any refusal → throw, nothing removed; keys: PATCH T {keyCredentials without the
//            removed keyIds} (read-merge-write), passwords: POST T/removePassword each; GET T until
//            the removed entries stay gone. Already-gone entries are fine.
//   read   - GET T; classify; outputs what the policy would remove now (`pending`) and `risks`.
//   diff   - no Graph call: an update (never a replacement) when an input changed, the last
//            read found pending removals or risks, or older provider code is stored; otherwise
//            no changes (no perpetual diff).
//   delete - removes nothing: the entries belong to the object, not to this resource.
//
// Serialization rules as in credentialGeneration.ts: no classes, no live objects; local helpers
// (classify.ts, graph/*) are serialized by value. Graph's URL and token come from the environment.
import * as pulumi from "@pulumi/pulumi";
import { adoptionProblems, CLEANUP_MODES, classifyCredentials, CleanupMode, CleanupPlan, InventoryEntry, planCleanup, undeliveredSigner } from "./classify";
import { GraphClient, GraphClientOptions, graphClientOptionsFromEnv } from "./graph/client";
import { directoryClient } from "./graph/directoryClock";
import { ObjectCredentials, pollCredentials, readFreshCredentials, removePasswordConfirmed, replaceKeys, requireConfirmed, updateKeyCredentials, withObjectLock } from "./graph/credentials";
import { CredentialTarget, isGuid, resolveTarget, TargetKind, targetOf } from "./graph/target";
import { parseInstant } from "./instant";
import { providerShim } from "./providerShim";
import { isUnknown } from "./unknown";

/** The resource's type token parts; never rename them (URN stability). */
export const CREDENTIAL_INVENTORY_MODULE = "addin-credentials";
/** See {@link CREDENTIAL_INVENTORY_MODULE}. */
export const CREDENTIAL_INVENTORY_TYPE = "CredentialInventory";

/** Arguments of {@link CredentialInventory}. */
export interface CredentialInventoryArgs {
    /** The add-in's client id (GUID). */
    readonly clientId: pulumi.Input<string>;
    /** The AddInCredentialSet's name: entries named `addin-credentials/<setName>/…` are this set's. */
    readonly setName: pulumi.Input<string>;
    /** Display names of the generations the set declares now (their entries are `managed`). */
    readonly declaredDisplayNames: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * keyIds of those generations' own entries; other entries with their names are duplicates.
     * Unknown in a preview on a day a generation is created or replaced.
     * @default []
     */
    readonly declaredKeyIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** Generations of this set the plan retired, with why: their entries are removed. @default [] */
    readonly retiredGenerations?: pulumi.Input<pulumi.Input<RetiredGenerationRef>[]>;
    /** What to remove: "expired", "none" or "unmanaged" (see classify.ts planCleanup). @default "expired" */
    readonly cleanup?: pulumi.Input<CleanupMode>;
    /** keyIds to remove explicitly. @default [] */
    readonly removeKeyIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** Remove even what a safety check refuses (the adopted secret; no valid managed generation). @default false */
    readonly forceCleanup?: pulumi.Input<boolean>;
    /** Days an expired entry is kept after its end. @default 7 */
    readonly gracePeriodDays?: pulumi.Input<number>;
    /** keyIds of the adopted secret's entries (the secret the app uses today, before this stack). @default [] */
    readonly adoptedKeyIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** When the adopted secret ends; its entries must end then. @default - none */
    readonly adoptedSecretEndDateTime?: pulumi.Input<string>;
    /** Go on although SharePoint signs with a key the remote web does not get (see AddInCredentialSetArgs). @default false */
    readonly acceptOutage?: pulumi.Input<boolean>;
    /** Remove every entry of this set (the add-in is taken out of service). @default false */
    readonly decommission?: pulumi.Input<boolean>;
}

/** A retired generation, as the inventory needs it. */
export interface RetiredGenerationRef {
    /** The display name on its entries. */
    readonly displayName: string;
    /** Why the plan retired it (logged with each removal). */
    readonly reason: string;
}

/** One removed (or pending) entry, as reported: no secret. */
export interface RemovedCredential {
    readonly keyId: string;
    readonly kind: "key" | "password";
    readonly type: string;
    readonly usage: string;
    readonly displayName: string;
    readonly startDateTime: string;
    readonly endDateTime: string;
    /** Why it is (to be) removed. */
    readonly reason: string;
    /**
     * When it was removed (the directory's time); absent for pending removals. `read` keeps
     * `removed` as it is (stable state, no refresh diff), so this tells a fresh removal from the
     * report of an earlier run.
     */
    readonly removedAt?: string;
}

/** The checked inputs. */
interface InventoryInputs {
    clientId: string;
    setName: string;
    declaredDisplayNames: string[];
    declaredKeyIds: string[];
    retiredGenerations: RetiredGenerationRef[];
    cleanup: CleanupMode;
    removeKeyIds: string[];
    forceCleanup: boolean;
    gracePeriodDays: number;
    adoptedKeyIds: string[];
    adoptedSecretEndDateTime?: string;
    acceptOutage: boolean;
    decommission: boolean;
}

/** Everything in state. */
interface InventoryOutputs extends InventoryInputs {
    targetKind: TargetKind;
    objectId: string;
    /** Every entry on the object, classified. */
    entries: InventoryEntry[];
    /** What the last create/update removed. */
    removed: RemovedCredential[];
    /** What the policy would remove now (set by read; empty after create/update). */
    pending: RemovedCredential[];
    /** One line per risky entry. */
    risks: string[];
    /** keyIds of `removeKeyIds` this resource has removed (absent from the object since, which is fine). */
    removedKeyIds: string[];
}

const INPUT_NAMES = [
    "clientId", "setName", "declaredDisplayNames", "declaredKeyIds", "retiredGenerations", "cleanup", "removeKeyIds", "forceCleanup", "gracePeriodDays",
    "adoptedKeyIds", "adoptedSecretEndDateTime", "acceptOutage", "decommission",
] as const;


/**
 * Validates and normalizes inputs (defaults filled in); failures name the input and the fix.
 * Pure; exported for tests.
 */
export function validateInventoryInputs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: pulumi.dynamic.CheckFailure[] } {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const inputs: Record<string, unknown> = {
        ...news,
        cleanup: news.cleanup ?? "expired",
        removeKeyIds: news.removeKeyIds ?? [],
        declaredKeyIds: news.declaredKeyIds ?? [],
        retiredGenerations: news.retiredGenerations ?? [],
        adoptedKeyIds: news.adoptedKeyIds ?? [],
        acceptOutage: news.acceptOutage ?? false,
        decommission: news.decommission ?? false,
        forceCleanup: news.forceCleanup ?? false,
        gracePeriodDays: news.gracePeriodDays ?? 7,
    };
    // In a preview, any input may be the unknown sentinel (declaredKeyIds is, on a day a
    // generation is created or replaced): only known values are checked.
    const fail = (property: string, reason: string): void => {
        if (!isUnknown(inputs[property])) {
            failures.push({ property, reason });
        }
    };
    if (typeof inputs.clientId !== "string" || !isGuid(inputs.clientId)) {
        fail("clientId", `clientId must be the add-in's client id, a GUID; got ${JSON.stringify(inputs.clientId)}.`);
    }
    if (typeof inputs.setName !== "string" || inputs.setName === "") {
        fail("setName", `setName must be the AddInCredentialSet's name; got ${JSON.stringify(inputs.setName)}.`);
    }
    const declared = inputs.declaredDisplayNames;
    if (!Array.isArray(declared) || declared.some((d) => typeof d !== "string")) {
        fail("declaredDisplayNames", `declaredDisplayNames must be a list of display names; got ${JSON.stringify(declared)}.`);
    }
    const ownIds = inputs.declaredKeyIds;
    if (!Array.isArray(ownIds) || ownIds.some((id) => typeof id !== "string")) {
        fail("declaredKeyIds", `declaredKeyIds must be a list of keyIds; got ${JSON.stringify(ownIds)}.`);
    }
    const retired = inputs.retiredGenerations;
    const isRetired = (g: unknown) => typeof g === "object" && g !== null && typeof (g as Record<string, unknown>).displayName === "string" && typeof (g as Record<string, unknown>).reason === "string";
    if (!Array.isArray(retired) || !(retired as unknown[]).every(isRetired)) {
        fail("retiredGenerations", `retiredGenerations must be a list of {displayName, reason}; got ${JSON.stringify(retired)}.`);
    }
    if (!(CLEANUP_MODES as readonly unknown[]).includes(inputs.cleanup)) {
        fail("cleanup", `cleanup must be one of ${CLEANUP_MODES.map((m) => `"${m}"`).join(", ")}; got ${JSON.stringify(inputs.cleanup)}.`);
    }
    const ids = inputs.removeKeyIds;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string" || !isGuid(id))) {
        fail("removeKeyIds", `removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ${JSON.stringify(ids)}.`);
    }
    for (const flag of ["acceptOutage", "decommission", "forceCleanup"] as const) {
        if (typeof inputs[flag] !== "boolean") {
            fail(flag, `${flag} must be true or false; got ${JSON.stringify(inputs[flag])}.`);
        }
    }
    const grace = inputs.gracePeriodDays;
    if (typeof grace !== "number" || !Number.isInteger(grace) || grace < 0) {
        fail("gracePeriodDays", `gracePeriodDays must be a whole number of days, 0 or more; got ${JSON.stringify(grace)}.`);
    }
    const adoptedIds = inputs.adoptedKeyIds;
    if (!Array.isArray(adoptedIds) || adoptedIds.some((id) => typeof id !== "string" || !isGuid(id))) {
        fail("adoptedKeyIds", `adoptedKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ${JSON.stringify(adoptedIds)}.`);
    }
    const adopted = inputs.adoptedSecretEndDateTime;
    if (adopted !== undefined && adopted !== null && parseInstant(adopted, "date-time") === undefined) {
        fail("adoptedSecretEndDateTime", `adoptedSecretEndDateTime must be an ISO 8601 date-time with a time zone; got ${JSON.stringify(adopted)}.`);
    }
    return { inputs, failures };
}

/** The dynamic provider of {@link CredentialInventory}; exported so tests can call and serialize it. */
export const credentialInventoryProvider: pulumi.dynamic.ResourceProvider<InventoryInputs, InventoryOutputs> = {
    async check(_olds, news) {
        const { inputs, failures } = validateInventoryInputs(news as unknown as Record<string, unknown>);
        return { inputs: inputs as unknown as InventoryInputs, failures };
    },

    /**
     * An update (never a replacement) when inputs changed, the last read found work or risks, or
     * the provider code stored by an older version of this package differs (its text in
     * `__provider`): the update stores the current text, so later reads run the installed code.
     */
    async diff(_id, olds, news) {
        const changed = INPUT_NAMES.filter((name) => JSON.stringify(olds[name] ?? null) !== JSON.stringify(news[name] ?? null));
        const drift = (olds.pending ?? []).length > 0 || (olds.risks ?? []).length > 0;
        const migrates = (olds as { __provider?: string }).__provider !== (news as { __provider?: string }).__provider;
        return { changes: changed.length > 0 || drift || migrates, replaces: [] };
    },

    async create(inputs) {
        const { client, directoryNow } = directoryClient(graphClientOptionsFromEnv());
        const target = await resolveTarget(client, inputs.clientId);
        const outs = await cleanUp(client, directoryNow, target, inputs, []);
        return { id: `${target.objectId}/credentialInventory/${inputs.setName}`, outs };
    },

    async update(_id, olds, news) {
        const { client, directoryNow } = directoryClient(graphClientOptionsFromEnv());
        const target = olds.clientId === news.clientId && olds.objectId
            ? targetOf(olds.clientId, olds.targetKind, olds.objectId)
            : await resolveTarget(client, news.clientId);
        const earlier = olds.clientId === news.clientId ? (olds.removedKeyIds ?? []).filter((id) => news.removeKeyIds.includes(id)) : [];
        const outs = await cleanUp(client, directoryNow, target, news, earlier);
        return { outs };
    },

    async read(id, props) {
        if (props === undefined) {
            throw new Error(`CredentialInventory ${id} cannot be read without its state; import and get are not supported.`);
        }
        const { client, directoryNow } = directoryClient(graphClientOptionsFromEnv());
        const target = targetOf(props.clientId, props.targetKind, props.objectId);
        const view = (await pollCredentials(client, target, "read credentials for inventory", (v) => v !== undefined, { consecutive: 1, maxReads: 3 })).view;
        if (view === undefined) {
            return { id: "" }; // the object is gone, and its credentials with it
        }
        const { entries, plan } = planInventory(view, props, directoryNow(), props.removedKeyIds ?? []);
        const { __provider: _p, ...rest } = props as InventoryOutputs & { __provider?: string };
        const outs = {
            ...rest,
            entries,
            pending: plan.remove.map(report),
            risks: risksOf(entries),
        } satisfies InventoryOutputs;
        return { id, props: outs };
    },

    /** Removes nothing: the entries on the object are not this resource's. */
    async delete() {
        return;
    },
};

/**
 * The inventory of one AddInCredentialSet's Entra object, with its cleanup policy applied on
 * every create/update. Type token: `pulumi-nodejs:dynamic/addin-credentials:CredentialInventory`.
 */
export class CredentialInventory extends pulumi.dynamic.Resource {
    /** "servicePrincipal" (Legacy ACS principal) or "application". */
    declare readonly targetKind: pulumi.Output<TargetKind>;
    /** Object id of the object holding the entries. */
    declare readonly objectId: pulumi.Output<string>;
    /** Every entry on the object, classified (no secrets). */
    declare readonly entries: pulumi.Output<InventoryEntry[]>;
    /** What the last create/update removed, with the reason. */
    declare readonly removed: pulumi.Output<RemovedCredential[]>;
    /** What the policy would remove now (found by refresh; done by the next up). */
    declare readonly pending: pulumi.Output<RemovedCredential[]>;
    /** One line per entry that will break the add-in. */
    declare readonly risks: pulumi.Output<string[]>;
    /** keyIds of removeKeyIds already removed. */
    declare readonly removedKeyIds: pulumi.Output<string[]>;

    /**
     * @param name the resource's name (part of its URN).
     * @param args the object to inventory and the cleanup policy.
     * @param opts resource options; give `dependsOn` the set's generations so cleanup runs after them.
     */
    constructor(name: string, args: CredentialInventoryArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = {
            ...args,
            targetKind: undefined,
            objectId: undefined,
            entries: undefined,
            removed: undefined,
            pending: undefined,
            risks: undefined,
            removedKeyIds: undefined,
        };
        super(providerShim("CredentialInventory"), name, props, opts, CREDENTIAL_INVENTORY_MODULE, CREDENTIAL_INVENTORY_TYPE);
    }
}


/** The "key <id> (<type>/<usage>, <start>..<end>): <risk>" lines of the risky entries. */
export function risksOf(entries: readonly InventoryEntry[]): string[] {
    return entries.filter((e) => e.risk !== undefined).map((e) => `${e.kind} ${e.keyId} (${typeUsage(e)}, ${span(e)}): ${e.risk}`);
}

/** "removed key <id> (Symmetric/Sign, 2023-06-01..2027-03-01): <reason>": how a removal is logged. */
export function describeRemoval(r: RemovedCredential): string {
    return `${r.kind} ${r.keyId} (${typeUsage(r)}, ${span(r)}): ${r.reason}`;
}

/**
 * What the inventory finds on the object and what its cleanup removes: the one definition shared
 * by `read` (pending), create/update (the removals) and {@link inspectInventory} (a preview).
 * Pure.
 */
export function planInventory(
    view: ObjectCredentials,
    inputs: Omit<InventoryInputs, "clientId">,
    now: Date,
    alreadyRemoved: readonly string[],
): { entries: InventoryEntry[]; plan: CleanupPlan } {
    const entries = classifyCredentials(view, classifyContext(inputs, now));
    const plan = planCleanup(entries, cleanupPolicy(inputs, now, alreadyRemoved));
    const adoption = adoptionProblems(entries, { adoptedKeyIds: inputs.adoptedKeyIds ?? [], adoptedSecretEndDateTime: inputs.adoptedSecretEndDateTime ?? undefined }, now);
    const signer = inputs.acceptOutage || inputs.decommission ? [] : undeliveredSigner(entries, plan.remove.map((r) => r.entry.keyId), now, inputs.setName);
    return { entries, plan: { ...plan, refusals: [...adoption, ...signer, ...plan.refusals] } };
}

/** A generation the set declares, as {@link inspectInventory} needs it. */
export interface DeclaredGeneration {
    readonly displayName: string;
    readonly startDateTime: string;
    readonly endDateTime: string;
}

/** What a preview can know of the inventory before the run: read from Graph while the program runs. */
export interface InventoryInspection {
    /** Every entry on the object now, classified (the declared generations counted as present). */
    readonly entries: InventoryEntry[];
    /** One line per entry that will break the add-in. */
    readonly risks: string[];
    /** What this run's inventory will remove, with why. */
    readonly removals: RemovedCredential[];
    /** Why the inventory will refuse to remove anything (the run then fails). */
    readonly refusals: string[];
    /** What the operator should know although it changes nothing (a removeKeyIds entry already absent). */
    readonly notes: string[];
    /**
     * Declared generations with more entries of one kind than a generation has (a create that
     * Graph applied late): the generation's update removes the ones it did not create.
     */
    readonly duplicates: string[];
}

/**
 * Reads the object from Graph (in the program's process, as it is evaluated) and says what the
 * inventory will find and do once this run's declared generations exist. In a preview the
 * inventory's outputs are unknown whenever it has work to do, so this is how a preview shows its
 * risks and removals. Declared generations not on the object yet are counted as present (this
 * run creates them before the inventory runs).
 */
export async function inspectInventory(
    inputs: Omit<InventoryInputs, "declaredKeyIds"> & { readonly declared: readonly DeclaredGeneration[] },
    options: GraphClientOptions = graphClientOptionsFromEnv(),
): Promise<InventoryInspection> {
    const { client, directoryNow } = directoryClient(options);
    const target = await resolveTarget(client, inputs.clientId);
    const view = await readFreshCredentials(client, target, "read credentials for the preview's inventory");
    const present = new Set([...view.keyCredentials, ...view.passwordCredentials].map((e) => e.displayName));
    const planned = inputs.declared.filter((g) => !present.has(g.displayName));
    const synthetic = (g: DeclaredGeneration, usage: string) => `planned:${g.displayName}:${usage}`;
    const future: ObjectCredentials = {
        keyCredentials: [
            ...view.keyCredentials,
            ...planned.flatMap((g) => (["Sign", "Verify"] as const).map((usage) => ({ keyId: synthetic(g, usage), type: "Symmetric", usage, ...g }))),
        ],
        passwordCredentials: [...view.passwordCredentials, ...planned.map((g) => ({ keyId: synthetic(g, "Password"), ...g }))],
    };
    const { entries, plan } = planInventory(future, { ...inputs, declaredKeyIds: [] }, directoryNow(), []);
    const duplicates = inputs.declared.flatMap((g) => {
        const own = (list: readonly { displayName?: string | null }[]) => list.filter((e) => e.displayName === g.displayName).length;
        const counts = { key: own(view.keyCredentials), password: own(view.passwordCredentials) };
        return counts.key > 2 || counts.password > 1
            ? [`generation "${g.displayName}" has ${counts.key} key(s) and ${counts.password} password(s); its update removes the ones it did not create`]
            : [];
    });
    return {
        entries: entries.filter((e) => !e.keyId.startsWith("planned:")),
        risks: risksOf(entries),
        removals: plan.remove.map(report),
        refusals: plan.refusals,
        notes: plan.notes,
        duplicates,
    };
}

// ---- create / update ----------------------------------------------------------------------

/** Reads, classifies, plans and removes under the object's lock; throws on a refusal before removing anything. */
async function cleanUp(
    client: GraphClient,
    directoryNow: () => Date,
    target: CredentialTarget,
    inputs: InventoryInputs,
    alreadyRemoved: string[],
): Promise<InventoryOutputs> {
    return withObjectLock(target.objectId, async () => {
        const view = await readFreshCredentials(client, target, "read credentials for cleanup");
        const { plan } = planInventory(view, inputs, directoryNow(), alreadyRemoved);
        if (plan.refusals.length > 0) {
            throw new Error(
                `CredentialInventory ${inputs.setName} on ${target.label}: cleanup refused, nothing was removed. ${plan.refusals.join(" ")}`,
            );
        }
        const after = await removeEntries(client, target, view, plan.remove.map((r) => r.entry));
        const removedAt = directoryNow();
        const entries = classifyCredentials(after, classifyContext(inputs, removedAt));
        const listed = plan.remove.map((r) => r.entry.keyId).filter((id) => inputs.removeKeyIds.includes(id));
        return {
            ...inputs,
            targetKind: target.kind,
            objectId: target.objectId,
            entries,
            removed: plan.remove.map((r) => ({ ...report(r), removedAt: removedAt.toISOString() })),
            pending: [],
            risks: risksOf(entries),
            removedKeyIds: [...new Set([...alreadyRemoved, ...listed])],
        } satisfies InventoryOutputs;
    });
}

/** Removes keys (one read-merge-write PATCH) and passwords (removePassword each), confirms, returns the last view. */
async function removeEntries(client: GraphClient, target: CredentialTarget, view: ObjectCredentials, remove: readonly InventoryEntry[]): Promise<ObjectCredentials> {
    if (remove.length === 0) {
        return view;
    }
    const keyIds = remove.filter((e) => e.kind === "key").map((e) => e.keyId);
    const passwordIds = remove.filter((e) => e.kind === "password").map((e) => e.keyId);
    // `view` was read right before (no request since): the PATCH's first attempt is built from it,
    // a retry from a fresh read.
    await updateKeyCredentials(client, target, "read credentials for cleanup", replaceKeys(keyIds), view);
    for (const keyId of passwordIds) {
        await removePasswordConfirmed(client, target, keyId);
    }
    const gone = (v: ObjectCredentials | undefined): boolean =>
        v !== undefined && !v.keyCredentials.some((k) => keyIds.includes(k.keyId)) && !v.passwordCredentials.some((p) => passwordIds.includes(p.keyId));
    const confirmed = requireConfirmed(
        await pollCredentials(client, target, "confirm cleanup", gone),
        target,
        "confirm cleanup",
        "removal of the cleaned-up entries",
    );
    return confirmed ?? view;
}

// ---- helpers ------------------------------------------------------------------------------

function classifyContext(inputs: Omit<InventoryInputs, "clientId">, now: Date) {
    return {
        now,
        setName: inputs.setName,
        declaredDisplayNames: inputs.declaredDisplayNames,
        declaredKeyIds: inputs.declaredKeyIds ?? [],
        retiredGenerations: inputs.retiredGenerations ?? [],
        gracePeriodDays: inputs.gracePeriodDays,
        adoptedKeyIds: inputs.adoptedKeyIds ?? [],
    };
}

function cleanupPolicy(inputs: Omit<InventoryInputs, "clientId">, now: Date, alreadyRemoved: readonly string[]) {
    return {
        cleanup: inputs.cleanup,
        removeKeyIds: inputs.removeKeyIds,
        force: inputs.forceCleanup,
        decommission: inputs.decommission ?? false,
        setName: inputs.setName,
        gracePeriodDays: inputs.gracePeriodDays,
        now,
        alreadyRemovedKeyIds: alreadyRemoved,
    };
}

function report(r: { entry: InventoryEntry; reason: string }): RemovedCredential {
    const e = r.entry;
    return { keyId: e.keyId, kind: e.kind, type: e.type, usage: e.usage, displayName: e.displayName, startDateTime: e.startDateTime, endDateTime: e.endDateTime, reason: r.reason };
}

function typeUsage(e: { kind: string; type: string; usage: string }): string {
    return e.kind === "key" ? `${e.type}/${e.usage}` : "Password";
}

function span(e: { startDateTime: string; endDateTime: string }): string {
    return `${e.startDateTime.slice(0, 10)}..${e.endDateTime.slice(0, 10)}`;
}
