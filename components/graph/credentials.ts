// Reading and writing the credential collections of one Entra object, with the safety nets
// Graph does not provide (Microsoft Graph v1.0: serviceprincipal-update, application-update;
// concepts/best-practices, eventual consistency):
// - No optimistic concurrency: PATCH replaces the whole `keyCredentials` collection and Graph has
//   no ETag, so two read-merge-writes on one object can erase each other's keys.
//   - Inside the provider process, writes are serialized per object ({@link withObjectLock}); the
//     engine runs resources of one `pulumi up` in one provider process, so generations of one
//     add-in never race each other.
//   - Against other tools the race cannot be closed, only narrowed: every PATCH is built from a
//     read made right before it, and re-read and rebuilt before each retry
//     ({@link updateKeyCredentials}). A key another tool adds is lost only if it lands during the
//     PATCH's own round trip.
// - Eventual consistency: a read right after a write may not show it. Every write is confirmed
//   by polling ({@link pollCredentials}), and the process remembers which keyIds it has written
//   or removed ({@link expectationsOf}) so that a stale view is recognised and never used as the
//   base of a merge (which would silently drop a key written a moment earlier).
// - Answers are read strictly ({@link credentialsAnswer}): a body that is not the documented shape
//   is a GraphResponseError, never "no credentials" (which a merge would turn into erasing every
//   other key) nor "gone".
//
// Process-wide state lives on `globalThis`, created on first use inside the provider host: the
// serialized provider must not capture live objects.
import { GraphAnswer, GraphClient, GraphRequest } from "./client";
import { consistencyTimeoutError } from "./errors";
import { arrayField, dateField, entryObject, Fail, guidField, objectBody, optionalStringField, stringField } from "./shape";
import { CredentialTarget } from "./target";

/** A key credential as Graph returns it (`key` is always null on read). */
export interface KeyCredentialView {
    readonly keyId: string;
    readonly type?: string;
    readonly usage?: string;
    readonly displayName?: string | null;
    readonly startDateTime?: string;
    readonly endDateTime?: string;
    readonly customKeyIdentifier?: string | null;
    readonly key?: string | null;
}

/** A password credential as Graph returns it (`secretText` is always null on read). */
export interface PasswordCredentialView {
    readonly keyId: string;
    readonly displayName?: string | null;
    readonly hint?: string | null;
    readonly startDateTime?: string;
    readonly endDateTime?: string;
}

/** The credential collections of one object. */
export interface ObjectCredentials {
    readonly keyCredentials: readonly KeyCredentialView[];
    readonly passwordCredentials: readonly PasswordCredentialView[];
}

/** A Symmetric key to add: `key` is the base64 of the key bytes (a secret). */
export interface NewSymmetricKey {
    readonly keyId: string;
    readonly usage: "Sign" | "Verify";
    readonly key: string;
    readonly displayName: string;
    readonly startDateTime: string;
    readonly endDateTime: string;
}

/**
 * Reads a `$select=id,keyCredentials,passwordCredentials` answer strictly: both collections must
 * be arrays (missing or null is not "none"), and every entry must have what the provider relies
 * on: a GUID `keyId`; for keys a `type` and a `usage`; start and end date-times that parse; a
 * `displayName` that is a string or null. Entries are returned as read, unknown fields included,
 * because a PATCH sends the entries it keeps back as they were read.
 */
export const credentialsAnswer: GraphAnswer<ObjectCredentials> = (body, fail) => {
    const o = objectBody(body, fail);
    const keys = arrayField(o, "keyCredentials", "", fail).map((e, i) => {
        const where = `keyCredentials[${i}]`;
        const k = credentialEntry(e, where, fail);
        stringField(k, "type", `${where}.`, fail);
        stringField(k, "usage", `${where}.`, fail);
        return k as unknown as KeyCredentialView;
    });
    const passwords = arrayField(o, "passwordCredentials", "", fail).map((e, i) => {
        const where = `passwordCredentials[${i}]`;
        const p = credentialEntry(e, where, fail);
        optionalStringField(p, "hint", `${where}.`, fail);
        return p as unknown as PasswordCredentialView;
    });
    return { keyCredentials: keys, passwordCredentials: passwords };
};

