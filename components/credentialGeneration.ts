// CredentialGeneration: one *generation* of a SharePoint add-in's credentials in Entra ID —
// Symmetric/Sign key + Symmetric/Verify key + Password, same dates, same display name, one shared
// secret value — written through Microsoft Graph by a Pulumi dynamic provider (docs/FACTS.md §2, §3;
// @pulumi/azuread can write neither a Symmetric Sign key nor a password with a chosen value).
//
// How each provider method maps to Graph v1.0 calls (T = the target object, see graph/target.ts):
//   check  - validates the inputs; for a new or changed clientId also
//            GET /servicePrincipals(appId='…') [+ GET /applications(appId='…')] so that a missing
//            principal fails `pulumi preview`, not the middle of `pulumi up`.
//   create - resolve T (1-2 GETs); under the per-object write lock: GET T (keyCredentials,
//            passwordCredentials: adopt or clear leftovers of an interrupted attempt with this
//            displayName); POST T/addPassword; GET T and PATCH T {keyCredentials: existing (key
//            null) + Sign + Verify}, built from that read (re-read before each retry of the PATCH,
//            so another tool's key added meanwhile is kept); GET T until all three keyIds are seen
//            on 2 consecutive reads (re-PATCH if the keys vanished: another writer). If the PATCH
//            fails: POST T/removePassword (rollback).
//   read   - GET T; reports entries gone (`missing`) or changed (`drift`) out of band; all three
//            gone, or T gone → empty id, so refresh drops the resource.
//   diff   - no Graph call: a new clientId or displayName is a replacement (create before delete);
//            new dates, drift found by read, or older provider code are an update.
//   update - under the lock: GET T; PATCH T {keyCredentials: ours rewritten with their keyIds and
//            key bytes, the rest as read} when a key is missing or differs; POST T/addPassword
//            (+ removePassword of the old one) when the password is missing or its dates differ;
//            GET T until the repaired entries are seen. No Graph write when nothing differs.
//   delete - under the lock: GET T; PATCH T {keyCredentials without our two keyIds} when any is
//            present; POST T/removePassword; GET T until none of the three is seen. Entries of
//            other generations are sent back untouched; already-gone entries are fine.
//
// The engine runs this code in Pulumi's dynamic provider host, loaded from the installed package
// by the small provider text of components/providerShim.ts. Graph's URL and token come from the
// environment (ADDIN_CREDENTIALS_GRAPH_URL, ADDIN_CREDENTIALS_GRAPH_TOKEN), never from inputs.
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { createGraphClient, GraphClient, graphClientOptionsFromEnv } from "./graph/client";
import {
    addPassword,
    KeyCredentialView,
    NewSymmetricKey,
    ObjectCredentials,
    PasswordCredentialView,
    expectationsOf,
    isStaleView,
    pollCredentials,
    readCredentials,
    readFreshCredentials,
    removePasswordConfirmed,
    requireConfirmed,
    replaceKeys,
    updateKeyCredentials,
    withObjectLock,
} from "./graph/credentials";
import { consistencyTimeoutError, generationConflictError, isAmbiguousWriteError, TargetNotFoundErrorName } from "./graph/errors";
import { CredentialTarget, isGuid, resolveTarget, TargetKind, targetOf } from "./graph/target";
import { directoryClient } from "./graph/directoryClock";
import { providerShim } from "./providerShim";
import { UNKNOWN } from "./unknown";
import { keyMaterialFromPassword, keyMaterialFromRandomBytes } from "./secrets";
import { parseInstant } from "./instant";
import { formatValue, MAX_LIFETIME_DAYS } from "./limits";
import { DAY_MS } from "./planner";

/** Where a generation's shared secret value comes from (docs/FACTS.md §3). */
export type CredentialValueSource = "random-bytes" | "entra-password";

/** The resource's type token parts; never rename them (the URN of every existing generation depends on them). */
export const CREDENTIAL_GENERATION_MODULE = "addin-credentials";
/** See {@link CREDENTIAL_GENERATION_MODULE}. */
export const CREDENTIAL_GENERATION_TYPE = "CredentialGeneration";

/** Arguments of {@link CredentialGeneration}. Changing any of them replaces the generation. */
export interface CredentialGenerationArgs {
    /** The add-in's client id: the appId of its service principal, a GUID. */
    readonly clientId: pulumi.Input<string>;
    /**
     * How the shared secret is made: "random-bytes" (32 bytes from `keyMaterial`) or
     * "entra-password" (the password Entra generates; Microsoft's current procedure).
     * @default "random-bytes"
     */
    readonly valueSource?: pulumi.Input<CredentialValueSource>;
    /**
     * Base64 of 32 random bytes (e.g. `random.RandomBytes({ length: 32 }).base64`); required for
     * "random-bytes", must be omitted for "entra-password". Always stored as a secret.
     * @default - none (required for "random-bytes")
     */
    readonly keyMaterial?: pulumi.Input<string>;
    /** When all three entries become valid (ISO 8601, e.g. "2026-01-01T00:00:00Z"). */
    readonly startDateTime: pulumi.Input<string>;
    /**
     * When all three entries expire (ISO 8601); after `startDateTime`, at most MAX_LIFETIME_DAYS
     * (1,095) days later.
     * @default - `startDateTime` + MAX_LIFETIME_DAYS days
     */
    readonly endDateTime?: pulumi.Input<string>;
    /**
     * Display name written on all three entries; it marks them as one generation, must be unique
     * per generation on the object, and lets a retried create adopt its own leftovers.
     */
    readonly displayName: pulumi.Input<string>;
}

