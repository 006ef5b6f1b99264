// Which Entra object holds an add-in's credentials (DOMAIN.md §2 "Two kinds of target"):
// ACS principals registered before December 2024 are `Legacy` service principals with no
// application object, and their credentials live on the service principal itself; later ones are
// backed by an application object, and the credentials go on `/applications/{id}`.
import { GraphClient, GraphRequest } from "./client";
import { targetNotFoundError } from "./errors";

/** Where a generation's entries live. */
export type TargetKind = "servicePrincipal" | "application";

/** A resolved credential target. */
export interface CredentialTarget {
    /** The add-in's client id (appId). */
    readonly clientId: string;
    readonly kind: TargetKind;
    /** Object id of the service principal or the application. */
    readonly objectId: string;
    /** Graph path of the object below `/v1.0`. */
    readonly path: string;
    /** How errors name the object, e.g. "servicePrincipal 0f1e…". */
    readonly label: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `s` is a GUID in its usual 8-4-4-4-12 form. */
export function isGuid(s: string): boolean {
    return GUID.test(s);
}

/** Builds a target from stored state (no Graph call). */
export function targetOf(clientId: string, kind: TargetKind, objectId: string): CredentialTarget {
    const collection = kind === "servicePrincipal" ? "servicePrincipals" : "applications";
    return { clientId, kind, objectId, path: `/${collection}/${objectId}`, label: `${kind} ${objectId}` };
}

/** Settings of {@link resolveTarget}'s polling of a 404 (a freshly created principal may not be visible yet). */
export interface ResolveOptions {
    /** Reads before a 404 is believed. @default 3 */
    readonly notFoundReads?: number;
    /** Wait between those reads. @default the client's retry base */
    readonly delayMs?: number;
}

/**
 * Finds the object that holds the credentials of `clientId`: one read for a Legacy service
 * principal, two for an application-backed one. Throws a TargetNotFoundError naming the client id
 * when no service principal has it.
 */
export async function resolveTarget(client: GraphClient, clientId: string, options: ResolveOptions = {}): Promise<CredentialTarget> {
    if (!isGuid(clientId)) {
        throw new Error(`clientId must be a GUID such as 11111111-2222-3333-4444-555555555555, got "${clientId}".`);
    }
    const reads = options.notFoundReads ?? 3;
    const delayMs = options.delayMs ?? client.options.retryBaseMs;
    const object = `client id ${clientId}`;
    // Both lookups get the same patience: a principal or application registered moments ago can
    // answer 404 for a while (eventual consistency, DOMAIN §2).
    const sp = await readUntilFound<{ id?: string; servicePrincipalType?: string }>(client, reads, delayMs, {
        operation: "get servicePrincipal by appId",
        object,
        method: "GET",
        path: `/servicePrincipals(appId='${clientId}')?$select=id,appId,servicePrincipalType`,
    });
    if (sp?.id === undefined) {
        throw targetNotFoundError(clientId);
    }
    if (sp.servicePrincipalType === "Legacy") {
        return targetOf(clientId, "servicePrincipal", sp.id);
    }
    const app = await readUntilFound<{ id?: string }>(client, reads, delayMs, {
        operation: "get application by appId",
        object,
        method: "GET",
        path: `/applications(appId='${clientId}')?$select=id,appId`,
    });
    if (app?.id === undefined) {
        throw new Error(
            `The service principal of client id ${clientId} (object ${sp.id}) is backed by an application ` +
                "that Graph does not show: either it was registered moments ago and has not replicated yet " +
                "(run again in a minute), or it is not in this tenant, so its credentials cannot be managed here " +
                "(manage them in the application's home tenant, or use a Legacy (ACS) principal).",
        );
    }
    return targetOf(clientId, "application", app.id);
}

/** GETs until the object has an id, up to `reads` times with a growing pause; undefined if never. */
async function readUntilFound<T extends { id?: string }>(
    client: GraphClient,
    reads: number,
    delayMs: number,
    request: Omit<GraphRequest, "acceptStatus">,
): Promise<T | undefined> {
    for (let read = 1; ; read++) {
        const res = await client.request<T>({ ...request, acceptStatus: [404] });
        if (res.status !== 404 && res.body?.id !== undefined) {
            return res.body;
        }
        if (read >= reads) {
            return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs * read));
    }
}
