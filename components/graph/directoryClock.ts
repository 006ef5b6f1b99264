// The directory's clock: what has expired is decided by Microsoft Entra's time (the `Date` header
// of Graph's answers), not by the deploying machine's clock, which may be off (and, against the
// emulator, runs in another year).
import { createGraphClient, GraphClient, GraphClientOptions, graphClientOptionsFromEnv } from "./client";

/**
 * A Graph client that also remembers the `Date` header of Graph's latest answer: the directory's
 * clock, which decides what has expired (not the deploying machine's clock). Used by the provider
 * and by `npm run inventory`.
 */
export function directoryClient(options: GraphClientOptions): { readonly client: GraphClient; readonly directoryNow: () => Date } {
    let last: number | undefined;
    const client = createGraphClient(options, {
        fetch: async (input: string | URL | Request, init?: RequestInit) => {
            const res = await fetch(input, init);
            const date = Date.parse(res.headers.get("date") ?? "");
            if (!Number.isNaN(date)) {
                last = date;
            }
            return res;
        },
    });
    return { client, directoryNow: () => new Date(last ?? Date.now()) };
}

/**
 * The directory's current time: the `Date` header of one small Graph read (the service principal
 * of `clientId`; any answer, a 404 included, carries the header). A program plans with it, so
 * that what is due is decided by the clock that also decides what has expired.
 */
export async function readDirectoryClock(clientId: string, options: GraphClientOptions = graphClientOptionsFromEnv()): Promise<Date> {
    const { client, directoryNow } = directoryClient(options);
    await client.request({
        operation: "read the directory's clock",
        object: `client id ${clientId}`,
        method: "GET",
        path: `/servicePrincipals(appId='${clientId}')?$select=id`,
        acceptStatus: [404],
    });
    return directoryNow();
}