/** The checked inputs, as the provider sees them (secrets unwrapped by the engine). */
interface GenerationInputs {
    clientId: string;
    valueSource: CredentialValueSource;
    keyMaterial?: string;
    startDateTime: string;
    endDateTime: string;
    displayName: string;
}

/** Which of the three entries a name in `missing` refers to. */
type EntryName = "sign" | "verify" | "password";

/** Everything the provider stores in state. */
interface GenerationOutputs extends GenerationInputs {
    targetKind: TargetKind;
    objectId: string;
    signKeyId: string;
    verifyKeyId: string;
    passwordKeyId: string;
    /** Graph's hint (first three characters of the password); Graph shows it to every reader of the object. */
    passwordHint: string;
    /** base64 of the Symmetric key bytes: the web app's ClientSecret (secret). */
    clientSecret: string;
    /** Entries that `read` found gone out of band. */
    missing: EntryName[];
    /** Human-readable out-of-band changes that `read` found (never a value of a secret). */
    drift: string[];
    /**
     * `valueSource` / `keyMaterial` as last asked for, when they differ from what the generation
     * holds (`valueSource` / `keyMaterial` above): a generation keeps its value; a new value source
     * or new key bytes apply from the next generation.
     */
    requestedValueSource?: CredentialValueSource;
    requestedKeyMaterial?: string;
    /**
     * Keys of this generation that another tool re-created with other dates or usage: kept while
     * valid (they hold the generation's bytes), removed once expired. @default none
     */
    supersededKeyIds?: string[];
}

/** Inputs that identify a generation on its object: a change is a new generation (a replacement). */
const IDENTITY_INPUTS = ["clientId", "displayName"] as const;
/** Inputs whose change is applied to the existing entries in place (`update`). */
const REPAIRABLE_INPUTS = ["valueSource", "keyMaterial", "startDateTime", "endDateTime"] as const;


/** Rounds of create when a write had an ambiguous outcome (re-read, adopt, go on). */
const CREATE_ROUNDS = 3;
/** PATCHes of our keys after the first one, when a confirmation shows them gone (another writer). */
const KEY_REWRITES = 2;

/**
 * Validates and normalizes inputs; returns `{property, reason}` failures that name the input and
 * the fix and never contain a secret. Pure; exported for tests.
 */
export function validateGenerationInputs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: pulumi.dynamic.CheckFailure[] } {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const inputs: Record<string, unknown> = { ...news };
    const known = (v: unknown): boolean => v !== UNKNOWN;

    const clientId = news.clientId;
    if (typeof clientId === "string" && isGuid(clientId)) {
        inputs.clientId = clientId.toLowerCase(); // GUIDs are case-insensitive: one spelling in state
    }
    if (typeof clientId !== "string" || (known(clientId) && !isGuid(clientId))) {
        failures.push({
            property: "clientId",
            reason: `clientId must be the add-in's client id, a GUID such as 11111111-2222-3333-4444-555555555555; got ${formatValue(clientId)}.`,
        });
    }

    const valueSource = news.valueSource ?? "random-bytes";
    inputs.valueSource = valueSource;
    if (known(valueSource) && valueSource !== "random-bytes" && valueSource !== "entra-password") {
        failures.push({ property: "valueSource", reason: `valueSource must be "random-bytes" or "entra-password"; got ${formatValue(valueSource)}.` });
    }

    const keyMaterial = news.keyMaterial;
    if (valueSource === "random-bytes") {
        if (keyMaterial === undefined || keyMaterial === null || keyMaterial === "") {
            failures.push({
                property: "keyMaterial",
                reason: 'keyMaterial is required when valueSource is "random-bytes": pass the base64 output of a 32-byte random.RandomBytes.',
            });
        } else if (typeof keyMaterial !== "string") {
            failures.push({ property: "keyMaterial", reason: `keyMaterial must be a base64 string; got ${typeof keyMaterial}.` });
        } else if (known(keyMaterial)) {
            try {
                keyMaterialFromRandomBytes(keyMaterial);
            } catch (e) {
                // secrets.ts promises messages that describe the shape, never the value.
                failures.push({ property: "keyMaterial", reason: e instanceof Error ? e.message : "keyMaterial is not base64 of 32 bytes." });
            }
        }
    } else if (valueSource === "entra-password" && keyMaterial !== undefined && keyMaterial !== null) {
        failures.push({
            property: "keyMaterial",
            reason: 'keyMaterial must be omitted when valueSource is "entra-password": the secret is the password Entra generates.',
        });
    }

    const start = parseDate(news.startDateTime);
    if (news.startDateTime === undefined || (known(news.startDateTime) && start === undefined)) {
        failures.push({
            property: "startDateTime",
            reason: `startDateTime must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z; got ${formatValue(news.startDateTime)}.`,
        });
    } else if (start !== undefined) {
        inputs.startDateTime = formatDate(start);
    }

    if (news.endDateTime === undefined || news.endDateTime === null) {
        if (start !== undefined) {
            inputs.endDateTime = formatDate(latestEnd(start));
        } else if (news.startDateTime === UNKNOWN) {
            inputs.endDateTime = UNKNOWN;
        }
    } else if (known(news.endDateTime)) {
        const end = parseDate(news.endDateTime);
        if (end === undefined) {
            failures.push({
                property: "endDateTime",
                reason: `endDateTime must be an ISO 8601 date-time such as 2029-01-01T00:00:00Z; got ${formatValue(news.endDateTime)}.`,
            });
        } else {
            inputs.endDateTime = formatDate(end);
            if (start !== undefined && end <= start) {
                failures.push({ property: "endDateTime", reason: `endDateTime (${formatDate(end)}) must be after startDateTime (${formatDate(start)}).` });
            } else if (start !== undefined && end > latestEnd(start)) {
                failures.push({
                    property: "endDateTime",
                    reason:
                        `endDateTime (${formatDate(end)}) is more than ${MAX_LIFETIME_DAYS} days after startDateTime (${formatDate(start)}); ` +
                        `set it to ${formatDate(latestEnd(start))} or earlier (tenant app-management policies may allow less).`,
                });
            }
        }
    }

    const displayName = news.displayName;
    if (typeof displayName !== "string" || (known(displayName) && (displayName.trim() === "" || displayName.length > 256))) {
        failures.push({
            property: "displayName",
            reason: `displayName must be a non-empty string of at most 256 characters, unique per generation; got ${formatValue(displayName)}.`,
        });
    }
    return { inputs, failures };
}

