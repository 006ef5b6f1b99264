// Reading every service principal and application of a tenant with the fewest Graph requests:
// `$top=999` (the largest page Graph serves), `$select` of only the fields the report needs, and
// `@odata.nextLink` followed verbatim (Graph's concepts/paging: the link is absolute and carries
// an opaque `$skiptoken` and the request's own options). The two collections are read side by
// side; application-backed add-ins are matched to their applications by appId in memory
// (tools/tenantReport.ts), so the scan costs ceil(servicePrincipals / 999) + ceil(applications /
// 999) requests and nothing per principal. Throttling (429 with or without Retry-After) and 5xx
// are retried by the project's Graph client (components/graph/client.ts).
import type { GraphClient } from "../components/graph/client";
import type { ApplicationView, ServicePrincipalView } from "./tenantReport";

/** The page size of the scan: Graph's maximum `$top` on servicePrincipals and applications. */
export const SCAN_PAGE_SIZE = 999;
/** The service principal fields the report reads. */
export const SERVICE_PRINCIPAL_FIELDS = ["id", "appId", "displayName", "servicePrincipalType", "keyCredentials", "passwordCredentials"] as const;
/** The application fields the report reads. */
export const APPLICATION_FIELDS = ["id", "appId", "displayName", "keyCredentials", "passwordCredentials"] as const;

/** The two collections the scan lists. */
export type ScannedCollection = "servicePrincipals" | "applications";

/** Progress after each page. */
export interface ScanProgress {
    readonly collection: ScannedCollection;
    /** Pages read so far in this collection. */
    readonly pages: number;
    /** Objects read so far in this collection. */
    readonly objects: number;
}

/** Everything the scan read, and what it cost. */
export interface TenantScan {
    readonly servicePrincipals: ServicePrincipalView[];
    readonly applications: ApplicationView[];
    /** Pages (= successful Graph requests) per collection. */
    readonly pages: Readonly<Record<ScannedCollection, number>>;
}

/** Reads both collections in full, calling `onProgress` after every page. */
export async function scanTenant(client: GraphClient, onProgress: (p: ScanProgress) => void = () => undefined): Promise<TenantScan> {
    const [sps, apps] = await Promise.all([
        listAll<ServicePrincipalView>(client, "servicePrincipals", SERVICE_PRINCIPAL_FIELDS, onProgress),
        listAll<ApplicationView>(client, "applications", APPLICATION_FIELDS, onProgress),
    ]);
    return { servicePrincipals: sps.objects, applications: apps.objects, pages: { servicePrincipals: sps.pages, applications: apps.pages } };
}

/**
 * Every object of one collection, page after page. A nextLink is followed only when it points at
 * the configured Graph (`<baseUrl>/v1.0/…`): the bearer token is never sent anywhere else.
 */
export async function listAll<T>(
    client: GraphClient,
    collection: ScannedCollection,
    select: readonly string[],
    onProgress: (p: ScanProgress) => void = () => undefined,
): Promise<{ objects: T[]; pages: number }> {
    const root = `${client.options.baseUrl}/v1.0`;
    const objects: T[] = [];
    let path: string | undefined = `/${collection}?$top=${SCAN_PAGE_SIZE}&$select=${select.join(",")}`;
    let pages = 0;
    while (path !== undefined) {
        const res: { body: { value?: T[]; "@odata.nextLink"?: string } | undefined } = await client.request({
            operation: `list ${collection} (page ${pages + 1})`,
            object: "the tenant",
            method: "GET",
            path,
        });
        const value = res.body?.value;
        if (!Array.isArray(value)) {
            throw new Error(`Graph list ${collection} (page ${pages + 1}) answered without a value array; is ${root} Microsoft Graph?`);
        }
        objects.push(...value);
        pages += 1;
        onProgress({ collection, pages, objects: objects.length });
        const next = res.body?.["@odata.nextLink"];
        if (next !== undefined && !next.startsWith(`${root}/`)) {
            throw new Error(`Graph list ${collection} (page ${pages}) returned an @odata.nextLink outside ${root}: "${next}"; not following it with the bearer token.`);
        }
        path = next === undefined ? undefined : next.slice(root.length);
    }
    return { objects, pages };
}
