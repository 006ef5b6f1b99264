// Which Entra object holds an add-in's credentials: ACS principals registered before December
// 2024 are `Legacy` service principals with no application object, and their credentials live on
// the service principal itself; later ones are backed by an application object, and the
// credentials go on `/applications/{id}` (sp-dev-docs, "Replace an expiring client secret in a
// SharePoint Add-in"). Both are looked up by client id: `/servicePrincipals(appId='…')`,
// `/applications(appId='…')`.
//
// A lookup is "not found" only when Graph says so (a 404 with Graph's error JSON); a 200 without
// the object's id, or an HTML page, is an error naming the lookup, never "not found".
import { GraphAnswer, GraphClient, GraphRequest } from "./client";
import { targetNotFoundError } from "./errors";
import { guidField, isGuid, objectBody, stringField } from "./shape";

export { isGuid } from "./shape";

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
    // answer 404 for a while (Graph's directory is eventually consistent).
    const sp = await readUntilFound(client, reads, delayMs, {
        operation: "get servicePrincipal by appId",
        object,
        method: "GET",
        path: `/servicePrincipals(appId='${clientId}')?$select=id,appId,servicePrincipalType`,
        answer: lookupAnswer(clientId, "servicePrincipalType"),
    });
    if (sp === undefined) {
        throw targetNotFoundError(clientId);
    }
    if (sp.servicePrincipalType === "Legacy") {
        return targetOf(clientId, "servicePrincipal", sp.id);
    }
    const app = await readUntilFound(client, reads, delayMs, {
        operation: "get application by appId",
        object,
        method: "GET",
        path: `/applications(appId='${clientId}')?$select=id,appId`,
        answer: lookupAnswer(clientId),
    });
    if (app === undefined) {
        throw new Error(
            `The service principal of client id ${clientId} (object ${sp.id}) is backed by an application ` +
                "that Graph does not show: either it was registered moments ago and has not replicated yet " +
                "(run again in a minute), or it is not in this tenant, so its credentials cannot be managed here " +
                "(manage them in the application's home tenant, or use a Legacy (ACS) principal).",
        );
    }
    return targetOf(clientId, "application", app.id);
}

/** A looked-up object: its id, and `servicePrincipalType` when it was asked for. */
interface LookedUp {
    readonly id: string;
    readonly servicePrincipalType?: string;
}

/**
 * Reads a by-appId lookup strictly: `id` a GUID, `appId` the client id asked for, and
 * `servicePrincipalType` a string when `typeField` names it.
 */
function lookupAnswer(clientId: string, typeField?: "servicePrincipalType"): GraphAnswer<LookedUp> {
    return (body, fail) => {
        const o = objectBody(body, fail);
        const id = guidField(o, "id", "", fail);
        const appId = guidField(o, "appId", "", fail);
        if (appId.toLowerCase() !== clientId.toLowerCase()) {
            fail("appId is another client id than the one looked up");
        }
        return typeField === undefined ? { id } : { id, servicePrincipalType: stringField(o, typeField, "", fail) };
    };
}

/** GETs until Graph shows the object, up to `reads` times with a growing pause; undefined when every read was a 404. */
async function readUntilFound(
    client: GraphClient,
    reads: number,
    delayMs: number,
    request: Omit<GraphRequest<LookedUp>, "acceptStatus">,
): Promise<LookedUp | undefined> {
    for (let read = 1; ; read++) {
        const res = await client.request({ ...request, acceptStatus: [404] });
        if (res.status !== 404 && res.body !== undefined) {
            return res.body;
        }
        if (read >= reads) {
            return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs * read));
    }
}