/** The dynamic provider of {@link CredentialGeneration}; exported so tests can call and serialize it. */
export const credentialGenerationProvider: pulumi.dynamic.ResourceProvider<GenerationInputs, GenerationOutputs> = {
    /**
     * Validates the inputs. Calls Graph only for a new or changed, known clientId, so a missing
     * principal fails in preview, while steady-state previews cost no request.
     */
    async check(olds, news) {
        const { inputs, failures } = validateGenerationInputs(news as unknown as Record<string, unknown>);
        const clientId = news.clientId;
        const oldClientId = (olds as Partial<GenerationInputs> | undefined)?.clientId;
        if (failures.length === 0 && typeof clientId === "string" && clientId !== UNKNOWN && clientId !== oldClientId) {
            try {
                await resolveTarget(newClient(), clientId);
            } catch (e) {
                if (!(e instanceof Error) || e.name !== TargetNotFoundErrorName) {
                    throw e;
                }
                failures.push({ property: "clientId", reason: e.message });
            }
        }
        return { inputs: inputs as unknown as GenerationInputs, failures };
    },

    /**
     * A new identity (client id or display name) is a new generation: a replacement, create
     * before delete. Everything else is repaired in place (`update`), so that no entry SharePoint
     * may sign with is removed before its replacement exists and the secret value never changes:
     * entries found gone or changed out of band, new dates, and provider code stored by an older
     * version of this package (its text in `__provider` differs). A new `valueSource` or
     * `keyMaterial` applies from the next generation: the existing one keeps its value.
     */
    async diff(_id, olds, news) {
        const replaces = IDENTITY_INPUTS.filter((name) => changed(olds[name], news[name], name === "clientId"));
        if (replaces.length > 0) {
            return { changes: true, replaces };
        }
        const old = olds as GenerationOutputs & { __provider?: string };
        const asked = { ...old, valueSource: old.requestedValueSource ?? old.valueSource, keyMaterial: old.requestedKeyMaterial ?? old.keyMaterial };
        const repairs = [
            ...REPAIRABLE_INPUTS.filter((name) => changed(asked[name], news[name])),
            ...((old.missing ?? []).length > 0 ? ["missing"] : []),
            ...((old.drift ?? []).length > 0 ? ["drift"] : []),
            ...(changed(old.__provider, (news as { __provider?: string }).__provider) ? ["__provider"] : []),
        ];
        return { changes: repairs.length > 0 };
    },

    async create(inputs) {
        const client = newClient();
        const target = await resolveTarget(client, inputs.clientId);
        return withObjectLock(target.objectId, async () => {
            for (let round = 1; ; round++) {
                try {
                    return await createRound(client, target, inputs);
                } catch (e) {
                    // An addPassword that failed with a 5xx or a lost response may have created the
                    // password: read again and adopt it rather than post a duplicate.
                    if (!isAmbiguousWriteError(e) || round >= CREATE_ROUNDS) {
                        throw e;
                    }
                    console.error(`CredentialGeneration create on ${target.label}: ${(e as Error).message}; re-reading to adopt what was written.`);
                }
            }
        });
    },

    async read(id, props) {
        if (props === undefined) {
            throw new Error(`CredentialGeneration ${id} cannot be read without its state; import and get are not supported.`);
        }
        const { client, directoryNow } = directoryClient(graphClientOptionsFromEnv());
        const target = targetOf(props.clientId, props.targetKind, props.objectId);
        const expected = expectedEntries(props);
        // A view that lacks entries may be a stale read: confirm absence over a few reads.
        const poll = await pollCredentials(client, target, "read credentials", (v) => v !== undefined && missingEntries(expected, v).length === 0, {
            consecutive: 1,
            maxReads: 3,
        });
        const view = poll.view;
        const missing = view === undefined ? (["sign", "verify", "password"] as EntryName[]) : missingEntries(expected, view);
        const exp = expectationsOf(target.objectId);
        for (const entry of expected) {
            if (missing.includes(entry.name) && entry.name !== "password") {
                exp.present.delete(entry.keyId);
            }
        }
        if (missing.length === 3) {
            return { id: "" };
        }
        const outs = {
            ...stripProvider(props),
            missing,
            drift: view === undefined ? [] : [...driftOf(expected, view, props), ...duplicatesOf(props, view, directoryNow().getTime()).map((d) => `duplicate ${d.kind} ${d.keyId}`)],
        } satisfies GenerationOutputs;
        return { id, props: outs };
    },

    /** Repairs the generation in place (see `diff`): same keyIds, same key bytes, the desired dates. */
    async update(_id, olds, news) {
        const { client, directoryNow } = directoryClient(graphClientOptionsFromEnv());
        const target = targetOf(olds.clientId, olds.targetKind, olds.objectId);
        const outs = await withObjectLock(target.objectId, () => repairRound(client, directoryNow, target, olds, news));
        return { outs };
    },

    async delete(_id, props) {
        const client = newClient();
        const target = targetOf(props.clientId, props.targetKind, props.objectId);
        await withObjectLock(target.objectId, () => deleteEntries(client, target, props.signKeyId, props.verifyKeyId, props.passwordKeyId));
    },
};

