// The directory's clock: what has expired is decided by Microsoft Entra's time (the `Date` header
// of Graph's answers), not by the deploying machine's clock, which may be off (and, against the
// emulator, runs in another year).
import { createGraphClient, GraphClient, GraphClientOptions } from "./client";

/**
 * A Graph client that also remembers the `Date` header of Graph's latest answer: the directory's
 * clock, which decides what has expired (not the deploying machine's clock). Used by the provider
 * and by `npm run inventory`.
 */
export function directoryClient(options: GraphClientOptions): { client: GraphClient; directoryNow(): Date } {
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
