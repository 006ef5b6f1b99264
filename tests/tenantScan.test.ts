// The tenant scan (tools/tenantScan.ts) against the emulator seeded with thousands of
// principals, through the project's Graph client: every add-in found and classified as seeded,
// in exactly the paging minimum of requests, throttled pages retried, and a nextLink that leaves
// the configured Graph refused.
import * as assert from "node:assert/strict";
import { createGraphClient, graphClientOptionsFromEnv } from "../components/graph/client";
import { Emulator, PopulationState, startEmulator } from "../emulator";
import { findAddIns, reportAddIns } from "../tools/tenantReport";
import { APPLICATION_FIELDS, scanTenant, ScanProgress, SERVICE_PRINCIPAL_FIELDS } from "../tools/tenantScan";
import { emulatorEnv } from "./support/emulatorEnv";

const NOW = new Date("2026-11-26T06:00:00Z");

/** The report state each seeded add-in state must come out as. */
const EXPECTED: Record<PopulationState, { state: string; managed: boolean }> = {
    healthy: { state: "ok", managed: false },
    expiring: { state: "expiring", managed: false },
    down: { state: "down", managed: false },
    risky: { state: "at-risk", managed: false },
    managed: { state: "ok", managed: true },
};

describe("tenant scan", function () {
    this.timeout(60_000);

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

    /** The project's Graph client on the emulator, recording every URL it fetches. */
    function client(urls: string[] = []) {
        const options = graphClientOptionsFromEnv(emulatorEnv(emu, { ADDIN_CREDENTIALS_RETRY_BASE_MS: "1" }));
        return createGraphClient(options, {
            fetch: (input, init) => {
                urls.push(String(input));
                return fetch(input, init);
            },
            log: () => undefined,
        });
    }

    it("finds exactly the seeded add-ins among 10,000 principals, each classified as seeded, in the paging minimum of requests", async () => {
        // GIVEN 10,000 principals, 200 add-ins in each state
        const seeded = emu.tenant.seedPopulation({ principals: 10_000, seed: 7 });
        const urls: string[] = [];

        // WHEN the tenant is scanned and reported
        const scan = await scanTenant(client(urls));
        const reports = reportAddIns(findAddIns(scan.servicePrincipals, scan.applications).addIns, NOW, { warnDays: 30 });

        // THEN every add-in, and nothing else, with its seeded state and signing key
        assert.equal(scan.servicePrincipals.length, 10_000);
        assert.equal(scan.applications.length, seeded.applications);
        assert.deepEqual(reports.map((r) => r.clientId).sort(), seeded.addIns.map((a) => a.appId).sort());
        const byId = new Map(reports.map((r) => [r.clientId, r]));
        const mismatches = seeded.addIns.filter((a) => {
            const r = byId.get(a.appId);
            return r === undefined || r.state !== EXPECTED[a.state].state || (r.managedBy.length > 0) !== EXPECTED[a.state].managed
                || (r.signingKey?.keyId ?? null) !== a.signingKeyId || r.target.objectId !== a.holderId;
        });
        assert.deepEqual(mismatches, []);
        const states = reports.map((r) => r.state);
        assert.deepEqual(["down", "at-risk", "expiring", "ok"].map((s) => states.filter((x) => x === s).length), [200, 200, 200, 400]);

        // AND in ceil(10,000 / 999) + ceil(applications / 999) requests: the paging minimum
        const floor = Math.ceil(10_000 / 999) + Math.ceil(seeded.applications / 999);
        assert.equal(emu.requests.length, floor);
        assert.deepEqual(scan.pages, { servicePrincipals: 11, applications: Math.ceil(seeded.applications / 999) });
        assert.deepEqual(emu.requests.map((r) => r.status), Array(floor).fill(200));
        // The first request of each collection asks for 999 items of exactly the fields needed; the others follow nextLink.
        assert.deepEqual(urls.filter((u) => !u.includes("$skiptoken=")).sort(), [
            `${emu.url}/v1.0/applications?$top=999&$select=${APPLICATION_FIELDS.join(",")}`,
            `${emu.url}/v1.0/servicePrincipals?$top=999&$select=${SERVICE_PRINCIPAL_FIELDS.join(",")}`,
        ]);
        assert.equal(urls.filter((u) => /\?\$top=999&\$select=[^&]+&\$skiptoken=/.test(u)).length, floor - 2);
    });

    it("retries throttled pages (429 without and with Retry-After) and still reads every object once", async () => {
        // GIVEN a tenant of 5,000 principals, each collection throttled once its first page is read
        // (its pages are read one after the other, so the 429s meet nextLink pages)
        const seeded = emu.tenant.seedPopulation({ principals: 5000, seed: 3 });
        const progress: ScanProgress[] = [];
        const onProgress = (p: ScanProgress): void => {
            progress.push(p);
            if (p.pages === 1 && p.collection === "servicePrincipals") {
                emu.faults.throttle({ times: 2, retryAfterSeconds: null, match: { operation: "servicePrincipals.list" } });
            }
            if (p.pages === 1 && p.collection === "applications") {
                emu.faults.throttle({ times: 1, retryAfterSeconds: 1, match: { operation: "applications.list" } });
            }
        };

        // WHEN it is scanned
        const urls: string[] = [];
        const scan = await scanTenant(client(urls), onProgress);

        // THEN the faults fired, on nextLink pages, and nothing was lost or read twice
        const throttled = emu.requests.filter((r) => r.status === 429).map((r) => r.operation);
        assert.deepEqual(throttled.sort(), ["applications.list", "servicePrincipals.list", "servicePrincipals.list"]);
        const retried = urls.filter((u, i) => urls.indexOf(u) !== i);
        assert.equal(retried.length, 3);
        assert.ok(retried.every((u) => u.includes("&$skiptoken=")), `retried URLs: ${retried.join(" ")}`);
        assert.equal(new Set(scan.servicePrincipals.map((s) => s.id)).size, 5000);
        assert.equal(new Set(scan.applications.map((a) => a.id)).size, seeded.applications);
        const floor = Math.ceil(5000 / 999) + Math.ceil(seeded.applications / 999);
        assert.equal(emu.requests.length, floor + 3);
        assert.deepEqual(progress.filter((p) => p.collection === "servicePrincipals").map((p) => p.objects), [999, 1998, 2997, 3996, 4995, 5000]);
    });

    it("refuses to follow a nextLink that leaves the configured Graph (the bearer token stays home)", async () => {
        const options = graphClientOptionsFromEnv(emulatorEnv(emu));
        const page = (next?: string) => new Response(JSON.stringify({ value: [], ...(next === undefined ? {} : { "@odata.nextLink": next }) }), { status: 200, headers: { "content-type": "application/json" } });
        const fake = createGraphClient(options, {
            fetch: async (input) => (String(input).includes("/servicePrincipals") ? page("https://graph.example.net/v1.0/servicePrincipals?$skiptoken=abc") : page()),
        });

        await assert.rejects(scanTenant(fake), {
            message: `Graph list servicePrincipals (page 1) returned an @odata.nextLink outside ${emu.url}/v1.0: "https://graph.example.net/v1.0/servicePrincipals?$skiptoken=abc"; not following it with the bearer token.`,
        });
    });
});