/**
 * One generation of a SharePoint add-in's credentials (Symmetric Sign + Symmetric Verify +
 * Password, shared dates and display name, one secret value) on the Entra object that holds the
 * add-in's credentials. Type token: `pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration`.
 */
export class CredentialGeneration extends pulumi.dynamic.Resource {
    /** The add-in's client id. */
    declare readonly clientId: pulumi.Output<string>;
    /** Where the secret value of this generation came from (it keeps it when the input changes later). */
    declare readonly valueSource: pulumi.Output<CredentialValueSource>;
    /** The random key bytes (base64) the generation holds, for "random-bytes"; secret. */
    declare readonly keyMaterial: pulumi.Output<string | undefined>;
    /** Start of validity of all three entries. */
    declare readonly startDateTime: pulumi.Output<string>;
    /** End of validity of all three entries. */
    declare readonly endDateTime: pulumi.Output<string>;
    /** The generation's display name on all three entries. */
    declare readonly displayName: pulumi.Output<string>;
    /** "servicePrincipal" (Legacy ACS principal) or "application" (application-backed). */
    declare readonly targetKind: pulumi.Output<TargetKind>;
    /** Object id of the service principal or application holding the entries. */
    declare readonly objectId: pulumi.Output<string>;
    /** keyId of the Symmetric Sign key. */
    declare readonly signKeyId: pulumi.Output<string>;
    /** keyId of the Symmetric Verify key. */
    declare readonly verifyKeyId: pulumi.Output<string>;
    /** keyId of the password entry. */
    declare readonly passwordKeyId: pulumi.Output<string>;
    /** Graph's hint of the password (its first three characters, visible to any reader of the object). */
    declare readonly passwordHint: pulumi.Output<string>;
    /** The web app's ClientSecret: base64 of the Symmetric key bytes. Secret. */
    declare readonly clientSecret: pulumi.Output<string>;
    /** Entries ("sign", "verify", "password") the last refresh found gone out of band. */
    declare readonly missing: pulumi.Output<string[]>;
    /** Out-of-band changes the last refresh found (type, usage, dates, display name). */
    declare readonly drift: pulumi.Output<string[]>;

    /**
     * The web app's ClientSecret, known in a preview whenever it can be: for "random-bytes" it is
     * the `keyMaterial` the generation holds, which a preview of an in-place repair echoes, while
     * `clientSecret` (an output only) is unknown in any preview that updates the generation.
     */
    get deliveredSecret(): pulumi.Output<string> {
        return this.valueSource.apply((source) => (source === "random-bytes" ? (this.keyMaterial as pulumi.Output<string>) : this.clientSecret));
    }