/** The fields keys and passwords share. */
function credentialEntry(e: unknown, where: string, fail: Fail): Record<string, unknown> {
    const entry = entryObject(e, where, fail);
    guidField(entry, "keyId", `${where}.`, fail);
    dateField(entry, "startDateTime", `${where}.`, fail);
    dateField(entry, "endDateTime", `${where}.`, fail);
    optionalStringField(entry, "displayName", `${where}.`, fail);
    return entry;
}

/**
 * Reads the object's credentials; undefined when Graph answers 404 with its error JSON (gone, or
 * not visible yet). Any other answer that is not the documented shape throws a GraphResponseError.
 */
export async function readCredentials(client: GraphClient, target: CredentialTarget, operation: string): Promise<ObjectCredentials | undefined> {
    const res = await client.request({
        operation,
        object: target.label,
        method: "GET",
        path: `${target.path}?$select=id,keyCredentials,passwordCredentials`,
        acceptStatus: [404],
        answer: credentialsAnswer,
    });
    return res.status === 404 ? undefined : res.body;
}

/**
 * One write of `keyCredentials`, built from a view of the object: `keep` (entries of the view,
 * sent back as read with `key: null`, which Graph keeps by keyId) plus `add`; `removed` names the
 * keyIds the write drops on purpose (remembered so that a stale view still showing them is
 * recognised).
 */
export interface KeyCredentialsChange {
    readonly keep: readonly KeyCredentialView[];
    readonly add: readonly NewSymmetricKey[];
    readonly removed: readonly string[];
}

/**
 * Writes `keyCredentials` with the shortest window for other writers Graph allows (no ETag): the
 * body is built by `build` from a view read right before the PATCH, the PATCH is sent without the
 * client's internal retry, and after a retryable failure (429, 5xx, timeout) the wait the
 * client's policy prescribes (Retry-After, else its backoff) is followed by a fresh read and a
 * rebuilt body, so a key another tool added meanwhile is kept and a PATCH that took effect
 * although it failed is seen. Key values are redacted from any error message.
 *
 * `view` is a fresh view the caller read right before (no request since): the first attempt uses
 * it instead of reading again. `operation` names the reads this function makes. `build` returns
 * undefined when there is nothing to write; the result is the change written, or undefined when
 * nothing was. The caller holds the object's lock.
 */
export async function updateKeyCredentials(
    client: GraphClient,
    target: CredentialTarget,
    operation: string,
    build: (current: ObjectCredentials) => KeyCredentialsChange | undefined,
    view?: ObjectCredentials,
): Promise<KeyCredentialsChange | undefined> {
    const exp = expectationsOf(target.objectId);
    let current = view ?? (await readFreshCredentials(client, target, operation));
    for (let attempt = 1; ; attempt++) {
        const change = build(current);
        if (change === undefined) {
            return undefined;
        }
        const request: GraphRequest = {
            operation: "update keyCredentials",
            object: target.label,
            method: "PATCH",
            path: target.path,
            body: { keyCredentials: [...change.keep.map((k) => ({ ...k, key: null })), ...change.add.map(newKeyBody)] },
            redact: change.add.map((k) => k.key),
        };
        // Until this PATCH is answered its outcome is unknown (a timed-out or 5xx PATCH may have
        // been applied): a later view may show the keys it adds and removes either way.
        for (const id of [...change.add.map((k) => k.keyId), ...change.removed]) {
            exp.present.delete(id);
            exp.absent.delete(id);
        }
        const outcome = await client.attempt(request, attempt);
        if (outcome.done) {
            for (const k of change.add) {
                exp.present.add(k.keyId);
            }
            for (const k of change.keep) {
                exp.absent.delete(k.keyId);
            }
            for (const id of change.removed) {
                exp.present.delete(id);
                exp.absent.add(id);
            }
            return change;
        }
        await client.waitBeforeRetry(request, attempt, outcome.retry, "re-reading the object, then retrying");
        current = await readFreshCredentials(client, target, operation);
    }
}

/**
 * The usual `build` of {@link updateKeyCredentials}: the current keys without `drop` (and
 * without `add`'s keyIds, should an earlier attempt have written them), plus `add`. Undefined,
 * so nothing is written, when there is nothing to add and none of `drop` is on the object.
 */
