/**
 * Collection reads of the emulator over real HTTP, as Graph pages them (concepts/paging):
 * default and explicit page sizes, an absolute @odata.nextLink that carries the request's own
 * query options and an opaque $skiptoken, and the refusals of bad tokens and page sizes. Then the
 * deterministic tenant population the tenant-wide report and the bench are measured on.
 */
import { strict as assert } from "node:assert";
import { Emulator, POPULATION_STATES, planPopulation, startEmulator } from "../../emulator";
import { arr, call, graph, graphError, obj, Reply } from "./helpers";

const NOW = new Date("2026-11-26T06:00:00Z");

describe("emulator paging and tenant population", () => {
    let emu: Emulator;
    before(async () => {
        emu = await startEmulator({ port: 0 });
    });
    after(async () => {
        await emu.close();
    });
    beforeEach(() => {
        emu.reset();
        emu.clock.freeze(NOW);
    });

    /** GETs an absolute nextLink of this emulator (the helper adds /v1.0 itself). */
    function follow(link: string): Promise<Reply> {
        assert.ok(link.startsWith(`${emu.url}/v1.0/`), `nextLink ${link} is not an absolute URL of the emulator`);
        return call(emu, "GET", link.slice(emu.url.length));
    }

    /** Every page of a listing, following nextLink until there is none. */
    async function allPages(path: string): Promise<Reply[]> {
        const pages = [await graph(emu, "GET", path)];
        for (let link = obj(pages[0].body)["@odata.nextLink"]; typeof link === "string"; link = obj(pages[pages.length - 1].body)["@odata.nextLink"]) {
            pages.push(await follow(link));
        }
        return pages;
    }

    it("pages 100 at a time without $top, with an absolute nextLink, until every object was listed once", async () => {
        const made = Array.from({ length: 250 }, (_, i) => emu.tenant.addLegacyServicePrincipal({ displayName: `p${i}` }).id);

        const pages = await allPages("/servicePrincipals");

        assert.deepEqual(pages.map((p) => p.status), [200, 200, 200]);
        assert.deepEqual(pages.map((p) => arr(obj(p.body).value).length), [100, 100, 50]);
        const first = obj(pages[0].body);
        assert.deepEqual(Object.keys(first), ["@odata.context", "@odata.nextLink", "value"], "Graph's order: context, nextLink, value");
        assert.match(String(first["@odata.nextLink"]), new RegExp(`^${emu.url.replace(/\./g, "\\.")}/v1\\.0/servicePrincipals\\?\\$skiptoken=RFNwdAIAAQ[A-Za-z0-9%]+$`));
        assert.equal(obj(pages[2].body)["@odata.nextLink"], undefined, "no nextLink on the last page");
        assert.deepEqual(pages.flatMap((p) => arr(obj(p.body).value).map((v) => obj(v).id)), made, "each object once, in creation order");
    });

    it("carries $top, $select and $filter into the nextLink and honours them on every page", async () => {
        for (let i = 0; i < 5; i++) {
            emu.tenant.addLegacyServicePrincipal();
            emu.tenant.addApplication();
        }
        const path = "/servicePrincipals?$top=2&$select=id,appId&$filter=servicePrincipalType eq 'Legacy'";

        const pages = await allPages(path);

        assert.deepEqual(pages.map((p) => arr(obj(p.body).value).length), [2, 2, 1]);
        assert.match(
            String(obj(pages[0].body)["@odata.nextLink"]),
            /\/v1\.0\/servicePrincipals\?\$top=2&\$select=id%2CappId&\$filter=servicePrincipalType%20eq%20'Legacy'&\$skiptoken=[A-Za-z0-9%]+$/,
        );
        for (const p of pages) {
            assert.equal(obj(p.body)["@odata.context"], `${emu.url}/v1.0/$metadata#servicePrincipals(id,appId)`);
            for (const v of arr(obj(p.body).value)) {
                assert.deepEqual(Object.keys(obj(v)), ["id", "appId"]);
            }
        }
        const legacy = emu.tenant.all("servicePrincipals").filter((o) => o.props.servicePrincipalType === "Legacy").map((o) => o.id);
        assert.deepEqual(pages.flatMap((p) => arr(obj(p.body).value).map((v) => obj(v).id)), legacy);
    });

    it("answers no nextLink when the page holds everything ($top=999)", async () => {
        for (let i = 0; i < 3; i++) emu.tenant.addApplication();
        const r = await graph(emu, "GET", "/applications?$top=999&$select=id");
        assert.deepEqual(Object.keys(obj(r.body)), ["@odata.context", "value"]);
        assert.equal(arr(obj(r.body).value).length, 3);
    });

    it("refuses a garbled, truncated or foreign $skiptoken, and one moved onto another query, with Directory_ExpiredPageToken", async () => {
        for (let i = 0; i < 3; i++) emu.tenant.addLegacyServicePrincipal();
        const link = String(obj((await graph(emu, "GET", "/servicePrincipals?$top=1&$select=id")).body)["@odata.nextLink"]);
        const token = decodeURIComponent(/\$skiptoken=([^&]+)$/.exec(link)?.[1] ?? "");
        const flipped = `${token[0] === "R" ? "S" : "R"}${token.slice(1)}`;
        const expected = { code: "Directory_ExpiredPageToken", message: "The specified page token value has expired and can no longer be included in your request." };

        const refused = [
            `/servicePrincipals?$top=1&$select=id&$skiptoken=${encodeURIComponent(flipped)}`,
            `/servicePrincipals?$top=1&$select=id&$skiptoken=${encodeURIComponent(token.slice(0, -6))}`,
            "/servicePrincipals?$top=1&$select=id&$skiptoken=X%274453707402000100%27",
            `/servicePrincipals?$top=1&$select=id,appId&$skiptoken=${encodeURIComponent(token)}`,
            `/applications?$top=1&$select=id&$skiptoken=${encodeURIComponent(token)}`,
        ];
        for (const path of refused) {
            const r = await graph(emu, "GET", path);
            assert.equal(r.status, 400, path);
            assert.deepEqual(graphError(r), expected, path);
        }
        // The untouched nextLink still works: refusals change nothing.
        assert.equal((await follow(link)).status, 200);
    });

    it("refuses a $top outside 1..999", async () => {
        for (const top of ["0", "1000", "-1", "abc", "2.5", ""]) {
            const r = await graph(emu, "GET", `/servicePrincipals?$top=${top}`);
            assert.equal(r.status, 400, `$top=${top}`);
            assert.deepEqual(graphError(r), { code: "Request_BadRequest", message: `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.` });
        }
    });

    it("uses up an object's stale reads only when its own page is read (read-after-write lag)", async () => {
        const ids = Array.from({ length: 4 }, () => emu.tenant.addLegacyServicePrincipal().id);
        emu.faults.readAfterWriteLag(1);
        const last = emu.tenant.get(ids[3]);
        assert.ok(last);
        emu.tenant.beforeWrite(last);
        last.props = { ...last.props, displayName: "renamed" };

        const page1 = await graph(emu, "GET", "/servicePrincipals?$top=2&$select=id,displayName");
        const page2 = await follow(String(obj(page1.body)["@odata.nextLink"]));

        // The lagged object is on page 2: page 1 left its stale read for page 2, which shows the old name.
        assert.equal(obj(arr(obj(page2.body).value)[1]).displayName, `Add-in ${last.appId.slice(0, 8)}`);
        const again = await graph(emu, "GET", `/servicePrincipals/${ids[3]}?$select=displayName`);
        assert.equal(obj(again.body).displayName, "renamed");
    });
    describe("tenant population", () => {

        it("seeds 10,000 principals in well under a few seconds, with 200 add-ins per state, half Legacy", () => {
            const t0 = performance.now();
            const m = emu.tenant.seedPopulation({ principals: 10_000, seed: 7 });
            const ms = performance.now() - t0;

            assert.ok(ms < 3000, `seeding took ${Math.round(ms)} ms`);
            assert.equal(m.servicePrincipals, 10_000);
            assert.equal(emu.tenant.all("servicePrincipals").length, 10_000);
            assert.equal(emu.tenant.all("applications").length, m.applications);
            assert.equal(m.addIns.length, 1000);
            for (const state of POPULATION_STATES) {
                const of = m.addIns.filter((a) => a.state === state);
                assert.deepEqual([of.length, of.filter((a) => a.holder === "servicePrincipal").length], [200, 100], state);
            }
            // Exactly the add-ins hold Symmetric keys, on the object the holder names.
            const withSymmetric = [...emu.tenant.all("servicePrincipals"), ...emu.tenant.all("applications")]
                .filter((o) => o.keyCredentials.some((k) => k.type === "Symmetric"))
                .map((o) => o.id)
                .sort();
            assert.deepEqual(withSymmetric, m.addIns.map((a) => a.holderId).sort());
        });

        it("is deterministic: the same seed gives the same ids, keys and dates; another seed others", () => {
            const a = planPopulation({ principals: 300, seed: 3 }, NOW);
            const b = planPopulation({ principals: 300, seed: 3 }, NOW);
            const c = planPopulation({ principals: 300, seed: 4 }, NOW);
            assert.deepEqual(a, b);
            assert.notDeepEqual(a.principals.map((p) => p.appId), c.principals.map((p) => p.appId));
            assert.equal(a.principals.filter((p) => p.state !== undefined).length, 30, "min(200, 300 / 50) = 6 per state");
        });

        it("gives each add-in state the credentials it names", () => {
            const m = emu.tenant.seedPopulation({ principals: 100, seed: 11, addInsPerState: 4 });
            const now = NOW.getTime();
            for (const a of m.addIns) {
                const signs = emu.tenant.credentials(a.holderId).keyCredentials.filter((k) => k.type === "Symmetric" && k.usage === "Sign");
                const valid = signs.filter((k) => Date.parse(k.endDateTime) > now).sort((x, y) => Date.parse(x.startDateTime) - Date.parse(y.startDateTime));
                const days = (k: { endDateTime: string }): number => (Date.parse(k.endDateTime) - now) / 86_400_000;
                const expected: Record<string, boolean> = {
                    healthy: valid.length === 1 && days(valid[0]) >= 90,
                    expiring: valid.length === 1 && days(valid[0]) < 30,
                    down: signs.length === 1 && valid.length === 0,
                    risky: valid.length === 2,
                    managed: valid.length === 1 && /^addin-credentials\/[a-z0-9-]+\/gen-0\/\d{4}-\d{2}-\d{2}$/.test(valid[0].displayName ?? ""),
                };
                assert.ok(expected[a.state], `${a.state} add-in ${a.appId}: ${JSON.stringify(signs)}`);
                assert.equal(a.signingKeyId, valid[0]?.keyId ?? null);
            }
        });

        it("seeds over the admin endpoint, and refuses bad options naming them", async () => {
            const r = await call(emu, "POST", "/_emulator/population", { principals: 60, seed: 2, addInsPerState: 2 });
            assert.equal(r.status, 201);
            const body = obj(r.body);
            assert.equal(body.servicePrincipals, 60);
            assert.equal(arr(body.addIns).length, 10);
            assert.deepEqual(Object.keys(obj(arr(body.addIns)[0])), ["appId", "displayName", "state", "holder", "holderId", "servicePrincipalId", "signingKeyId"]);

            const again = await call(emu, "POST", "/_emulator/population", { principals: 60, seed: 2, addInsPerState: 2 });
            assert.equal(again.status, 400);
            assert.match(String(obj(obj(again.body).error).message), /^seedPopulation: appId "[0-9a-f-]{36}" is already registered in the emulator/);

            const missing = await call(emu, "POST", "/_emulator/population", {});
            assert.equal(obj(obj(missing.body).error).message, "population: principals (number of service principals) is required");
            const tooMany = await call(emu, "POST", "/_emulator/population", { principals: 10, addInsPerState: 3 });
            assert.equal(obj(obj(tooMany.body).error).message, "population: addInsPerState must be a whole number with 5 x addInsPerState <= principals (10); got 3.");
        });
    });
});