    /**
     * @param name the resource's name (part of its URN).
     * @param args the generation's inputs; any change replaces it.
     * @param opts resource options; `additionalSecretOutputs` always includes clientSecret and keyMaterial.
     */
    constructor(name: string, args: CredentialGenerationArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = {
            clientId: args.clientId,
            valueSource: args.valueSource,
            keyMaterial: args.keyMaterial === undefined ? undefined : pulumi.secret(args.keyMaterial),
            startDateTime: args.startDateTime,
            endDateTime: args.endDateTime,
            displayName: args.displayName,
            // Outputs, declared so that the resource object exposes them.
            targetKind: undefined,
            objectId: undefined,
            signKeyId: undefined,
            verifyKeyId: undefined,
            passwordKeyId: undefined,
            passwordHint: undefined,
            clientSecret: undefined,
            missing: undefined,
            drift: undefined,
        };
        super(
            providerShim("CredentialGeneration"),
            name,
            props,
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["clientSecret", "keyMaterial", "requestedKeyMaterial"] }),
            CREDENTIAL_GENERATION_MODULE,
            CREDENTIAL_GENERATION_TYPE,
        );
    }
}

// ---- create -------------------------------------------------------------------------------

/** One attempt at writing the generation; the caller holds the object's lock. */
async function createRound(client: GraphClient, target: CredentialTarget, inputs: GenerationInputs): Promise<{ id: string; outs: GenerationOutputs }> {
    const view = await readFreshCredentials(client, target, "read credentials before create");
    const leftovers = ownEntries(view, inputs, target);

    // The password entry. With random-bytes its value is discarded: it exists so that the
    // generation shows up as a "client secret" with its dates in the Entra portal and in expiry
    // monitoring (and for ACS, should it check passwords too: unverified, docs/FACTS.md §3).
    let password: { keyId: string; hint: string; secretText?: string };
    const toRemove: string[] = [];
    if (inputs.valueSource === "random-bytes" && leftovers.passwords.length > 0) {
        const [adopted, ...extra] = leftovers.passwords;
        password = { keyId: adopted.keyId, hint: adopted.hint ?? "" };
        toRemove.push(...extra.map((p) => p.keyId));
        console.error(`CredentialGeneration create on ${target.label}: adopting password ${adopted.keyId} left by an interrupted attempt.`);
    } else {
        // entra-password: a leftover password's secretText cannot be read back, so start over.
        toRemove.push(...leftovers.passwords.map((p) => p.keyId));
        password = await addPassword(client, target, {
            displayName: inputs.displayName,
            startDateTime: inputs.startDateTime,
            endDateTime: inputs.endDateTime,
        });
    }
    for (const keyId of toRemove) {
        await removePasswordConfirmed(client, target, keyId);
    }

    const material =
        inputs.valueSource === "random-bytes"
            ? keyMaterialFromRandomBytes(inputs.keyMaterial ?? "")
            : keyMaterialFromPassword(password.secretText ?? "");
    const keys: NewSymmetricKey[] = (["Sign", "Verify"] as const).map((usage) => ({
        keyId: crypto.randomUUID(),
        usage,
        key: material.keyBase64,
        displayName: inputs.displayName,
        startDateTime: inputs.startDateTime,
        endDateTime: inputs.endDateTime,
    }));
    const leftoverKeyIds = leftovers.keys.map((k) => k.keyId);

    try {
        // Leftover keys of this generation are replaced by fresh ones in the same PATCH, built from
        // a read made now (after addPassword), so that a key another tool added since is kept.
        await updateKeyCredentials(client, target, "read credentials before key write", replaceKeys(leftoverKeyIds, keys));
        const confirmed = await confirmKeys(client, target, password.keyId, keys);
        // A password from an earlier round whose addPassword failed ambiguously (HTTP 5xx, lost
        // response) may have become visible only now: it is a duplicate of ours, remove it.
        for (const extra of confirmed.passwordCredentials) {
            if (extra.displayName === inputs.displayName && extra.keyId !== password.keyId) {
                await removePasswordConfirmed(client, target, extra.keyId);
            }
        }
    } catch (e) {
        await rollback(client, target, password.keyId, keys, e);
        throw e;
    }

    const [sign, verify] = keys;
    const outs = {
        ...inputs,
        targetKind: target.kind,
        objectId: target.objectId,
        signKeyId: sign.keyId,
        verifyKeyId: verify.keyId,
        passwordKeyId: password.keyId,
        passwordHint: password.hint,
        clientSecret: material.clientSecret,
        missing: [],
        drift: [],
    } satisfies GenerationOutputs;
    return { id: `${target.objectId}/credentialGeneration/${password.keyId}`, outs };
}

/**
 * Reads until the password and both keys are seen on consecutive reads. When the keys stay
 * absent although the password shows (another writer's PATCH dropped them), writes them again.
 */
