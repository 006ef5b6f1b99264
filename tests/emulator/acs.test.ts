/**
 * The ACS and TokenHelper models (docs/FACTS.md §3): which key ACS signs with, propagation delay,
 * lingering keys, ClientSecret/SecondaryClientSecret fallback, strict base64, the HTTP token endpoint.
 */
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { AcsError, Emulator, SHAREPOINT_PRINCIPAL, startEmulator } from "../../emulator";
import { call, DAY, graph, HOUR, newSecret, obj } from "./helpers";

const T0 = new Date("2026-03-01T00:00:00Z");

describe("emulator ACS and TokenHelper", () => {
    let emu: Emulator;
    before(async () => {
        emu = await startEmulator({ port: 0 });
    });
    after(async () => {
        await emu.close();
    });
    beforeEach(() => {
        emu.reset();
        emu.clock.freeze(T0);
    });

    /** Adds a Sign+Verify pair over Graph (as the project does), created at the current emulator time. */
    async function addPair(objectPath: string, secret: string, start: string, end: string): Promise<void> {
        const current = obj((await graph(emu, "GET", `${objectPath}?$select=keyCredentials`)).body).keyCredentials as object[];
        const entry = (usage: string): object => ({ type: "Symmetric", usage, key: secret, startDateTime: start, endDateTime: end });
        const r = await graph(emu, "PATCH", objectPath, { keyCredentials: [...current, entry("Sign"), entry("Verify")] });
        assert.equal(r.status, 204);
    }

    it("signs context tokens HS256 with the active key, with SharePoint's claims on the emulator clock", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const secret = newSecret();
        emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: secret, startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-01-01T00:00:00Z" }] });
        const token = await emu.acs.issueContextToken(sp.appId);
        assert.deepEqual(decodeProtectedHeader(token), { typ: "JWT", alg: "HS256" });
        const claims = decodeJwt(token);
        assert.equal(claims.iss, `${SHAREPOINT_PRINCIPAL}@${emu.tenantId}`);
        assert.equal(claims.aud, `${sp.appId}/addin.contoso.com@${emu.tenantId}`);
        assert.equal(claims.nbf, T0.getTime() / 1000);
        assert.equal(claims.exp, T0.getTime() / 1000 + 12 * 3600);
        const v = await emu.tokenHelper.validateContextToken(token, sp.appId, { clientSecret: secret });
        assert.deepEqual(v, { valid: true, validatedWith: "ClientSecret", reason: null });
        emu.clock.advance(13 * HOUR);
        const late = await emu.tokenHelper.validateContextToken(token, sp.appId, { clientSecret: secret });
        assert.equal(late.valid, false);
    });

    it("fails clearly when no key is active", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        await assert.rejects(emu.acs.issueContextToken(sp.appId), (err: unknown) => err instanceof AcsError && err.reason === "no-symmetric-sign-key");
        await assert.rejects(emu.acs.issueContextToken(randomUUID()), (err: unknown) => err instanceof AcsError && err.reason === "unknown-client");
    });

    it("does not accept a new key before its propagation delay has passed", async () => {
        // GIVEN a principal whose only key pair is added now
        const sp = emu.tenant.addLegacyServicePrincipal();
        const secret = newSecret();
        await addPair(`/servicePrincipals/${sp.id}`, secret, "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z");
        // WHEN checked 23 hours later THEN nothing works yet
        emu.clock.advance(23 * HOUR);
        const early = await emu.checkAddIn(sp.appId, { clientSecret: secret });
        assert.deepEqual([early.contextTokenValid, early.accessTokenOk, emu.acs.whyNoActiveKey(sp.appId)], [false, false, "not-yet-propagated"]);
        assert.match(String(early.reason), /no active signing key \(not-yet-propagated\)/);
        // WHEN 24 hours have passed THEN it works
        emu.clock.advance(HOUR);
        const ready = await emu.checkAddIn(sp.appId, { clientSecret: secret });
        assert.deepEqual(ready, { contextTokenValid: true, accessTokenOk: true, usedSecondary: false, contextTokenValidatedWith: "ClientSecret", activeKeyId: ready.activeKeyId, reason: null });
    });

    it("honours a configured propagation delay", async () => {
        const local = await startEmulator({ port: 0, propagationDelayMs: HOUR });
        try {
            local.clock.freeze(T0);
            const sp = local.tenant.addLegacyServicePrincipal();
            const secret = newSecret();
            await graph(local, "PATCH", `/servicePrincipals/${sp.id}`, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: secret, startDateTime: "2026-03-01T00:00:00Z", endDateTime: "2027-03-01T00:00:00Z" }] });
            local.clock.advance(HOUR);
            assert.equal((await local.checkAddIn(sp.appId, { clientSecret: secret })).accessTokenOk, true);
        } finally {
            await local.close();
        }
    });

    it("keeps signing with the oldest valid key until it expires, then moves to the next", async () => {
        // GIVEN an old pair valid until April and a new pair added today, both propagated
        const sp = emu.tenant.addLegacyServicePrincipal();
        const oldSecret = newSecret();
        const newSecretValue = newSecret();
        emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: oldSecret, startDateTime: "2025-04-01T00:00:00Z", endDateTime: "2026-04-01T00:00:00Z" }] });
        await addPair(`/servicePrincipals/${sp.id}`, newSecretValue, "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z");
        emu.clock.advance(2 * DAY);
        // THEN the old key signs, and the web app needs the old one in SecondaryClientSecret
        assert.equal(emu.acs.activeSigningKey(sp.appId)?.keyBytes.toString("base64"), oldSecret);
        const both = await emu.checkAddIn(sp.appId, { clientSecret: newSecretValue, secondaryClientSecret: oldSecret });
        assert.deepEqual([both.contextTokenValid, both.contextTokenValidatedWith, both.accessTokenOk, both.usedSecondary], [true, "SecondaryClientSecret", true, true]);
        const newOnly = await emu.checkAddIn(sp.appId, { clientSecret: newSecretValue });
        assert.deepEqual([newOnly.contextTokenValid, newOnly.accessTokenOk], [false, false]);
        // WHEN the old key expires THEN the new key signs
        emu.clock.set(new Date("2026-04-01T00:00:00Z"));
        assert.equal(emu.acs.activeSigningKey(sp.appId)?.keyBytes.toString("base64"), newSecretValue);
        const after = await emu.checkAddIn(sp.appId, { clientSecret: newSecretValue, secondaryClientSecret: oldSecret });
        assert.deepEqual([after.contextTokenValid, after.contextTokenValidatedWith, after.usedSecondary], [true, "ClientSecret", false]);
    });

    it("breaks the app when a lingering older key it does not hold is still valid", async () => {
        // GIVEN the app's secret and an older, still valid Sign key nobody configured (the failure of the 2017 support article)
        const sp = emu.tenant.addLegacyServicePrincipal();
        const appSecret = newSecret();
        const lingering = newSecret();
        emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [
                { type: "Symmetric", usage: "Sign", key: appSecret, startDateTime: "2026-01-01T00:00:00Z", endDateTime: "2027-01-01T00:00:00Z" },
                { type: "Symmetric", usage: "Sign", key: lingering, startDateTime: "2025-06-01T00:00:00Z", endDateTime: "2026-06-01T00:00:00Z" },
            ],
        });
        // WHEN SharePoint launches the add-in THEN the token is signed with the lingering key and fails validation
        const check = await emu.checkAddIn(sp.appId, { clientSecret: appSecret });
        assert.equal(check.contextTokenValid, false);
        assert.equal(check.accessTokenOk, false);
        assert.match(String(check.reason), /Invalid issuer or signature: signature does not match ClientSecret/);
        // AND an expired lingering key is harmless
        emu.clock.set(new Date("2026-06-01T00:00:00Z"));
        assert.equal((await emu.checkAddIn(sp.appId, { clientSecret: appSecret })).contextTokenValid, true);
    });

    it("breaks ties on equal start dates by earliest creation", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        const first = newSecret();
        const second = newSecret();
        emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: second, startDateTime: "2026-01-01T00:00:00Z", createdDateTime: "2026-01-02T00:00:00Z" }] });
        emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: first, startDateTime: "2026-01-01T00:00:00Z", createdDateTime: "2026-01-01T00:00:00Z" }] });
        assert.equal(emu.acs.activeSigningKey(sp.appId)?.keyBytes.toString("base64"), first);
    });

    it("treats a ClientSecret that is not base64 as unusable (raw Entra secret), and base64(UTF-8(secretText)) as Microsoft's rotation article does", async () => {
        // GIVEN an app-backed add-in set up the way Microsoft's rotation article does: addPassword, then Sign/Verify keys of UTF-8(secretText)
        const app = emu.tenant.addApplication();
        const added = obj((await graph(emu, "POST", `/applications/${app.applicationId}/addPassword`, { passwordCredential: { displayName: "spdd" } })).body);
        const secretText = String(added.secretText);
        const keyBase64 = Buffer.from(secretText, "utf8").toString("base64");
        await addPair(`/applications/${app.applicationId}`, keyBase64, "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z");
        emu.clock.advance(DAY);
        // WHEN the raw secret is configured THEN TokenHelper cannot use it
        const raw = await emu.checkAddIn(app.appId, { clientSecret: secretText });
        assert.deepEqual([raw.contextTokenValid, raw.accessTokenOk], [false, false]);
        assert.match(String(raw.reason), /ClientSecret is not base64/);
        // WHEN base64(UTF-8(secretText)) is configured THEN it works
        assert.equal((await emu.checkAddIn(app.appId, { clientSecret: keyBase64 })).reason, null);
    });

    it("uses the application's keys for an app-backed principal, not the service principal's", async () => {
        const app = emu.tenant.addApplication();
        const onSp = newSecret();
        emu.tenant.seedCredentials(app.servicePrincipalId, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: onSp, startDateTime: "2026-01-01T00:00:00Z" }] });
        assert.equal(emu.acs.activeSigningKey(app.appId), null);
        const onApp = newSecret();
        emu.tenant.seedCredentials(app.applicationId, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: onApp, startDateTime: "2026-01-01T00:00:00Z" }] });
        assert.equal(emu.acs.activeSigningKey(app.appId)?.objectId, app.applicationId);
    });

    it("ignores Verify keys and password credentials when choosing the signing key", async () => {
        const sp = emu.tenant.addLegacyServicePrincipal();
        emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Verify", key: newSecret(), startDateTime: "2026-01-01T00:00:00Z" }], passwordCredentials: [{ startDateTime: "2026-01-01T00:00:00Z" }] });
        assert.equal(emu.acs.whyNoActiveKey(sp.appId), "no-symmetric-sign-key");
    });

    describe("token endpoint over HTTP", () => {
        async function token(realm: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
            const res = await fetch(`${emu.url}/acs/${realm}/tokens/OAuth/2`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() });
            return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        }

        it("issues an access token for the active key's secret and refuses others with invalid_client", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            const secret = newSecret();
            emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: secret, startDateTime: "2026-01-01T00:00:00Z" }] });
            const resource = `${SHAREPOINT_PRINCIPAL}/contoso.sharepoint.com@${emu.tenantId}`;
            const good = await token(emu.tenantId, { grant_type: "client_credentials", client_id: `${sp.appId}@${emu.tenantId}`, client_secret: secret, resource });
            assert.equal(good.status, 200);
            assert.deepEqual(Object.keys(good.body).sort(), ["access_token", "expires_in", "expires_on", "not_before", "resource", "token_type"]);
            assert.equal(good.body.token_type, "Bearer");
            assert.equal(decodeJwt(String(good.body.access_token)).aud, resource);

            const bad = await token(emu.tenantId, { grant_type: "client_credentials", client_id: `${sp.appId}@${emu.tenantId}`, client_secret: newSecret(), resource });
            assert.equal(bad.status, 401);
            assert.equal(bad.body.error, "invalid_client");
            assert.deepEqual(bad.body.error_codes, [7000215]);
            assert.match(String(bad.body.error_description), /^AADSTS7000215: Invalid client secret provided\./);

            const unknown = await token(emu.tenantId, { grant_type: "client_credentials", client_id: `${randomUUID()}@${emu.tenantId}`, client_secret: secret, resource });
            assert.deepEqual([unknown.status, unknown.body.error, unknown.body.error_codes], [400, "unauthorized_client", [700016]]);
            const realm = await token(randomUUID(), { grant_type: "client_credentials", client_id: sp.appId, client_secret: secret });
            assert.deepEqual([realm.status, realm.body.error_codes], [400, [90002]]);
            assert.deepEqual(emu.requests.map((r) => [r.operation, r.status]), [["acs.token", 200], ["acs.token", 401], ["acs.token", 400], ["acs.token", 400]]);
        });

        it("offers activeKey, contextToken and check over the admin endpoint", async () => {
            const sp = emu.tenant.addLegacyServicePrincipal();
            assert.equal((await call(emu, "POST", `/_emulator/acs/${sp.appId}/contextToken`)).status, 409);
            const secret = newSecret();
            emu.tenant.seedCredentials(sp.id, { keyCredentials: [{ type: "Symmetric", usage: "Sign", key: secret, startDateTime: "2026-01-01T00:00:00Z" }] });
            const active = obj((await call(emu, "GET", `/_emulator/acs/${sp.appId}`)).body);
            assert.equal(obj(active.activeSigningKey).key, secret);
            const ct = obj((await call(emu, "POST", `/_emulator/acs/${sp.appId}/contextToken`)).body);
            assert.equal(typeof ct.contextToken, "string");
            const check = obj((await call(emu, "POST", `/_emulator/acs/${sp.appId}/check`, { clientSecret: secret })).body);
            assert.deepEqual([check.contextTokenValid, check.accessTokenOk], [true, true]);
            const delay = obj((await call(emu, "POST", "/_emulator/acs", { propagationDelayMs: 1000 })).body);
            assert.equal(delay.propagationDelayMs, 1000);
        });
    });
});
