/**
 * Graph error bodies. Shape (concepts/errors.md, and the observed bodies in
 * tests/fixtures/graph-examples.json): `{"error": {"code", "message", "details"?, "innerError":
 * {"date", "request-id", "client-request-id"}}}`. Callers branch on `code`.
 *
 * Each factory below says where its code and message come from:
 * - "documented": the Graph docs;
 * - "observed": a response body reported publicly (source named);
 * - "modelled": no public body was found; the code follows Graph's naming and the message is ours.
 *   If real Graph turns out to differ, only the factory changes.
 */

/** One entry of `error.details`. Key order follows the observed bodies. */
export interface GraphErrorDetail {
    readonly code: string;
    readonly message?: string;
    readonly target?: string;
}

/** A Graph error to send: HTTP status, `error.code`, `error.message`, optional details/headers. */
export class GraphError extends Error {
    /** Error name constant, for `instanceof`-free checks. */
    static readonly errorName = "GraphError";
    override readonly name = GraphError.errorName;

    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly details?: readonly GraphErrorDetail[],
        readonly headers: Readonly<Record<string, string>> = {},
    ) {
        super(message);
    }
}

/** Graph's `innerError.date`: UTC, seconds precision, no zone suffix ("2024-03-05T13:14:55"). */
export function innerErrorDate(now: Date): string {
    return now.toISOString().slice(0, 19);
}

/** The JSON body Graph sends for `err`. */
export function errorBody(err: GraphError, now: Date, requestId: string, clientRequestId: string): object {
    return {
        error: {
            code: err.code,
            message: err.message,
            ...(err.details !== undefined ? { details: err.details } : {}),
            innerError: { date: innerErrorDate(now), "request-id": requestId, "client-request-id": clientRequestId },
        },
    };
}

/** Documented+observed: 404 for an unknown object (message as seen in msgraph-sdk-powershell#2814). */
export function resourceNotFound(idOrAppId: string): GraphError {
    return new GraphError(404, "Request_ResourceNotFound",
        `Resource '${idOrAppId}' does not exist or one of its queried reference-property objects are not present.`);
}

/** Observed: 400 for a key segment that is not a GUID. */
export function invalidObjectIdentifier(id: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `Invalid object identifier '${id}'.`);
}

/** Observed: 401 without a bearer token. */
export function accessTokenEmpty(): GraphError {
    return new GraphError(401, "InvalidAuthenticationToken", "Access token is empty.",
        undefined, { "WWW-Authenticate": 'Bearer realm="", error="invalid_token"' });
}

/** Observed: 401 for a bearer token that is not a JWT ("CompactToken parsing failed ..."). */
export function accessTokenMalformed(): GraphError {
    return new GraphError(401, "InvalidAuthenticationToken", "CompactToken parsing failed with error code: 80049217",
        undefined, { "WWW-Authenticate": 'Bearer realm="", error="invalid_token"' });
}

/** Modelled on Graph's wording: 401 for a JWT the emulator did not issue. */
export function accessTokenInvalid(): GraphError {
    return new GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.",
        undefined, { "WWW-Authenticate": 'Bearer realm="", error="invalid_token"' });
}

/** Observed (MicrosoftDocs/azure-docs#59275, fixture observed_patch_passwordcredentials_rejected). */
export function passwordsNeedServiceActions(): GraphError {
    return new GraphError(400, "Request_BadRequest", "New password credentials must be generated using service actions.");
}

/** Observed (AAD Graph era, azure-powershell#6784 and Azure/active-directory-dotnet-graphapi-b2bportal-web#8): changing an existing entry in place. */
export function keyNotUpdatable(keyId: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `Update to existing credential with KeyId '${keyId}' is not allowed.`);
}

/** Observed (terraform-provider-azuread reports; "KeyCredentialsInvalidEndDate: Key credential end date is invalid."). */
export function keyInvalidEndDate(): GraphError {
    const message = "Key credential end date is invalid.";
    return new GraphError(400, "KeyCredentialsInvalidEndDate", message,
        [{ code: "InvalidKeyEndDate", message, target: "keyCredentials.endDateTime" }]);
}

/** Code observed (Microsoft365DSC changelog: empty key → KeyCredentialsInvalidValue); message modelled. */
export function keyInvalidValue(keyId: string | null): GraphError {
    const which = keyId === null ? "" : ` with keyId '${keyId}'`;
    return new GraphError(400, "KeyCredentialsInvalidValue", `Key credential${which} has an invalid value.`);
}

/** Documented OData wording for an invalid enum/property value on a resource. */
export function invalidPropertyValue(property: string, resource: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `Invalid value specified for property '${property}' of resource '${resource}'.`);
}

/** Observed message (msgraph-sdk-java#1823) for a bad `usage`. */
export function invalidUsage(): GraphError {
    return new GraphError(400, "Request_BadRequest",
        'The value for the property "usage" in one of your credentials is invalid. Acceptable values are Sign, Verify.');
}

/** Modelled: two entries with one keyId in a PATCH. */
export function duplicateKeyId(keyId: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `Duplicate keyId '${keyId}' in the request; every credential needs a unique keyId.`);
}