async function confirmKeys(
    client: GraphClient,
    target: CredentialTarget,
    passwordKeyId: string,
    keys: readonly NewSymmetricKey[],
): Promise<ObjectCredentials> {
    const allSeen = (v: ObjectCredentials | undefined): boolean =>
        v !== undefined && v.passwordCredentials.some((p) => p.keyId === passwordKeyId) && keys.every((k) => v.keyCredentials.some((c) => c.keyId === k.keyId));
    for (let rewrite = 0; ; rewrite++) {
        const poll = await pollCredentials(client, target, "confirm create", allSeen);
        const view = poll.view;
        if (poll.confirmed && view !== undefined) {
            return view;
        }
        const passwordSeen = view?.passwordCredentials.some((p) => p.keyId === passwordKeyId) ?? false;
        if (view === undefined || !passwordSeen || rewrite >= KEY_REWRITES) {
            throw consistencyTimeoutError(
                { operation: "confirm create", object: target.label },
                "the password and both Symmetric keys of this generation",
                poll.reads,
            );
        }
        console.error(`CredentialGeneration create on ${target.label}: the new keys disappeared after writing (another writer?); writing them again.`);
        await updateKeyCredentials(client, target, "read credentials before rewriting keys", replaceKeys([], keys), view);
    }
}

/** Removes what a failed create wrote; never hides the original failure. */
async function rollback(client: GraphClient, target: CredentialTarget, passwordKeyId: string, keys: readonly NewSymmetricKey[], cause: unknown): Promise<void> {
    try {
        await deleteEntries(client, target, keys[0].keyId, keys[1].keyId, passwordKeyId);
    } catch (e) {
        const original = cause instanceof Error ? cause.message : String(cause);
        const why = e instanceof Error ? e.message : String(e);
        throw new Error(
            `${original} Rolling back also failed (${why}): remove password ${passwordKeyId} and keys ${keys[0].keyId}, ${keys[1].keyId} ` +
                `from ${target.label} if they exist, or run the command again (a retry adopts them).`,
        );
    }
}

/** Entries on the object that carry this generation's displayName; throws if they cannot be ours. */
function ownEntries(
    view: ObjectCredentials,
    inputs: GenerationInputs,
    target: CredentialTarget,
): { passwords: PasswordCredentialView[]; keys: KeyCredentialView[] } {
    const sameDates = (e: { startDateTime?: string; endDateTime?: string }): boolean =>
        sameInstant(e.startDateTime, inputs.startDateTime) && sameInstant(e.endDateTime, inputs.endDateTime);
    const passwords = view.passwordCredentials.filter((p) => p.displayName === inputs.displayName);
    const keys = view.keyCredentials.filter((k) => k.displayName === inputs.displayName);
    for (const entry of [...passwords, ...keys]) {
        if (!sameDates(entry)) {
            throw generationConflictError(target.label, inputs.displayName, `entry ${entry.keyId} has other dates`);
        }
    }
    for (const key of keys) {
        if (key.type !== "Symmetric" || (key.usage !== "Sign" && key.usage !== "Verify")) {
            throw generationConflictError(target.label, inputs.displayName, `key ${key.keyId} is ${key.type ?? "?"}/${key.usage ?? "?"}`);
        }
    }
    return { passwords, keys };
}

// ---- update (repair in place) -------------------------------------------------------------

/**
 * One repair of a generation, under the object's lock: rewrites the Symmetric keys that are
 * missing or differ from what the generation should be, with their own keyIds and key bytes (so
 * the secret value never changes), and replaces the password entry when it is missing or its
 * dates differ (Graph cannot change a password's dates; the new password's value is not kept,
 * the keys hold the secret). Nothing is removed before its replacement exists, and nothing is
 * written when nothing differs (an update that only records new inputs or provider code).
 */