export function replaceKeys(drop: readonly string[], add: readonly NewSymmetricKey[] = []): (current: ObjectCredentials) => KeyCredentialsChange | undefined {
    const adding = add.map((k) => k.keyId);
    return (current) => {
        const gone = (k: KeyCredentialView): boolean => drop.includes(k.keyId) || adding.includes(k.keyId);
        if (add.length === 0 && !current.keyCredentials.some(gone)) {
            return undefined;
        }
        return { keep: current.keyCredentials.filter((k) => !gone(k)), add, removed: drop.filter((id) => !adding.includes(id)) };
    };
}

/** A new Symmetric key as the PATCH body carries it. */
function newKeyBody(k: NewSymmetricKey): Record<string, string> {
    return {
        keyId: k.keyId,
        type: "Symmetric",
        usage: k.usage,
        key: k.key,
        displayName: k.displayName,
        startDateTime: k.startDateTime,
        endDateTime: k.endDateTime,
    };
}

/** What addPassword returns; `secretText` is a secret. */
export interface AddedPassword {
    readonly keyId: string;
    readonly secretText: string;
    readonly hint: string;
}

/** Calls addPassword. Not idempotent: an ambiguous failure must be followed by a re-read. */
export async function addPassword(
    client: GraphClient,
    target: CredentialTarget,
    password: { readonly displayName: string; readonly startDateTime: string; readonly endDateTime: string },
): Promise<AddedPassword> {
    const res = await client.request({
        operation: "addPassword",
        object: target.label,
        method: "POST",
        path: `${target.path}/addPassword`,
        body: { passwordCredential: password },
        idempotent: false,
        answer: addedPasswordAnswer,
    });
    // A 2xx always carries a body read by the answer (an empty one fails there).
    return res.body as AddedPassword;
}

/**
 * Reads addPassword's answer strictly: a GUID `keyId` and a `secretText` string; `hint` a string
 * or null when present (else the first three characters of the secret, as Graph documents it).
 * A body that fails is a GraphResponseError marked ambiguous: the password may exist.
 */
export const addedPasswordAnswer: GraphAnswer<AddedPassword> = (body, fail) => {
    const o = objectBody(body, fail);
    const keyId = guidField(o, "keyId", "", fail);
    const secretText = stringField(o, "secretText", "", fail);
    optionalStringField(o, "hint", "", fail);
    return { keyId, secretText, hint: typeof o.hint === "string" ? o.hint : secretText.slice(0, 3) };
};

/**
 * Calls removePassword. A 400/404 is returned as "absent" (already removed, or not visible yet);
 * the caller confirms by reading.
 */
export async function removePassword(client: GraphClient, target: CredentialTarget, keyId: string): Promise<"removed" | "absent"> {
    const res = await client.request({
        operation: "removePassword",
        object: target.label,
        method: "POST",
        path: `${target.path}/removePassword`,
        body: { keyId },
        // Removing one keyId twice changes nothing more, so transient failures may be retried.
        idempotent: true,
        acceptStatus: [400, 404],
    });
    return res.status === 400 || res.status === 404 ? "absent" : "removed";
}

/** KeyIds this process has written or removed on one object (see the file comment). */
export interface WriteExpectations {
    /** Keys this process wrote and has not removed: a view without them is stale. */
    readonly present: Set<string>;
    /** Keys this process removed: a view with them is stale. */
    readonly absent: Set<string>;
}

interface ProcessState {
    locks: Map<string, Promise<void>>;
    expectations: Map<string, WriteExpectations>;
}

function processState(): ProcessState {
    const g = globalThis as { __addinCredentialsState?: ProcessState };
    g.__addinCredentialsState ??= { locks: new Map(), expectations: new Map() };
    return g.__addinCredentialsState;
}

/** The expectations of this process for one object (created empty on first use). */
export function expectationsOf(objectId: string): WriteExpectations {
    const state = processState();
    let exp = state.expectations.get(objectId);
    if (exp === undefined) {
        exp = { present: new Set(), absent: new Set() };
        state.expectations.set(objectId, exp);
    }
    return exp;
}

/** True when `view` lacks a key this process wrote, or still shows one it removed. */
export function isStaleView(objectId: string, view: ObjectCredentials): boolean {
    const exp = expectationsOf(objectId);
    const seen = new Set(view.keyCredentials.map((k) => k.keyId));
    for (const id of exp.present) {
        if (!seen.has(id)) {
            return true;
        }
    }
    for (const id of exp.absent) {
        if (seen.has(id)) {
            return true;
        }
    }
    return false;
}

