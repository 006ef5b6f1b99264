/**
 * Graph v1.0 behaviour of the emulator over real HTTP: reads, PATCH of credential collections,
 * credential actions, errors, authentication, and the lost-update hazard.
 */
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { Emulator, startEmulator } from "../../emulator";
import { arr, DAY, graph, graphError, loadCert, loadPfx, makeProof, newSecret, obj } from "./helpers";

describe("emulator Graph", () => {
    let emu: Emulator;
    before(async () => {
        emu = await startEmulator({ port: 0 });
    });
    after(async () => {
        await emu.close();
    });
    beforeEach(() => {
        emu.reset();
        emu.clock.freeze(new Date("2026-01-10T08:00:00Z"));
    });

    describe("reads", () => {
        it("serves a Legacy service principal by id, by appId and by $filter", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "Contoso add-in" });
            const byId = await graph(emu, "GET", `/servicePrincipals/${sp.id}`);
            assert.equal(byId.status, 200);
            const body = obj(byId.body);
            assert.equal(body["@odata.context"], `${emu.url}/v1.0/$metadata#servicePrincipals/$entity`);
            assert.equal(body.id, sp.id);
            assert.equal(body.appId, sp.appId);
            assert.equal(body.servicePrincipalType, "Legacy");
            assert.equal(body.displayName, "Contoso add-in");
            assert.deepEqual(body.keyCredentials, []);
            assert.deepEqual(body.passwordCredentials, []);

            const byAppId = await graph(emu, "GET", `/servicePrincipals(appId='${sp.appId}')`);
            assert.equal(byAppId.status, 200);
            assert.equal(obj(byAppId.body).id, sp.id);

            const list = await graph(emu, "GET", `/servicePrincipals?$filter=appId eq '${sp.appId}'`);
            assert.equal(list.status, 200);
            assert.equal(obj(list.body)["@odata.context"], `${emu.url}/v1.0/$metadata#servicePrincipals`);
            assert.deepEqual(arr(obj(list.body).value).map((v) => obj(v).id), [sp.id]);
        });

        it("serves an application and its app-backed service principal", async () => {
            const app = emu.tenant.addApplication();
            const a = await graph(emu, "GET", `/applications(appId='${app.appId}')`);
            assert.equal(a.status, 200);
            assert.equal(obj(a.body).id, app.applicationId);
            const sp = await graph(emu, "GET", `/servicePrincipals?$filter=appId eq '${app.appId}'&$select=id,servicePrincipalType`);
            assert.deepEqual(obj(sp.body).value, [{ id: app.servicePrincipalId, servicePrincipalType: "Application" }]);
            const list = await graph(emu, "GET", `/applications?$filter=appId eq '${randomUUID()}'`);
            assert.deepEqual(obj(list.body).value, []);
        });

        it("returns only the $select properties, with the projection in @odata.context", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const r = await graph(emu, "GET", `/servicePrincipals/${sp.id}?$select=id,appId,keyCredentials`);
            assert.deepEqual(r.body, {
                "@odata.context": `${emu.url}/v1.0/$metadata#servicePrincipals(id,appId,keyCredentials)/$entity`,
                id: sp.id, appId: sp.appId, keyCredentials: [],
            });
        });

        it("answers 400 for a $select of an unknown property", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const r = await graph(emu, "GET", `/servicePrincipals/${sp.id}?$select=id,nope`);
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "Request_BadRequest", message: "Could not find a property named 'nope' on type 'microsoft.graph.servicePrincipal'." });
        });

        it("answers 400 Request_UnsupportedQuery for a $filter on an unsupported property", async () => {
            const r = await graph(emu, "GET", `/servicePrincipals?$filter=notes eq 'x'`);
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "Request_UnsupportedQuery", message: "Unsupported or invalid query filter clause specified for property 'notes' of resource 'ServicePrincipal'." });
        });

        it("answers 404 Request_ResourceNotFound for an unknown id or appId", async () => {
            const id = randomUUID();
            const r = await graph(emu, "GET", `/servicePrincipals/${id}`);
            assert.equal(r.status, 404);
            assert.deepEqual(graphError(r), { code: "Request_ResourceNotFound", message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.` });
            const byAppId = await graph(emu, "GET", `/applications(appId='${id}')`);
            assert.equal(byAppId.status, 404);
            assert.equal(graphError(byAppId).code, "Request_ResourceNotFound");
        });

        it("answers 400 for an id that is not a GUID", async () => {
            const r = await graph(emu, "GET", "/servicePrincipals/not-a-guid");
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "Request_BadRequest", message: "Invalid object identifier 'not-a-guid'." });
        });
    });

    describe("authentication and error envelope", () => {
        it("answers 401 InvalidAuthenticationToken without a bearer token", async () => {
            const res = await fetch(`${emu.graphUrl}/servicePrincipals`);
            assert.equal(res.status, 401);
            const body = obj(await res.json() as never);
            assert.deepEqual(Object.keys(obj(body.error)), ["code", "message", "innerError"]);
            assert.equal(obj(body.error).code, "InvalidAuthenticationToken");
            assert.equal(obj(body.error).message, "Access token is empty.");
        });

        it("answers 401 for a token that is not the emulator's", async () => {
            const garbage = await graph(emu, "GET", "/servicePrincipals", undefined, { Authorization: "Bearer nonsense" });
            assert.equal(garbage.status, 401);
            assert.deepEqual(graphError(garbage), { code: "InvalidAuthenticationToken", message: "CompactToken parsing failed with error code: 80049217" });
            const otherJwt = await graph(emu, "GET", "/servicePrincipals", undefined, { Authorization: "Bearer a.b.c" });
            assert.deepEqual(graphError(otherJwt), { code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." });
        });

        it("echoes client-request-id in the header and innerError, with Graph's innerError date format", async () => {
            const clientRequestId = randomUUID();
            const r = await graph(emu, "GET", `/servicePrincipals/${randomUUID()}`, undefined, { "client-request-id": clientRequestId });
            assert.equal(r.headers.get("client-request-id"), clientRequestId);
            const inner = obj(obj(obj(r.body).error).innerError);
            assert.deepEqual(Object.keys(inner), ["date", "request-id", "client-request-id"]);
            assert.equal(inner["client-request-id"], clientRequestId);
            assert.equal(inner["request-id"], r.headers.get("request-id"));
            assert.equal(inner.date, "2026-01-10T08:00:00");
        });

        it("sends its clock's time as the Date header, as Graph sends its server time", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "Contoso add-in" });
            const ok = await graph(emu, "GET", `/servicePrincipals/${sp.id}`);
            assert.equal(ok.headers.get("date"), "Sat, 10 Jan 2026 08:00:00 GMT");
            emu.clock.advance(DAY);
            const missing = await graph(emu, "GET", `/servicePrincipals/${randomUUID()}`);
            assert.equal(missing.headers.get("date"), "Sun, 11 Jan 2026 08:00:00 GMT");
        });
    });

    describe("PATCH keyCredentials", () => {
        it("replaces the whole collection, keeps entries sent back with key null, and never returns key bytes", async () => {
            // GIVEN a principal with two symmetric keys
            const sp = emu.tenant.addLegacyServicePrincipal();
            const k1 = newSecret();
            const k2 = newSecret();
            const first = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, {
                keyCredentials: [
                    { type: "Symmetric", usage: "Sign", key: k1, startDateTime: "2026-01-10T08:00:00Z", endDateTime: "2027-01-10T08:00:00Z", displayName: "gen-1" },
                    { type: "Symmetric", usage: "Verify", key: k1, startDateTime: "2026-01-10T08:00:00Z", endDateTime: "2027-01-10T08:00:00Z", displayName: "gen-1" },
                ],
            });
            assert.equal(first.status, 204);
            assert.equal(first.body, null);
            const read = obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}?$select=keyCredentials`)).body);
            const keys = arr(read.keyCredentials).map(obj);
            assert.equal(keys.length, 2);
            assert.deepEqual(keys[0], {
                customKeyIdentifier: null, displayName: "gen-1", endDateTime: "2027-01-10T08:00:00Z", key: null,
                keyId: keys[0].keyId, startDateTime: "2026-01-10T08:00:00Z", type: "Symmetric", usage: "Sign",
            });

            // WHEN the Verify key is dropped, the Sign key is sent back as read (key null) and a new key is added
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, {
                keyCredentials: [keys[0], { type: "Symmetric", usage: "Sign", key: k2, startDateTime: "2026-01-10T08:00:00Z", endDateTime: "2027-01-10T08:00:00Z" }],
            });
            assert.equal(r.status, 204);

            // THEN the stored keys are exactly the kept one (same bytes) and the new one
            const stored = emu.tenant.credentials(sp.id).keyCredentials;
            assert.deepEqual(stored.map((k) => [k.keyId === keys[0].keyId, k.key]), [[true, k1], [false, k2]]);
            const again = arr(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).keyCredentials).map(obj);
            assert.deepEqual(again.map((k) => k.key), [null, null]);
        });

        it("records each key's creation time on the emulator clock", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.clock.set(new Date("2026-02-01T00:00:00Z"));
            await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret(), startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-01-01T00:00:00Z" }] });
            assert.equal(emu.tenant.credentials(sp.id).keyCredentials[0].createdDateTime, "2026-02-01T00:00:00Z");
        });

        const invalid: [string, object, number, string, string][] = [
            ["an unknown type", { type: "Password", usage: "Sign", key: "AAAA" }, 400, "Request_BadRequest", "Invalid value specified for property 'type' of resource 'KeyCredential'."],
            ["an unknown usage", { type: "Symmetric", usage: "Encrypt", key: "AAAA" }, 400, "Request_BadRequest", 'The value for the property "usage" in one of your credentials is invalid. Acceptable values are Sign, Verify.'],
            ["a key that is not base64", { type: "Symmetric", usage: "Sign", key: "abc8Q~not-base64" }, 400, "KeyCredentialsInvalidValue", "Key credential has an invalid value."],
            ["an end date before the start date", { type: "Symmetric", usage: "Sign", key: "AAAA", startDateTime: "2026-02-01T00:00:00Z", endDateTime: "2026-01-01T00:00:00Z" }, 400, "KeyCredentialsInvalidEndDate", "Key credential end date is invalid."],
            ["a certificate key that is not a certificate", { type: "AsymmetricX509Cert", usage: "Verify", key: "AAAA" }, 400, "KeyCredentialsInvalidValue", "Key credential has an invalid value."],
        ];
        for (const [what, entry, status, code, message] of invalid) {
            it(`rejects ${what} with ${status} ${code} and changes nothing`, async () => {
                const sp = emu.tenant.addLegacyServicePrincipal();
                emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret() }] });
                const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [entry] });
                assert.equal(r.status, status);
                assert.equal(graphError(r).code, code);
                assert.equal(graphError(r).message, message);
                assert.equal(emu.tenant.credentials(sp.id).keyCredentials.length, 1);
            });
        }

        it("details an invalid end date like Graph (InvalidKeyEndDate on keyCredentials.endDateTime)", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: "AAAA", startDateTime: "2026-02-01T00:00:00Z", endDateTime: "2026-02-01T00:00:00Z" }] });
            assert.deepEqual(graphError(r).details, [{ code: "InvalidKeyEndDate", message: "Key credential end date is invalid.", target: "keyCredentials.endDateTime" }]);
        });

        it("rejects a duplicate keyId", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const keyId = randomUUID();
            const entry = { keyId, type: "Symmetric", usage: "Sign", key: newSecret() };
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [entry, entry] });
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "Request_BadRequest", message: `Duplicate keyId '${keyId}' in the request; every credential needs a unique keyId.` });
        });

        it("rejects key null with an unknown keyId (nothing to keep)", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const keyId = randomUUID();
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ keyId, type: "Symmetric", usage: "Sign", key: null }] });
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "KeyCredentialsInvalidValue", message: `Key credential with keyId '${keyId}' has an invalid value.` });
        });

        it("refuses to change a stored entry in place (same keyId, other dates)", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const [keyId] = emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret(), endDateTime: "2027-01-01T00:00:00Z" }] }).keyCredentials;
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ keyId, type: "Symmetric", usage: "Sign", key: null, endDateTime: "2030-01-01T00:00:00Z" }] });
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "Request_BadRequest", message: `Update to existing credential with KeyId '${keyId}' is not allowed.` });
        });

        it("takes a certificate's dates and thumbprint from the certificate and refuses an end date past its expiry", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const cert = loadCert("a");
            assert.equal((await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: cert.der }] })).status, 204);
            const [k] = emu.tenant.credentials(sp.id).keyCredentials;
            assert.equal(k.customKeyIdentifier, cert.thumbprint);
            assert.equal(new Date(k.endDateTime).getTime(), cert.notAfter.getTime());
            const late = new Date(cert.notAfter.getTime() + DAY).toISOString();
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: cert.der, endDateTime: late }] });
            assert.equal(graphError(r).code, "KeyCredentialsInvalidEndDate");
        });

        it("writes keys on an application object the same way", async () => {
            const app = emu.tenant.addApplication();
            const key = newSecret();
            const r = await graph(emu, "PATCH", `/applications/${app.applicationId}`, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key }] });
            assert.equal(r.status, 204);
            assert.equal(emu.tenant.credentials(app.applicationId).keyCredentials[0].key, key);
            assert.deepEqual(emu.tenant.credentials(app.servicePrincipalId).keyCredentials, []);
        });

        it("has no concurrency control: two interleaved read-merge-write clients lose an update", async () => {
            // GIVEN a principal with one key, and two clients that each want to add a key
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: newSecret() }] });
            const readKeys = async (): Promise<object[]> => arr(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}?$select=keyCredentials`)).body).keyCredentials).map(obj);
            const keyA = newSecret();
            const keyB = newSecret();

            // WHEN both read, then A writes (existing + A), then B writes (existing + B)
            const seenByA = await readKeys();
            const seenByB = await readKeys();
            const a = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [...seenByA, { type: "Symmetric", usage: "Sign", key: keyA }] });
            // If-Match is ignored: Graph has no ETags on these objects.
            const b = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [...seenByB, { type: "Symmetric", usage: "Sign", key: keyB }] }, { "If-Match": 'W/"stale"' });

            // THEN both writes succeed and A's key is silently gone
            assert.deepEqual([a.status, b.status], [204, 204]);
            const stored = emu.tenant.credentials(sp.id).keyCredentials.map((k) => k.key);
            assert.equal(stored.length, 2);
            assert.ok(stored.includes(keyB));
            assert.ok(!stored.includes(keyA));
        });
    });

    describe("PATCH other properties", () => {
        it("updates a writable property (204) and refuses read-only and unknown ones", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            assert.equal((await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { appRoleAssignmentRequired: true })).status, 204);
            assert.equal(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).appRoleAssignmentRequired, true);
            const ro = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { appId: randomUUID() });
            assert.deepEqual(graphError(ro), { code: "Request_BadRequest", message: "Property 'appId' is read-only and cannot be set." });
            const unknown = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { colour: "blue" });
            assert.equal(unknown.status, 400);
            assert.equal(graphError(unknown).code, "BadRequest");
        });
    });

    describe("PATCH passwordCredentials", () => {
        it("rejects a new password with 400 Request_BadRequest, exactly as Graph", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { passwordCredentials: [{ secretText: "chosen-by-me", displayName: "x" }] });
            assert.equal(r.status, 400);
            const body = obj(r.body);
            assert.deepEqual(Object.keys(obj(body.error)), ["code", "message", "innerError"]);
            assert.deepEqual(graphError(r), { code: "Request_BadRequest", message: "New password credentials must be generated using service actions." });
            assert.deepEqual(emu.tenant.credentials(sp.id).passwordCredentials, []);
        });

        it("keeps stored passwords sent back by keyId without secretText", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            emu.tenant.seedCredentials(sp.id, { passwordCredentials: [{ displayName: "p" }] });
            const read = obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body);
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, { passwordCredentials: read.passwordCredentials });
            assert.equal(r.status, 204);
            assert.equal(emu.tenant.credentials(sp.id).passwordCredentials.length, 1);
        });

        it("accepts the password of an X509CertAndPassword key sent with it (SAML signing flow)", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const keyId = randomUUID();
            const r = await graph(emu, "PATCH", `/servicePrincipals/${sp.id}`, {
                keyCredentials: [{ keyId, type: "X509CertAndPassword", usage: "Sign", key: loadPfx(), startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-01-01T00:00:00Z" }],
                passwordCredentials: [{ keyId, secretText: "emulator-test" }],
            });
            assert.equal(r.status, 204);
            assert.equal(emu.tenant.credentials(sp.id).passwordCredentials[0].keyId, keyId);
        });
    });

    describe("addPassword / removePassword", () => {
        it("generates secretText, hint, keyId with default dates now .. now + 2 years", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const r = await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, { passwordCredential: { displayName: "gen-1" } });
            assert.equal(r.status, 200);
            const body = obj(r.body);
            assert.deepEqual(Object.keys(body).sort(), ["@odata.context", "customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId", "secretText", "startDateTime"]);
            const secret = String(body.secretText);
            assert.match(secret, /^[A-Za-z0-9~._-]{16,64}$/);
            assert.ok(secret.includes("~"), "Entra secrets contain ~, so they are not base64");
            assert.equal(body.hint, secret.slice(0, 3));
            assert.equal(body.customKeyIdentifier, null);
            assert.equal(body.displayName, "gen-1");
            assert.equal(body.startDateTime, "2026-01-10T08:00:00Z");
            assert.equal(body.endDateTime, "2028-01-10T08:00:00Z");
            // Never readable again.
            const read = arr(obj((await graph(emu, "GET", `/servicePrincipals/${sp.id}`)).body).passwordCredentials).map(obj);
            assert.deepEqual(read, [{ customKeyIdentifier: null, displayName: "gen-1", endDateTime: "2028-01-10T08:00:00Z", hint: body.hint, keyId: body.keyId, secretText: null, startDateTime: "2026-01-10T08:00:00Z" }]);
            assert.equal(emu.tenant.credentials(sp.id).passwordCredentials[0].secretText, secret);
        });

        it("uses the given dates and works on applications addressed by appId", async () => {
            const app = emu.tenant.addApplication();
            const r = await graph(emu, "POST", `/applications(appId='${app.appId}')/addPassword`, { passwordCredential: { displayName: "x", startDateTime: "2026-02-01T00:00:00Z", endDateTime: "2026-08-01T00:00:00Z" } });
            assert.equal(r.status, 200);
            assert.equal(obj(r.body).endDateTime, "2026-08-01T00:00:00Z");
            assert.equal(emu.tenant.credentials(app.applicationId).passwordCredentials.length, 1);
        });

        it("removePassword deletes one password (204) and answers 400 for a keyId that is not there", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const added = obj((await graph(emu, "POST", `/servicePrincipals/${sp.id}/addPassword`, {})).body);
            const r = await graph(emu, "POST", `/servicePrincipals/${sp.id}/removePassword`, { keyId: added.keyId });
            assert.equal(r.status, 204);
            assert.equal(r.body, null);
            assert.deepEqual(emu.tenant.credentials(sp.id).passwordCredentials, []);
            const again = await graph(emu, "POST", `/servicePrincipals/${sp.id}/removePassword`, { keyId: added.keyId });
            assert.equal(again.status, 400);
            assert.deepEqual(graphError(again), { code: "Request_BadRequest", message: `No password credential found with keyId '${String(added.keyId)}'.` });
        });

        it("answers 404 for actions on an unknown object", async () => {
            const id = randomUUID();
            const r = await graph(emu, "POST", `/servicePrincipals/${id}/addPassword`, {});
            assert.equal(r.status, 404);
            assert.equal(graphError(r).code, "Request_ResourceNotFound");
        });
    });

    describe("addKey / removeKey", () => {
        it("refuses a Symmetric key", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const r = await graph(emu, "POST", `/servicePrincipals/${sp.id}/addKey`, { keyCredential: { type: "Symmetric", usage: "Sign", key: newSecret() }, passwordCredential: null, proof: "eyJ0eXAiOiJ..." });
            assert.equal(r.status, 400);
            assert.deepEqual(graphError(r), { code: "Request_BadRequest", message: "Key credential type 'Symmetric' with usage 'Sign' is not supported by addKey; use AsymmetricX509Cert with Verify or X509CertAndPassword with Sign." });
        });

        it("requires a valid proof of possession (403 without one)", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const certB = loadCert("b");
            const r = await graph(emu, "POST", `/servicePrincipals/${sp.id}/addKey`, { keyCredential: { type: "AsymmetricX509Cert", usage: "Verify", key: certB.der }, passwordCredential: null, proof: "eyJ0eXAiOiJ..." });
            assert.equal(r.status, 403);
            assert.deepEqual(graphError(r), { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
        });

        it("adds and removes a certificate with a proof signed by an existing certificate", async () => {
            // GIVEN a principal with certificate A
            emu.clock.unfreeze();
            emu.clock.reset();
            const sp = emu.tenant.addLegacyServicePrincipal();
            const certA = loadCert("a");
            const certB = loadCert("b");
            emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: certA.der, endDateTime: certA.notAfter.toISOString() }] });
            // WHEN B is added with a proof signed by A
            const add = await graph(emu, "POST", `/servicePrincipals/${sp.id}/addKey`, { keyCredential: { type: "AsymmetricX509Cert", usage: "Verify", key: certB.der, displayName: "CN=b" }, passwordCredential: null, proof: await makeProof(sp.id, certA, emu.clock.now()) });
            // THEN it is stored and returned without key bytes
            assert.equal(add.status, 200);
            const body = obj(add.body);
            assert.equal(body["@odata.context"], `${emu.url}/v1.0/$metadata#microsoft.graph.keyCredential`);
            assert.equal(body.key, null);
            assert.equal(body.type, "AsymmetricX509Cert");
            assert.equal(body.customKeyIdentifier, certB.thumbprint);
            // AND removeKey takes it away again
            const remove = await graph(emu, "POST", `/servicePrincipals/${sp.id}/removeKey`, { keyId: body.keyId, proof: await makeProof(sp.id, certA, emu.clock.now()) });
            assert.equal(remove.status, 204);
            assert.equal(emu.tenant.credentials(sp.id).keyCredentials.length, 1);
            // A proof for another object is refused.
            const wrongIssuer = await graph(emu, "POST", `/servicePrincipals/${sp.id}/removeKey`, { keyId: body.keyId, proof: await makeProof(randomUUID(), certA, emu.clock.now()) });
            assert.equal(wrongIssuer.status, 403);
        });
    });
});