async function repairRound(
    client: GraphClient,
    directoryNow: () => Date,
    target: CredentialTarget,
    olds: GenerationOutputs,
    news: GenerationInputs,
): Promise<GenerationOutputs> {
    const view = await readFreshCredentials(client, target, "read credentials before repair");
    const wanted = { displayName: news.displayName, startDateTime: news.startDateTime, endDateTime: news.endDateTime };
    // A missing key goes back with its own keyId. A key that is there but differs (Graph cannot
    // change a key in place; another tool re-created it) stays, as it holds the same bytes and may
    // be the key SharePoint signs with: a correct copy is added beside it, under a new keyId, and
    // the old one is superseded (removed by a later repair once it has expired).
    const keys = ([["Sign", olds.signKeyId], ["Verify", olds.verifyKeyId]] as const).map(([usage, keyId]): NewSymmetricKey => {
        const found = view.keyCredentials.find((c) => c.keyId === keyId);
        const intact = found !== undefined && found.type === "Symmetric" && found.usage === usage && matches(found, wanted);
        return { keyId: found === undefined || intact ? keyId : crypto.randomUUID(), usage, key: olds.clientSecret, ...wanted };
    });
    const ownBefore = [olds.signKeyId, olds.verifyKeyId];
    const superseded = [...(olds.supersededKeyIds ?? []), ...ownBefore.filter((id, i) => keys[i].keyId !== id && view.keyCredentials.some((c) => c.keyId === id))];
    const toWrite = keys.filter((k) => !view.keyCredentials.some((c) => c.keyId === k.keyId));
    const duplicates = duplicatesOf({ ...olds, supersededKeyIds: superseded }, view, directoryNow().getTime());
    const duplicateKeys = duplicates.filter((d) => d.kind === "key").map((d) => d.keyId);
    const oldPassword = view.passwordCredentials.find((p) => p.keyId === olds.passwordKeyId);
    const replacePassword = oldPassword === undefined || !matches(oldPassword, wanted);
    let password = { keyId: olds.passwordKeyId, hint: olds.passwordHint };
    if (toWrite.length > 0 || duplicateKeys.length > 0) {
        await updateKeyCredentials(client, target, "read credentials before repairing keys", replaceKeys(duplicateKeys, toWrite));
    }
    if (replacePassword) {
        const added = await addPassword(client, target, wanted);
        password = { keyId: added.keyId, hint: added.hint };
        if (oldPassword !== undefined) {
            await removePasswordConfirmed(client, target, oldPassword.keyId);
        }
    }
    for (const d of duplicates.filter((x) => x.kind === "password")) {
        await removePasswordConfirmed(client, target, d.keyId);
    }
    if (toWrite.length > 0 || replacePassword || duplicates.length > 0) {
        const gone = new Set(duplicates.map((d) => d.keyId));
        const repaired = (v: ObjectCredentials | undefined): boolean =>
            v !== undefined && v.passwordCredentials.some((p) => p.keyId === password.keyId) && keys.every((k) => v.keyCredentials.some((c) => c.keyId === k.keyId)) &&
            ![...v.keyCredentials, ...v.passwordCredentials].some((e) => gone.has(e.keyId));
        requireConfirmed(await pollCredentials(client, target, "confirm repair", repaired), target, "confirm repair", "the repaired entries of this generation");
    }
    // The generation keeps the value it was created with (see `diff`).
    const { requestedValueSource: _v, requestedKeyMaterial: _k, ...asked } = news as GenerationInputs & Partial<GenerationOutputs>;
    const stillSuperseded = superseded.filter((id) => !duplicateKeys.includes(id));
    return {
        ...asked,
        valueSource: olds.valueSource,
        keyMaterial: olds.keyMaterial,
        ...(news.valueSource === olds.valueSource ? {} : { requestedValueSource: news.valueSource }),
        ...(news.keyMaterial === olds.keyMaterial ? {} : { requestedKeyMaterial: news.keyMaterial }),
        targetKind: target.kind,
        objectId: target.objectId,
        signKeyId: keys[0].keyId,
        verifyKeyId: keys[1].keyId,
        passwordKeyId: password.keyId,
        passwordHint: password.hint,
        clientSecret: olds.clientSecret,
        missing: [],
        drift: [],
        ...(stillSuperseded.length > 0 ? { supersededKeyIds: stillSuperseded } : {}),
    } satisfies GenerationOutputs;
}

/** True when an entry carries the wanted display name and dates. */
function matches(entry: { displayName?: string | null; startDateTime?: string; endDateTime?: string }, wanted: { displayName: string; startDateTime: string; endDateTime: string }): boolean {
    return (entry.displayName ?? "") === wanted.displayName && sameInstant(entry.startDateTime, wanted.startDateTime) && sameInstant(entry.endDateTime, wanted.endDateTime);
}

// ---- delete -------------------------------------------------------------------------------

/**
 * Removes exactly the given entries, tolerating already-gone ones, and confirms by reading. The
 * caller holds the object's lock.
 */
async function deleteEntries(client: GraphClient, target: CredentialTarget, signKeyId: string, verifyKeyId: string, passwordKeyId: string): Promise<void> {
    const first = await readCredentials(client, target, "read credentials before delete");
    if (first === undefined) {
        return; // the object itself is gone, and its credentials with it
    }
    const ours = [signKeyId, verifyKeyId];
    // A stale first view must not be the base of the merge (it could drop a key written moments
    // ago). If it stays "stale" only because our own keys are missing, they were removed out of
    // band: nothing to wait for.
    let view = first;
    if (isStaleView(target.objectId, first)) {
        const poll = await pollCredentials(client, target, "read credentials before delete", (v) => v !== undefined && !isStaleView(target.objectId, v), {
            consecutive: 1,
            maxReads: 4,
        });
        if (poll.view === undefined) {
            return;
        }
        if (!poll.confirmed) {
            const exp = expectationsOf(target.objectId);
            ours.forEach((id) => exp.present.delete(id));
            requireConfirmed(
                { ...poll, confirmed: !isStaleView(target.objectId, poll.view) },
                target,
                "read credentials before delete",
                "a view including the keys this process wrote",
            );
        }
        view = poll.view;
    }
    if ((await updateKeyCredentials(client, target, "read credentials before delete", replaceKeys(ours), view)) === undefined) {
        const exp = expectationsOf(target.objectId);
        ours.forEach((id) => exp.present.delete(id));
    }
    const keysGone = (v: ObjectCredentials | undefined): boolean => v === undefined || !v.keyCredentials.some((k) => ours.includes(k.keyId));
    requireConfirmed(await pollCredentials(client, target, "confirm key removal", keysGone), target, "confirm key removal", "removal of the Symmetric keys");
    await removePasswordConfirmed(client, target, passwordKeyId);
}

// ---- read ---------------------------------------------------------------------------------

