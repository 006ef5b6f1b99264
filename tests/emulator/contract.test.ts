/**
 * Contract tests: every example in tests/fixtures/graph-examples.json that concerns the emulated
 * endpoints is replayed against the emulator, with real ids for placeholders and the objects it
 * needs seeded; status and body shape (keys and JSON value types) are compared. Generated values
 * (ids, dates, secrets) differ by nature and are not compared, except where an example's values
 * are the point (error codes and messages).
 *
 * Deliberate differences, per example:
 * - All response bodies marked `response_truncated_in_source` are compared as a subset: every key
 *   of the example must be in the emulator's body with the same type; the emulator may have more.
 * - A `null` on either side matches any type: these properties are nullable and the examples'
 *   values come from different tenants (e.g. `servicePrincipalType: null` in the docs' example,
 *   "Legacy" for an ACS principal here; `publisherName` set there, null here).
 * - Requests marked `request_values_truncated_in_source` have elided key material
 *   ("MIIKIAIBAz.....HBgU", "base64MIIDAD...") that is not valid base64; the emulator validates
 *   keys as Graph does, so real test certificates (tests/fixtures/certs) are substituted, and
 *   the placeholder proof "eyJ0eXAiOiJ..." is replaced by a real proof-of-possession JWT.
 * - get_serviceprincipal_select: its `@odata.context` comes from the beta docs
 *   (`.../beta/$metadata#servicePrincipals(id,appId,displayName,appRoles,publishedPermissionScopes)`);
 *   only its type (string) is compared. The emulator answers with the v1.0 context of the request.
 * - generic_error_response has no request (method and path null): it is used as the shape every
 *   emulator error body must have, checked against a 404.
 * - observed_* bodies: `innerError` here always carries `client-request-id` (current Graph does;
 *   the 2020 report predates it), so innerError is compared as a subset; `error` keys exactly.
 * - observed_addpassword_policy_lifetime_violation: its policy id is redacted inconsistently
 *   ('aaaaaaa' in message, 'aaaaaa' in details); the policy is named 'aaaaaaa' here and the
 *   details message compared up to the id. Its request body is null in the report; `{}` is sent.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Emulator, startEmulator } from "../../emulator";
import { graph, Json, loadCert, loadPfx, makeProof, obj, Reply } from "./helpers";

interface Example {
    readonly id: string;
    readonly method: string | null;
    readonly path: string | null;
    readonly request_body: Json;
    readonly response_status: number | null;
    readonly response_body: Json;
    readonly response_truncated_in_source?: boolean;
}

const fixture = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "graph-examples.json"), "utf8")) as { examples: Example[] };

/** Fails unless `actual` has every key of `expected` with a compatible type (exact key sets when `exact`). */
function assertShape(expected: Json, actual: Json, at: string, exact: boolean): void {
    if (expected === null || actual === null) {
        return;
    }
    const kind = (v: Json): string => (Array.isArray(v) ? "array" : typeof v);
    assert.equal(kind(actual), kind(expected), `${at}: expected ${kind(expected)}, got ${kind(actual)}`);
    if (Array.isArray(expected) && Array.isArray(actual)) {
        if (expected.length > 0 && actual.length > 0) {
            assertShape(expected[0], actual[0], `${at}[0]`, exact);
        }
        return;
    }
    if (typeof expected === "object" && typeof actual === "object" && !Array.isArray(expected) && !Array.isArray(actual)) {
        for (const key of Object.keys(expected)) {
            assert.ok(key in actual, `${at}.${key} missing; emulator has ${Object.keys(actual).join(", ")}`);
            assertShape(expected[key], actual[key], `${at}.${key}`, exact);
        }
        if (exact) {
            assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${at}: key sets differ`);
        }
    }
}

function example(id: string): Example {
    const found = fixture.examples.find((e) => e.id === id);
    assert.ok(found !== undefined, `fixture has no example ${id}`);
    return found;
}

/** The example's path with the object id (placeholder or documentation GUID) replaced. */
function realPath(e: Example, objectId: string): string {
    const path = String(e.path).replace(/^\/v1\.0/, "");
    return path.replace(/^\/(servicePrincipals|applications)\/(\{id\}|[0-9a-fA-F-]{36})/, `/$1/${objectId}`);
}

function clone(value: Json): Json {
    return JSON.parse(JSON.stringify(value)) as Json;
}

/** Checks an error reply against an example: status, `error` keys exactly, code and message, innerError as a subset. */
function assertErrorMatches(e: Example, reply: Reply): void {
    assert.equal(reply.status, e.response_status, JSON.stringify(reply.body));
    const want = obj(obj(e.response_body).error);
    const got = obj(obj(reply.body).error);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
    assert.equal(got.code, want.code);
    assertShape(want.innerError, got.innerError, "error.innerError", false);
}

describe("emulator contract: tests/fixtures/graph-examples.json", () => {
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

    const replayed = new Set<string>();
    function replay(id: string, body: (e: Example) => Promise<void>): void {
        replayed.add(id);
        it(`${id}: matches status and body shape`, async () => body(example(id)));
    }

    replay("get_serviceprincipal", async (e) => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const r = await graph(emu, "GET", realPath(e, sp.id));
        assert.equal(r.status, e.response_status);
        assertShape(e.response_body, r.body, "body", false);
    });

    replay("get_serviceprincipal_select", async (e) => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const r = await graph(emu, "GET", realPath(e, sp.id));
        assert.equal(r.status, e.response_status);
        assertShape(e.response_body, r.body, "body", false);
        // Exactly the selected properties, plus the context.
        assert.deepEqual(Object.keys(obj(r.body)), ["@odata.context", "id", "appId", "displayName", "appRoles", "oauth2PermissionScopes", "resourceSpecificApplicationPermissions"]);
    });

    replay("list_serviceprincipal", async (e) => {
        emu.tenant.addLegacyServicePrincipal();
        const r = await graph(emu, "GET", realPath(e, ""));
        assert.equal(r.status, e.response_status);
        assertShape(e.response_body, r.body, "body", false);
    });

    replay("update_serviceprincipal", async (e) => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const r = await graph(emu, "PATCH", realPath(e, sp.id), e.request_body);
        assert.equal(r.status, e.response_status);
        assert.equal(r.body, e.response_body);
    });

    replay("update_serviceprincipal_keycredentials_saml_signing", async (e) => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const body = obj(clone(e.request_body));
        for (const k of body.keyCredentials as { [key: string]: Json }[]) {
            k.key = k.type === "X509CertAndPassword" ? loadPfx() : loadCert("a").der;
        }
        const r = await graph(emu, "PATCH", realPath(e, sp.id), body);
        assert.equal(r.status, e.response_status, JSON.stringify(r.body));
        assert.equal(r.body, e.response_body);
        const stored = emu.tenant.credentials(sp.id);
        assert.deepEqual([stored.keyCredentials.length, stored.passwordCredentials.length], [2, 1]);
    });

    replay("applications_howto_add_certificate_replace", async (e) => {
        const app = emu.tenant.addApplication();
        emu.tenant.seedCredentials(app.applicationId, { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: loadCert("b").der }] });
        const body = obj(clone(e.request_body));
        (body.keyCredentials as { [key: string]: Json }[])[0].key = loadCert("a").der;
        const r = await graph(emu, "PATCH", realPath(e, app.applicationId), body);
        assert.equal(r.status, e.response_status, JSON.stringify(r.body));
        // semantics: collection-replace (the seeded certificate is gone).
        assert.deepEqual(emu.tenant.credentials(app.applicationId).keyCredentials.map((k) => k.displayName), ["CN=20230112"]);
    });

    replay("applications_howto_append_certificate", async (e) => {
        const app = emu.tenant.addApplication();
        const body = obj(clone(e.request_body));
        const [added, existing] = body.keyCredentials as { [key: string]: Json }[];
        added.key = loadCert("a").der;
        existing.key = loadCert("b").der;
        emu.tenant.seedCredentials(app.applicationId, { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: loadCert("b").der, displayName: "CN=20230113" }] });
        const r = await graph(emu, "PATCH", realPath(e, app.applicationId), body);
        assert.equal(r.status, e.response_status, JSON.stringify(r.body));
        // semantics: collection-replace-including-existing (both certificates present afterwards).
        assert.deepEqual(emu.tenant.credentials(app.applicationId).keyCredentials.map((k) => k.displayName), ["CN=20230114", "CN=20230113"]);
    });

    for (const [id, set] of [["serviceprincipal_addpassword", "servicePrincipals"], ["application_addpassword", "applications"]] as const) {
        replay(id, async (e) => {
            const app = emu.tenant.addApplication();
            const objectId = set === "applications" ? app.applicationId : app.servicePrincipalId;
            const r = await graph(emu, "POST", realPath(e, objectId), e.request_body);
            assert.equal(r.status, e.response_status);
            assertShape(e.response_body, r.body, "body", false);
            assert.equal(obj(r.body).displayName, "Password friendly name");
            assert.equal(obj(r.body).hint, String(obj(r.body).secretText).slice(0, 3));
        });
    }

    replay("serviceprincipal_removepassword", async (e) => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        emu.tenant.seedCredentials(sp.id, { passwordCredentials: [{ keyId: String(obj(e.request_body).keyId) }] });
        const r = await graph(emu, "POST", realPath(e, sp.id), e.request_body);
        assert.equal(r.status, e.response_status);
        assert.equal(r.body, e.response_body);
    });

    for (const id of ["serviceprincipal_addkey_1", "serviceprincipal_addkey_2"]) {
        replay(id, async (e) => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const certA = loadCert("a");
            emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: certA.der, endDateTime: certA.notAfter.toISOString() }] });
            const body = obj(clone(e.request_body));
            const kc = obj(body.keyCredential);
            kc.key = kc.type === "X509CertAndPassword" ? loadPfx() : loadCert("b").der;
            body.proof = await makeProof(sp.id, certA, emu.clock.now());
            const r = await graph(emu, "POST", realPath(e, sp.id), body);
            assert.equal(r.status, e.response_status, JSON.stringify(r.body));
            assertShape(e.response_body, r.body, "body", false);
            assert.equal(obj(r.body).type, kc.type);
        });
    }

    replay("serviceprincipal_removekey", async (e) => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const certA = loadCert("a");
        emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [
                { type: "AsymmetricX509Cert", usage: "Verify", key: certA.der, endDateTime: certA.notAfter.toISOString() },
                { type: "AsymmetricX509Cert", usage: "Verify", key: loadCert("b").der, keyId: String(obj(e.request_body).keyId) },
            ],
        });
        const body = { ...obj(clone(e.request_body)), proof: await makeProof(sp.id, certA, emu.clock.now()) };
        const r = await graph(emu, "POST", realPath(e, sp.id), body);
        assert.equal(r.status, e.response_status, JSON.stringify(r.body));
        assert.equal(r.body, e.response_body);
        assert.equal(emu.tenant.credentials(sp.id).keyCredentials.length, 1);
    });

    replay("generic_error_response", async (e) => {
        const r = await graph(emu, "GET", "/servicePrincipals/00000000-0000-0000-0000-000000000001");
        assertShape(e.response_body, r.body, "body", false);
        assert.deepEqual(Object.keys(obj(obj(r.body).error)), ["code", "message", "innerError"]);
    });

    replay("observed_patch_passwordcredentials_rejected", async (e) => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const body = obj(clone(e.request_body));
        for (const k of body.keyCredentials as { [key: string]: Json }[]) {
            k.key = loadCert("a").der;
        }
        const r = await graph(emu, "PATCH", realPath(e, sp.id), body);
        assertErrorMatches(e, r);
        assert.equal(obj(obj(r.body).error).message, obj(obj(e.response_body).error).message);
        assert.deepEqual(emu.tenant.credentials(sp.id).keyCredentials, [], "nothing was written");
    });

    replay("observed_addpassword_policy_lifetime_violation", async (e) => {
        const app = emu.tenant.addApplication();
        emu.faults.policy({ id: "aaaaaaa", passwordLifetime: "P180D" });
        const r = await graph(emu, "POST", realPath(e, app.applicationId), {});
        assertErrorMatches(e, r);
        const want = obj(obj(e.response_body).error);
        const got = obj(obj(r.body).error);
        assert.equal(got.message, want.message);
        const [wantDetail] = want.details as { [key: string]: Json }[];
        const [gotDetail] = got.details as { [key: string]: Json }[];
        assert.deepEqual(Object.keys(gotDetail), Object.keys(wantDetail));
        assert.deepEqual([gotDetail.code, gotDetail.target], [wantDetail.code, wantDetail.target]);
        assert.equal(String(gotDetail.message).replace(/'[^']*'/, "'<policy>'"), String(wantDetail.message).replace(/'[^']*'/, "'<policy>'"));
    });

    replay("observed_addpassword_too_many_passwords", async (e) => {
        const app = emu.tenant.addApplication();
        emu.tenant.seedCredentials(app.applicationId, { passwordCredentials: [{}, {}] });
        emu.faults.policy({ maxPasswordCredentials: 2 });
        const r = await graph(emu, "POST", realPath(e, app.applicationId), e.request_body);
        assertErrorMatches(e, r);
        const want = obj(obj(e.response_body).error);
        const got = obj(obj(r.body).error);
        assert.deepEqual([got.message, got.details], [want.message, want.details]);
    });

    it("replays every example in the fixture (none skipped silently)", () => {
        assert.deepEqual(fixture.examples.map((e) => e.id).filter((id) => !replayed.has(id)), []);
        assert.equal(fixture.examples.length, 17);
    });
});
