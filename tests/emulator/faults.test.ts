/**
 * Fault and realism controls: latency, 429 (with and without Retry-After, matched, token bucket),
 * 5xx, hang, bad bodies, request hooks, read-after-write lag, tenant policy, clock, request log;
 * in-process and over the admin endpoint.
 */
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { Emulator, startEmulator } from "../../emulator";
import { arr, call, DAY, graph, graphError, newSecret, obj } from "./helpers";

describe("emulator faults", () => {
    let emu: Emulator;
    before(async () => {
        emu = await startEmulator({ port: 0 });
    });
    after(async () => {
        await emu.close();
    });
    beforeEach(() => {
        emu.reset();
    });

    it("adds latency to matching requests only", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        emu.faults.latency(150, { method: "GET" });
        let t = Date.now();
        assert.equal((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).status, 200);
        assert.ok(Date.now() - t >= 140, "GET was delayed");
        t = Date.now();
        await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, {});
        assert.ok(Date.now() - t < 140, "POST was not");
    });

    it("answers 429 with Retry-After N times, then normally", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        emu.faults.throttle({ times: 2, retryAfterSeconds: 7 });
        for (let i = 0; i < 2; i += 1) {
            const r = await graph(emu, "GET", `/servicePrincipals/${sp.id}`);
            assert.equal(r.status, 429);
            assert.equal(r.headers.get("retry-after"), "7");
            assert.deepEqual(graphError(r), { code: "TooManyRequests", message: "Too many requests from the application. Please try again later." });
        }
        assert.equal((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).status, 200);
    });

    it("answers 429 without Retry-After when none is configured", async () => {
        emu.faults.throttle();
        const r = await graph(emu, "GET", "/servicePrincipals");
        assert.equal(r.status, 429);
        assert.equal(r.headers.get("retry-after"), null);
    });

    it("throttles only the matching method, path or operation", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        emu.faults.throttle({ times: 1, match: { operation: "servicePrincipals.addPassword" } });
        emu.faults.throttle({ times: 1, match: { method: "PATCH", path: sp.id } });
        assert.equal((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).status, 200);
        assert.equal((await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { notes: "x" })).status, 429);
        assert.equal((await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { notes: "x" })).status, 204);
        assert.equal((await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, {})).status, 429);
        assert.equal((await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, {})).status, 200);
    });

    it("rate-limits with a token bucket and a Retry-After from the refill rate", async () => {
        emu.faults.tokenBucket({ capacity: 3, refillPerSecond: 0.5 });
        const statuses: number[] = [];
        let retryAfter: string | null = null;
        for (let i = 0; i < 4; i += 1) {
            const r = await graph(emu, "GET", "/servicePrincipals");
            statuses.push(r.status);
            retryAfter = r.headers.get("retry-after") ?? retryAfter;
        }
        assert.deepEqual(statuses, [200, 200, 200, 429]);
        assert.equal(retryAfter, "2");
        emu.faults.tokenBucket({ capacity: 1, refillPerSecond: 20 });
        assert.equal((await graph(emu, "GET", "/servicePrincipals")).status, 200);
        await new Promise((r) => setTimeout(r, 80));
        assert.equal((await graph(emu, "GET", "/servicePrincipals")).status, 200, "refilled");
    });

    for (const [status, code] of [[500, "generalException"], [503, "serviceNotAvailable"], [504, "UnknownError"]] as const) {
        it(`answers a burst of ${status} ${code} with a Graph body`, async () => {
            emu.faults.serverError({ status, times: 2, retryAfterSeconds: status === 503 ? 3 : null });
            for (let i = 0; i < 2; i += 1) {
                const r = await graph(emu, "GET", "/servicePrincipals");
                assert.equal(r.status, status);
                assert.equal(graphError(r).code, code);
                assert.equal(r.headers.get("retry-after"), status === 503 ? "3" : null);
            }
            assert.equal((await graph(emu, "GET", "/servicePrincipals")).status, 200);
        });
    }

    it("hangs a request for a while, then answers normally", async () => {
        emu.faults.hang({ ms: 200 });
        const t = Date.now();
        assert.equal((await graph(emu, "GET", "/servicePrincipals")).status, 200);
        assert.ok(Date.now() - t >= 190);
    });

    it("hangs a request forever: the client's timeout fires and the log shows no status", async () => {
        emu.faults.hang({ ms: null });
        await assert.rejects(
            fetch(`${emu.graphUrl}/servicePrincipals`, { headers: { Authorization: `Bearer ${emu.token}` }, signal: AbortSignal.timeout(150) }),
            (err: Error) => err.name === "TimeoutError",
        );
        assert.deepEqual(emu.requests.map((r) => [r.operation, r.status]), [["servicePrincipals.list", null]]);
        assert.equal((await graph(emu, "GET", "/servicePrincipals")).status, 200, "only once");
    });

    describe("bad body (something other than Graph answers)", () => {
        const signIn = "<html><head><title>Sign in to your account</title></head><body>…</body></html>";

        it("answers matching requests N times with the given status, content type and raw body, then normally", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.faults.badBody({ status: 200, contentType: "text/html; charset=utf-8", body: signIn, times: 2, match: { method: "GET", path: sp.id } });
            for (let i = 0; i < 2; i += 1) {
                const r = await fetch(`${emu.graphUrl}/servicePrincipals/${sp.id}`, { headers: { Authorization: `Bearer ${emu.token}` } });
                assert.equal(r.status, 200);
                assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
                assert.equal(r.headers.get("request-id"), null, "not Graph: no request-id");
                assert.equal(await r.text(), signIn);
            }
            assert.equal(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).id, sp.id);
            assert.deepEqual(emu.requests.map((r) => [r.operation, r.status, r.faults]), [
                ["servicePrincipals.get", 200, ["badBody"]],
                ["servicePrincipals.get", 200, ["badBody"]],
                ["servicePrincipals.get", 200, []],
            ]);
        });

        it("does not let the request reach Graph: a PATCH answered by it changes nothing", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret() }] });
            const before = emu.tenant.credentials(sp.id);
            emu.faults.badBody({ status: 200, contentType: null, body: "", match: { method: "PATCH" } });
            const r = await fetch(`${emu.graphUrl}/servicePrincipals/${sp.id}`, {
                method: "PATCH", headers: { Authorization: `Bearer ${emu.token}`, "Content-Type": "application/json" }, body: JSON.stringify({ keyCredentials: [] }),
            });
            assert.equal(r.status, 200);
            assert.equal(r.headers.get("content-type"), null);
            assert.equal(await r.text(), "");
            assert.deepEqual(emu.tenant.credentials(sp.id), before);
        });

        it("answers before the bearer check, like a proxy in front of Graph", async () => {
            emu.faults.badBody({ status: 404, body: "<html>Not Found</html>" });
            const r = await fetch(`${emu.graphUrl}/servicePrincipals`);
            assert.deepEqual([r.status, await r.text()], [404, "<html>Not Found</html>"]);
        });

        it("refuses a status that is not HTTP's", () => {
            assert.throws(() => emu.faults.badBody({ status: 700, body: "x" }), /^Error: faults\.badBody: status 700 is not an HTTP status; pass 100 to 599\.$/);
        });
    });

    describe("request hooks (another client acting at a moment of a request)", () => {
        const seedKey = (objectId: string): string => emu.tenant.seedCredentials(objectId, { keyCredentials: [{ type: "Symmetric", usage: "Verify", key: newSecret() }] }).keyCredentials[0];
        const keyIds = (reply: { body: unknown }): string[] => arr(obj(reply.body as never).keyCredentials).map((k) => String(obj(k).keyId));

        it('runs "before" hooks when the request arrives, so Graph handles it after the hook\'s write', async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            let written = "";
            emu.faults.onRequest({ when: "before", match: { method: "GET" }, run: async () => {
                await new Promise((resolve) => setTimeout(resolve, 20));
                written = seedKey(sp.id);
            } });
            assert.deepEqual(keyIds(await graph(emu, "GET", `/servicePrincipals/${sp.id}`)), [written]);
            assert.deepEqual(emu.requests.map((r) => r.faults), [["onRequest:before"]]);
        });

        it('runs "after" hooks once the answer is sent: the answer does not show the write, the next read does', async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            let written = "";
            emu.faults.onRequest({ when: "after", times: 1, match: { operation: "servicePrincipals.get" }, run: () => {
                written = seedKey(sp.id);
            } });
            assert.deepEqual(keyIds(await graph(emu, "GET", `/servicePrincipals/${sp.id}`)), []);
            assert.deepEqual(keyIds(await graph(emu, "GET", `/servicePrincipals/${sp.id}`)), [written]);
            assert.deepEqual(emu.requests.map((r) => r.faults), [["onRequest:after"], []]);
        });

        it("runs after a fault's answer too (a write while the client waits out a 429), and never after a request left unanswered", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const runs: string[] = [];
            emu.faults.throttle({ retryAfterSeconds: 1, match: { method: "PATCH" } });
            emu.faults.onRequest({ when: "after", match: { method: "PATCH" }, run: (req) => void runs.push(`${req.method} ${req.operation}`) });
            assert.equal((await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [] })).status, 429);
            assert.deepEqual(runs, ["PATCH servicePrincipals.update"]);
            assert.deepEqual(emu.requests.map((r) => r.faults), [["throttle", "onRequest:after"]]);

            emu.faults.hang({ ms: null });
            emu.faults.onRequest({ when: "after", run: () => void runs.push("after a hang") });
            await assert.rejects(fetch(`${emu.graphUrl}/servicePrincipals`, { headers: { Authorization: `Bearer ${emu.token}` }, signal: AbortSignal.timeout(100) }));
            assert.deepEqual(runs, ["PATCH servicePrincipals.update"]);
            assert.equal(emu.requests[1].status, null);
        });

        it("refuses a hook without a function or with an unknown moment", () => {
            assert.throws(() => emu.faults.onRequest({ run: undefined as never }), /^Error: faults\.onRequest: run must be a function\.$/);
            assert.throws(() => emu.faults.onRequest({ when: "during" as never, run: () => undefined }), /^Error: faults\.onRequest: when is during; pass "before" or "after"\.$/);
        });
    });

    describe("read-after-write lag", () => {
        it("serves the pre-write snapshot for the next N reads after a write", async () => {
            // GIVEN lag of 2 reads and a principal with one key
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret() }] });
            emu.faults.readAfterWriteLag(2);
            // WHEN a key is added
            const before = arr(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).keyCredentials);
            await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [...before, { type: "Symmetric", usage: "Verify", key: newSecret() }] });
            // THEN two reads (by id, then by filter) still show one key, the third shows two
            const counts: number[] = [];
            counts.push(arr(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).keyCredentials).length);
            counts.push(arr(obj(arr(obj((await graph(emu, "GET", `/servicePrincipals?$filter=appId eq '${sp.appId}'`)).body).value)[0]).keyCredentials).length);
            counts.push(arr(obj((await graph(emu, "GET", `/servicePrincipals(appId='${sp.appId}')`)).body).keyCredentials).length);
            assert.deepEqual(counts, [1, 1, 2]);
            // AND the truth was written at once
            assert.equal(emu.tenant.credentials(sp.id).keyCredentials.length, 2);
        });

        it("answers 404 for a freshly created object for N reads", async () => {
            emu.faults.readAfterWriteLag(2);
            const sp = emu.tenant.addLegacyServicePrincipal();
            assert.equal((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).status, 404);
            assert.deepEqual(obj((await graph(emu, "GET", `/servicePrincipals?$filter=appId eq '${sp.appId}'`)).body).value, []);
            assert.equal((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).status, 200);
        });

        it("shows a just-added password missing, then present", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.faults.readAfterWriteLag(1);
            const added = obj((await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, {})).body);
            assert.deepEqual(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).passwordCredentials, []);
            assert.equal(obj(arr(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).passwordCredentials)[0]).keyId, added.keyId);
        });
    });

    describe("tenant app-management policy", () => {
        const lifetimeError = (policyId: string): object => ({
            code: "CredentialInvalidLifetimeAsPerAppPolicy",
            message: `Credential lifetime exceeds the max value allowed as per assigned policy '${policyId}'.`,
            details: [{ code: "InvalidKeyEndDate", message: `Credential lifetime exceeds the max value allowed as per assigned policy '${policyId}'.`, target: "EndDate" }],
        });

        it("refuses a password longer than the max lifetime (default 2 years included)", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.faults.policy({ id: "p-1", passwordLifetime: "P365D" });
            const r = await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, { passwordCredential: { displayName: "x" } });
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), lifetimeError("p-1"));
            const now = emu.clock.now();
            const ok = await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, { passwordCredential: { endDateTime: new Date(now.getTime() + 300 * DAY).toISOString() } });
            assert.equal(ok.status, 200);
        });

        it("refuses a symmetric key longer than the max lifetime", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.faults.policy({ id: "p-2", symmetricKeyLifetime: 90 * DAY });
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret(), startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2026-06-01T00:00:00Z" }] });
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), lifetimeError("p-2"));
        });

        it("blocks password and symmetric key addition", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.faults.policy({ id: "p-3", blockPasswordAddition: true, blockSymmetricKeyAddition: true });
            const expected = { code: "CredentialTypeNotAllowedAsPerAppPolicy", message: "Credential type not allowed as per assigned policy 'p-3'." };
            assert.deepEqual(graphError(await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, {})), expected);
            assert.deepEqual(graphError(await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret() }] })), expected);
        });

        it("limits the number of passwords with TooManyAppPasswords", async () => {
            const app = emu.tenant.addApplication();
            emu.faults.policy({ maxPasswordCredentials: 2 });
            await graph(emu, "POST", `/applications/${app.applicationId}/addPassword`, {});
            await graph(emu, "POST", `/applications/${app.applicationId}/addPassword`, {});
            const r = await graph(emu, "POST", `/applications/${app.applicationId}/addPassword`, { passwordCredential: { displayName: "mytest6" } });
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "TooManyAppPasswords", message: "Not allowed to add 3 passwords. You can only add a maximum of 2 passwords.", details: [{ target: "passwordCredentials", code: "TooManyAppPasswords" }] });
        });
    });

    describe("clock and request log", () => {
        it("sets, advances and freezes the clock, which drives default dates", async () => {
            emu.clock.freeze(new Date("2030-05-01T00:00:00Z"));
            emu.clock.advance(DAY);
            assert.equal(emu.clock.now().toISOString(), "2030-05-02T00:00:00.000Z");
            const sp = emu.tenant.addLegacyServicePrincipal();
            const r = obj((await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, {})).body);
            assert.equal(r.startDateTime, "2030-05-02T00:00:00Z");
        });

        it("logs method, path, operation and status of Graph requests", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            await graph(emu, "GET", `/servicePrincipals/${sp.id}`);
            await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [] });
            await graph(emu, "POST", `/applications/${randomUUID()}/addPassword`, {});
            await call(emu, "GET", "/_emulator/state");
            assert.deepEqual(emu.requests.map(({ method, path, operation, status }) => ({ method, path, operation, status })), [
                { method: "GET", path: `/v1.0/servicePrincipals/${sp.id}`, operation: "servicePrincipals.get", status: 200 },
                { method: "PATCH", path: `/v1.0/servicePrincipals/${sp.id}`, operation: "servicePrincipals.update", status: 204 },
                { method: "POST", path: emu.requests[2].path, operation: "applications.addPassword", status: 404 },
            ]);
        });
    });

    describe("admin endpoint", () => {
        it("seeds principals and credentials, sets faults and clock, shows state, and resets", async () => {
            const sp = obj((await call(emu, "POST", "/_emulator/servicePrincipals", { displayName: "via admin" })).body);
            const app = obj((await call(emu, "POST", "/_emulator/applications", {})).body);
            assert.deepEqual(Object.keys(app).sort(), ["appId", "applicationId", "servicePrincipalId"]);
            const key = newSecret();
            const seeded = await call(emu, "POST", `/_emulator/credentials/${String(sp.id)}`, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key }] });
            assert.equal(seeded.status, 201);
            const creds = obj((await call(emu, "GET", `/_emulator/credentials/${String(sp.id)}`)).body);
            assert.equal(obj(arr(creds.keyCredentials)[0]).key, key);

            await call(emu, "POST", "/_emulator/faults/throttle", { times: 1, retryAfterSeconds: 2, match: { operation: "servicePrincipals.get" } });
            const throttled = await graph(emu, "GET", `/servicePrincipals/${String(sp.id)}`);
            assert.deepEqual([throttled.status, throttled.headers.get("retry-after")], [429, "2"]);
            await call(emu, "POST", "/_emulator/faults/policy", { passwordLifetime: "P30D" });
            assert.equal(graphError(await graph(emu, "POST", `/servicePrincipals/${String(sp.id)}/addPassword`, {})).code, "CredentialInvalidLifetimeAsPerAppPolicy");
            await call(emu, "DELETE", "/_emulator/faults/policy");
            await call(emu, "POST", "/_emulator/faults/readAfterWriteLag", { reads: 1 });
            assert.equal(obj((await call(emu, "GET", "/_emulator/faults")).body).readAfterWriteLag, 1);

            const clock = obj((await call(emu, "POST", "/_emulator/clock", { set: "2031-01-01T00:00:00Z", freeze: true })).body);
            assert.deepEqual(clock, { now: "2031-01-01T00:00:00.000Z", frozen: true });
            assert.equal(obj((await call(emu, "POST", "/_emulator/clock", { advanceMs: DAY })).body).now, "2031-01-02T00:00:00.000Z");

            const state = obj((await call(emu, "GET", "/_emulator/state")).body);
            assert.equal(arr(state.objects).length, 3);
            assert.equal(arr((await call(emu, "GET", "/_emulator/requests")).body).length, 2, "admin calls are not logged");

            assert.equal((await call(emu, "POST", "/_emulator/reset")).status, 200);
            assert.deepEqual(obj((await call(emu, "GET", "/_emulator/state")).body).objects, []);
            assert.equal(emu.clock.frozen, false);
        });

        it("sets a bad body and a request hook that seeds another tool's entries", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            assert.equal((await call(emu, "POST", "/_emulator/faults/badBody", { status: 200, contentType: "text/html", body: "<html>sign in</html>", match: { method: "GET" } })).status, 200);
            const hook = await call(emu, "POST", "/_emulator/faults/onRequest", {
                when: "after", match: { method: "GET" },
                seedCredentials: { objectId: sp.id, keyCredentials: [{ type: "Symmetric", usage: "Verify", key: newSecret(), displayName: "other tool" }] },
            });
            assert.deepEqual(obj(hook.body).onRequest, [{ remaining: 1, when: "after", match: { method: "GET" } }]);
            assert.deepEqual(obj(hook.body).badBodies, [{ remaining: 1, status: 200, contentType: "text/html", bytes: 20, match: { method: "GET" } }]);
            const first = await fetch(`${emu.graphUrl}/servicePrincipals/${sp.id}`, { headers: { Authorization: `Bearer ${emu.token}` } });
            assert.equal(await first.text(), "<html>sign in</html>");
            assert.deepEqual(emu.tenant.credentials(sp.id).keyCredentials.map((k) => k.displayName), ["other tool"]);
            assert.deepEqual(emu.requests.map((r) => r.faults), [["badBody", "onRequest:after"]]);
        });

        it("answers 400 for a hook without seedCredentials or on an unknown object", async () => {
            const none = await call(emu, "POST", "/_emulator/faults/onRequest", { when: "before" });
            assert.equal(none.status, 400);
            assert.match(String(obj(obj(none.body).error).message), /onRequest needs seedCredentials: \{objectId, keyCredentials\?, passwordCredentials\?\}/);
            const unknown = await call(emu, "POST", "/_emulator/faults/onRequest", { seedCredentials: { objectId: randomUUID() } });
            assert.equal(unknown.status, 400);
            assert.deepEqual((emu.faults.snapshot() as { onRequest: unknown[] }).onRequest, []);
        });

        it("answers 400 with a message for a bad admin request", async () => {
            const r = await call(emu, "POST", "/_emulator/faults/nonsense", {});
            assert.equal(r.status, 400);
            assert.match(String(obj(obj(r.body).error).message), /unknown fault "nonsense"/);
        });
    });
});