interface ExpectedEntry {
    name: EntryName;
    keyId: string;
    type?: string;
    usage?: string;
}

function expectedEntries(props: GenerationOutputs): ExpectedEntry[] {
    return [
        { name: "sign", keyId: props.signKeyId, type: "Symmetric", usage: "Sign" },
        { name: "verify", keyId: props.verifyKeyId, type: "Symmetric", usage: "Verify" },
        { name: "password", keyId: props.passwordKeyId },
    ];
}

function findEntry(entry: ExpectedEntry, view: ObjectCredentials): KeyCredentialView | PasswordCredentialView | undefined {
    return entry.name === "password"
        ? view.passwordCredentials.find((p) => p.keyId === entry.keyId)
        : view.keyCredentials.find((k) => k.keyId === entry.keyId);
}

function missingEntries(expected: readonly ExpectedEntry[], view: ObjectCredentials): EntryName[] {
    return expected.filter((e) => findEntry(e, view) === undefined).map((e) => e.name);
}

/** Out-of-band changes to present entries, described without any secret. */
/**
 * Entries carrying this generation's display name that are not its own: left by a create attempt
 * whose answer was lost and that Graph applied late. Nobody holds their value; `update` removes them.
 */
function duplicatesOf(props: GenerationOutputs, view: ObjectCredentials, now: number): { kind: "key" | "password"; keyId: string }[] {
    const keptSuperseded = (props.supersededKeyIds ?? []).filter((id) => {
        const k = view.keyCredentials.find((c) => c.keyId === id);
        return k !== undefined && Date.parse(k.endDateTime ?? "") > now;
    });
    const own = new Set([props.signKeyId, props.verifyKeyId, props.passwordKeyId, ...keptSuperseded]);
    return [
        ...view.keyCredentials.filter((k) => k.displayName === props.displayName && !own.has(k.keyId)).map((k) => ({ kind: "key" as const, keyId: k.keyId })),
        ...view.passwordCredentials.filter((p) => p.displayName === props.displayName && !own.has(p.keyId)).map((p) => ({ kind: "password" as const, keyId: p.keyId })),
    ];
}

function driftOf(expected: readonly ExpectedEntry[], view: ObjectCredentials, props?: GenerationOutputs): string[] {
    const drift: string[] = [];
    for (const entry of expected) {
        const found = findEntry(entry, view);
        if (found === undefined) {
            continue;
        }
        if (entry.type !== undefined && "type" in found && found.type !== entry.type) {
            drift.push(`${entry.name}: type is ${found.type ?? "unset"}, expected ${entry.type}`);
        }
        if (entry.usage !== undefined && "usage" in found && found.usage !== entry.usage) {
            drift.push(`${entry.name}: usage is ${found.usage ?? "unset"}, expected ${entry.usage}`);
        }
        if (props !== undefined) {
            driftOfDates(entry.name, found, props, drift);
        }
    }
    return drift;
}

function driftOfDates(name: EntryName, found: KeyCredentialView | PasswordCredentialView, props: GenerationOutputs, drift: string[]): void {
    if (!sameInstant(found.startDateTime, props.startDateTime)) {
        drift.push(`${name}: startDateTime is ${found.startDateTime ?? "unset"}, expected ${props.startDateTime}`);
    }
    if (!sameInstant(found.endDateTime, props.endDateTime)) {
        drift.push(`${name}: endDateTime is ${found.endDateTime ?? "unset"}, expected ${props.endDateTime}`);
    }
    if ((found.displayName ?? "") !== props.displayName) {
        drift.push(`${name}: displayName is "${found.displayName ?? ""}", expected "${props.displayName}"`);
    }
}

// ---- helpers ------------------------------------------------------------------------------

function newClient(): GraphClient {
    return createGraphClient(graphClientOptionsFromEnv());
}

function changed(a: unknown, b: unknown, caseInsensitive = false): boolean {
    if (a === UNKNOWN || b === UNKNOWN) {
        return true;
    }
    if (caseInsensitive && typeof a === "string" && typeof b === "string") {
        return a.toLowerCase() !== b.toLowerCase();
    }
    return (a ?? undefined) !== (b ?? undefined);
}

function stripProvider(props: GenerationOutputs): GenerationOutputs {
    const copy: Record<string, unknown> = { ...props };
    delete copy.__provider;
    return copy as unknown as GenerationOutputs;
}

function parseDate(v: unknown): Date | undefined {
    const ms = parseInstant(v, "date-time");
    return ms === undefined ? undefined : new Date(ms);
}

/** ISO 8601 in UTC, without milliseconds when they are zero (Graph's own format). */
function formatDate(d: Date): string {
    return d.toISOString().replace(/\.000Z$/, "Z");
}

/** The latest endDateTime a generation starting at `start` may have. */
function latestEnd(start: Date): Date {
    return new Date(start.getTime() + MAX_LIFETIME_DAYS * DAY_MS);
}

function sameInstant(a: string | undefined, b: string | undefined): boolean {
    if (a === undefined || b === undefined) {
        return a === b;
    }
    return Date.parse(a) === Date.parse(b);
}