/** Modelled: password end date not after its start date. */
export function passwordInvalidEndDate(): GraphError {
    const message = "Password credential end date is invalid.";
    return new GraphError(400, "Request_BadRequest", message,
        [{ code: "InvalidKeyEndDate", message, target: "passwordCredential.endDateTime" }]);
}

/**
 * Message fragment observed ("No password credential found" is matched by third-party code that
 * treats it as already-removed); status and code modelled as Graph's usual 400 Request_BadRequest.
 */
export function noPasswordCredential(keyId: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `No password credential found with keyId '${keyId}'.`);
}

/** Modelled after {@link noPasswordCredential}, for removeKey. */
export function noKeyCredential(keyId: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `No key credential found with keyId '${keyId}'.`);
}

/**
 * Observed (microsoft-graph-explorer-v4#3145: removeKey with the docs' placeholder proof answers
 * 403) with Graph's standard Authorization_RequestDenied message.
 */
export function proofRejected(): GraphError {
    return new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

/** Observed (fixture observed_addpassword_policy_lifetime_violation). */
export function lifetimeAsPerPolicy(policyId: string): GraphError {
    const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${policyId}'.`;
    return new GraphError(400, "CredentialInvalidLifetimeAsPerAppPolicy", message,
        [{ code: "InvalidKeyEndDate", message, target: "EndDate" }]);
}

/** Code observed (Teams Toolkit's aadErrorCode list: CredentialTypeNotAllowedAsPerAppPolicy); message modelled on the lifetime one. */
export function credentialTypeNotAllowed(policyId: string): GraphError {
    return new GraphError(400, "CredentialTypeNotAllowedAsPerAppPolicy",
        `Credential type not allowed as per assigned policy '${policyId}'.`);
}

/** Observed (fixture observed_addpassword_too_many_passwords, Azure/azure-cli#12946). */
export function tooManyAppPasswords(attempted: number, max: number): GraphError {
    return new GraphError(400, "TooManyAppPasswords",
        `Not allowed to add ${attempted} passwords. You can only add a maximum of ${max} passwords.`,
        [{ target: "passwordCredentials", code: "TooManyAppPasswords" } as GraphErrorDetail]);
}

/** Observed (learn.microsoft.com Q&A 1138873): 429 body; `Retry-After` only when given. */
export function tooManyRequests(retryAfterSeconds: number | null): GraphError {
    return new GraphError(429, "TooManyRequests", "Too many requests from the application. Please try again later.",
        undefined, retryAfterSeconds === null ? {} : { "Retry-After": String(retryAfterSeconds) });
}

/** Documented codes (concepts/errors.md) for 500/503/504. */
export function serverError(status: 500 | 503 | 504, retryAfterSeconds: number | null): GraphError {
    const headers: Record<string, string> = retryAfterSeconds === null ? {} : { "Retry-After": String(retryAfterSeconds) };
    switch (status) {
        case 500:
            return new GraphError(500, "generalException", "An unspecified error has occurred.", undefined, headers);
        case 503:
            return new GraphError(503, "serviceNotAvailable",
                "The service is temporarily unavailable. You may repeat the request after a delay, which may be specified in a Retry-After header.",
                undefined, headers);
        case 504:
            return new GraphError(504, "UnknownError", "The gateway did not receive a response in time.", undefined, headers);
    }
}

/** Standard OData wording for an unknown property in a request body. */
export function unknownProperty(property: string, type: string): GraphError {
    return new GraphError(400, "BadRequest",
        `The property '${property}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
}

/** Modelled: a read-only property in a PATCH body. */
export function readOnlyProperty(property: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `Property '${property}' is read-only and cannot be set.`);
}

/** Observed wording for an unsupported $filter. */
export function unsupportedQuery(detail: string): GraphError {
    return new GraphError(400, "Request_UnsupportedQuery", detail);
}

/** Documented range (`$top` 1..999 on servicePrincipals and applications); message modelled. */
export function invalidPageSize(top: string): GraphError {
    return new GraphError(400, "Request_BadRequest", `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`);
}

/**
 * Code and status observed (400 `Directory_ExpiredPageToken`, mapped by Microsoft's own directory
 * SDKs and reported when a nextLink is followed after its token expired); message modelled on
 * the directory's wording. The directory cannot resume from a `$skiptoken` it did not issue for
 * this query (garbled, truncated, or moved onto another `$select`/`$filter`/`$top`), so it answers
 * those the same way: the client has to start the listing again.
 */
export function expiredPageToken(): GraphError {
    return new GraphError(400, "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.");
}

/** Body that is not JSON. */
export function badJson(): GraphError {
    return new GraphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
}

/** Unknown segment or method. */
export function noRoute(method: string, path: string): GraphError {
    return new GraphError(400, "BadRequest", `Resource not found for the segment '${path.split("/").pop() ?? path}' (${method}).`);
}

/** Method not allowed on a known resource. */
export function methodNotAllowed(method: string): GraphError {
    return new GraphError(405, "Request_BadRequest", `Specified HTTP method '${method}' is not allowed for the request target.`);
}
