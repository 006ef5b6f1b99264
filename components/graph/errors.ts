// Named errors of the Graph client and the CredentialGeneration provider.
//
// Why factories and not `class X extends Error`: the provider is shipped to Pulumi's dynamic
// provider host as text produced by Pulumi's closure serializer, which rewrites classes into plain
// functions and calls `Error.call(this, message)` for `super(message)`. That leaves `message`
// empty and `instanceof Error` false, and the host reports `e.message` to the engine. So every
// error here is a real `Error` created by a factory, tagged with a name constant (the Azure
// identity SDK's habit) and recognised by a type guard on that name.

/** Name of errors raised when Graph answered a request with a failure status. */
export const GraphRequestErrorName = "GraphRequestError";
/** Name of errors raised when an answer's body is not the shape Graph documents (a proxy's sign-in page, `{}`, truncated JSON). */
export const GraphResponseErrorName = "GraphResponseError";
/** Name of errors raised when Graph could not be reached (network failure or timeout) after all attempts. */
export const GraphNetworkErrorName = "GraphNetworkError";
/** Name of errors raised when no service principal has the given client id. */
export const TargetNotFoundErrorName = "TargetNotFoundError";
/** Name of errors raised when Graph never showed a consistent view within the polling budget. */
export const ConsistencyTimeoutErrorName = "ConsistencyTimeoutError";
/** Name of errors raised when a generation's display name is already used by different entries. */
export const GenerationConflictErrorName = "GenerationConflictError";

/** Where a Graph failure happened: what we tried and on which object. Never holds a secret. */
export interface GraphErrorContext {
    /** The operation, in Graph's words where possible (e.g. "addPassword", "update keyCredentials"). */
    readonly operation: string;
    /** The object, e.g. "servicePrincipal 1a2b…" or "client id 3c4d…". */
    readonly object: string;
}

/** Graph answered with a failure status (after retries when the status was retryable). */
export interface GraphRequestError extends Error, GraphErrorContext {
    readonly name: typeof GraphRequestErrorName;
    /** HTTP status Graph returned. */
    readonly status: number;
    /** Graph's `error.code` (e.g. "Request_ResourceNotFound"), or "unknown" when the body had none. */
    readonly code: string;
    /** Graph's `request-id` header, for support cases. */
    readonly requestId?: string;
    /** True when the request may have taken effect although it failed (5xx on a non-idempotent call). */
    readonly ambiguous: boolean;
}

/**
 * An answer whose body is not what Graph documents for the request: not JSON, not the expected
 * object, a required field missing or malformed, or a failure status without Graph's error JSON.
 * It is never read as a state ("gone", "no credentials"): something other than Graph may have
 * answered (a proxy's sign-in page, a captive portal, a truncating middlebox).
 */
export interface GraphResponseError extends Error, GraphErrorContext {
    readonly name: typeof GraphResponseErrorName;
    /** HTTP status of the answer. */
    readonly status: number;
    /** What was wrong with the body, in words; never a value from it (a non-JSON body shows a short redacted excerpt). */
    readonly problem: string;
    /** Graph's `request-id` header, when the answer had one. */
    readonly requestId?: string;
    /** True when the request may have taken effect (a 2xx to a non-idempotent call). */
    readonly ambiguous: boolean;
}

/** Graph could not be reached: network failure or timeout on every attempt. */
export interface GraphNetworkError extends Error, GraphErrorContext {
    readonly name: typeof GraphNetworkErrorName;
    /** True when the request may have reached Graph and taken effect. */
    readonly ambiguous: boolean;
}

/** Creates a {@link GraphRequestError}; `graphMessage` must already be redacted by the caller. */
export function graphRequestError(
    context: GraphErrorContext,
    status: number,
    code: string,
    graphMessage: string,
    requestId: string | undefined,
    ambiguous: boolean,
): GraphRequestError {
    const detail = graphMessage ? `: ${graphMessage}` : "";
    const err = new Error(
        `Graph ${context.operation} on ${context.object} failed with HTTP ${status} ${code}${detail}` +
            (requestId ? ` (request-id ${requestId})` : ""),
    );
    return Object.assign(err, {
        name: GraphRequestErrorName,
        operation: context.operation,
        object: context.object,
        status,
        code,
        requestId,
        ambiguous,
    } as const);
}

/** Creates a {@link GraphResponseError}; `problem` must not contain a secret (see client.ts `describeBody`). */
export function graphResponseError(
    context: GraphErrorContext,
    status: number,
    problem: string,
    requestId: string | undefined,
    ambiguous: boolean,
): GraphResponseError {
    const err = new Error(
        `Graph ${context.operation} on ${context.object} answered HTTP ${status} with a body that is not what Graph documents: ${problem}` +
            (requestId ? ` (request-id ${requestId})` : "") +
            (ambiguous ? "; the request may have taken effect" : ""),
    );
    return Object.assign(err, {
        name: GraphResponseErrorName,
        operation: context.operation,
        object: context.object,
        status,
        problem,
        requestId,
        ambiguous,
    } as const);
}

/** Creates a {@link GraphNetworkError}; `cause` is a transport message, never a request body. */
export function graphNetworkError(context: GraphErrorContext, attempts: number, cause: string, ambiguous: boolean): GraphNetworkError {
    const err = new Error(`Graph ${context.operation} on ${context.object} failed after ${attempts} attempt(s): ${cause}`);
    return Object.assign(err, {
        name: GraphNetworkErrorName,
        operation: context.operation,
        object: context.object,
        ambiguous,
    } as const);
}

/** Creates the error for a client id that no service principal in the tenant carries. */
export function targetNotFoundError(clientId: string): Error {
    const err = new Error(
        `No service principal with client id (appId) ${clientId} exists in this tenant. ` +
            "Check the add-in's client id (site app permissions, or ClientId in the remote web's web.config) " +
            "and that the deploying identity may read service principals.",
    );
    err.name = TargetNotFoundErrorName;
    return err;
}

/** Creates the error raised when polling for a consistent view of an object ran out of attempts. */
export function consistencyTimeoutError(context: GraphErrorContext, waitingFor: string, reads: number): Error {
    const err = new Error(
        `Graph ${context.operation} on ${context.object}: ${waitingFor} not seen consistently after ${reads} reads; ` +
            "Graph may still be replicating. Run the command again: the entries of this generation are adopted, not duplicated.",
    );
    err.name = ConsistencyTimeoutErrorName;
    return err;
}

/** Creates the error raised when a display name already tags entries that are not this generation's. */
export function generationConflictError(object: string, displayName: string, why: string): Error {
    const err = new Error(
        `Entries named "${displayName}" on ${object} do not belong to this generation (${why}). ` +
            "Give each generation a unique displayName.",
    );
    err.name = GenerationConflictErrorName;
    return err;
}

/** True when `e` is a {@link GraphRequestError}. */
export function isGraphRequestError(e: unknown): e is GraphRequestError {
    return e instanceof Error && e.name === GraphRequestErrorName;
}

/** True when `e` is a {@link GraphResponseError}. */
export function isGraphResponseError(e: unknown): e is GraphResponseError {
    return e instanceof Error && e.name === GraphResponseErrorName;
}

/** True when `e` is a {@link GraphNetworkError}. */
export function isGraphNetworkError(e: unknown): e is GraphNetworkError {
    return e instanceof Error && e.name === GraphNetworkErrorName;
}

/** True when a failed write may nevertheless have taken effect (the caller must re-read before retrying). */
export function isAmbiguousWriteError(e: unknown): boolean {
    return (isGraphRequestError(e) || isGraphNetworkError(e) || isGraphResponseError(e)) && e.ambiguous;
}