/**
 * Runs `fn` while holding this process's write lock of `objectId` (a promise chain per object).
 * Holders run one after the other in arrival order; a failing holder releases the lock.
 */
export async function withObjectLock<T>(objectId: string, fn: () => Promise<T>): Promise<T> {
    const locks = processState().locks;
    const previous = locks.get(objectId) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
        release = resolve;
    });
    const tail = previous.then(() => mine);
    locks.set(objectId, tail);
    await previous;
    try {
        return await fn();
    } finally {
        release();
        if (locks.get(objectId) === tail) {
            locks.delete(objectId);
        }
    }
}

/** How long to poll for a consistent view. */
export interface PollOptions {
    /** Consecutive reads on which the condition must hold. @default 2 */
    readonly consecutive?: number;
    /** Reads before giving up. @default 12 */
    readonly maxReads?: number;
    /** First wait between reads; grows ×1.5 per read, at most ×8. @default the client's retry base */
    readonly delayMs?: number;
}

/** Consecutive confirming reads required after a write (Terraform's azuread provider does the same). */
export const CONFIRM_CONSECUTIVE_READS = 2;
/** Reads before a confirmation gives up. */
export const CONFIRM_MAX_READS = 12;

/** Result of {@link pollCredentials}: the last view, and whether the condition held long enough. */
export interface PollResult {
    readonly confirmed: boolean;
    readonly view: ObjectCredentials | undefined;
    readonly reads: number;
}

/**
 * Reads until `condition(view)` holds on `consecutive` reads in a row, or `maxReads` is reached.
 * Never throws for a failed condition (see {@link requireConfirmed}); Graph errors propagate.
 */
export async function pollCredentials(
    client: GraphClient,
    target: CredentialTarget,
    operation: string,
    condition: (view: ObjectCredentials | undefined) => boolean,
    options: PollOptions = {},
): Promise<PollResult> {
    const consecutive = options.consecutive ?? CONFIRM_CONSECUTIVE_READS;
    const maxReads = options.maxReads ?? CONFIRM_MAX_READS;
    const delayMs = options.delayMs ?? client.options.retryBaseMs;
    let streak = 0;
    let view: ObjectCredentials | undefined;
    for (let read = 1; read <= maxReads; read++) {
        view = await readCredentials(client, target, operation);
        streak = condition(view) ? streak + 1 : 0;
        if (streak >= consecutive) {
            return { confirmed: true, view, reads: read };
        }
        if (read < maxReads) {
            await new Promise((resolve) => setTimeout(resolve, Math.round(delayMs * Math.min(1.5 ** (read - 1), 8))));
        }
    }
    return { confirmed: false, view, reads: maxReads };
}

/** Throws a ConsistencyTimeoutError unless the poll confirmed. */
export function requireConfirmed(result: PollResult, target: CredentialTarget, operation: string, waitingFor: string): ObjectCredentials | undefined {
    if (!result.confirmed) {
        throw consistencyTimeoutError({ operation, object: target.label }, waitingFor, result.reads);
    }
    return result.view;
}

/** Reads until the view is not stale for this process (see {@link isStaleView}); throws if it stays stale. */
export async function readFreshCredentials(client: GraphClient, target: CredentialTarget, operation: string): Promise<ObjectCredentials> {
    const result = await pollCredentials(client, target, operation, (v) => v !== undefined && !isStaleView(target.objectId, v), { consecutive: 1 });
    const view = requireConfirmed(result, target, operation, "a view including the keys this process wrote");
    if (view === undefined) {
        throw new Error(`Graph ${operation} on ${target.label}: the object was not found.`);
    }
    return view;
}

/** Rounds of removePassword + confirmation before {@link removePasswordConfirmed} gives up. */
export const REMOVE_ROUNDS = 3;

/** removePassword, then read until it is gone; repeats when a lagging replica still had it. */
export async function removePasswordConfirmed(client: GraphClient, target: CredentialTarget, keyId: string): Promise<void> {
    const gone = (v: ObjectCredentials | undefined): boolean => v === undefined || !v.passwordCredentials.some((p) => p.keyId === keyId);
    for (let round = 1; ; round++) {
        await removePassword(client, target, keyId);
        const poll = await pollCredentials(client, target, "confirm password removal", gone);
        if (poll.confirmed || round >= REMOVE_ROUNDS) {
            requireConfirmed(poll, target, "confirm password removal", `removal of password ${keyId}`);
            return;
        }
    }
}
