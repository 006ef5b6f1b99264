/**
 * Graph's credential writes: PATCH of `keyCredentials` / `passwordCredentials`, `addPassword`,
 * `removePassword`, `addKey`, `removeKey`. Each function validates fully before changing anything
 * (Graph applies a PATCH entirely or not at all) and throws a {@link GraphError}.
 */
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, importX509, jwtVerify } from "jose";
import { decodeBase64Strict } from "./base64";
import * as E from "./errors";
import { ResolvedPolicy } from "./faults";
import { generateSecretText, passwordCredentialToGraph, keyCredentialToGraph, Tenant } from "./tenant";
import {
    addYears, DirectoryObject, GUID_PATTERN, JsonObject, JsonValue, KEY_TYPES, KEY_USAGES, KeyType, KeyUsage, StoredKeyCredential,
    StoredPasswordCredential,
} from "./model";


/** What a credential write needs from the emulator. */
export interface WriteContext {
    readonly now: Date;
    readonly policy: ResolvedPolicy | null;
    readonly tenant: Tenant;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseDate(value: unknown, property: string, resource: string): Date | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    const d = typeof value === "string" ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(d.getTime())) {
        throw E.invalidPropertyValue(property, resource);
    }
    return d;
}

function optionalString(value: unknown, property: string, resource: string): string | null {
    if (value === undefined || value === null) {
        return null;
    }
    if (typeof value !== "string") {
        throw E.invalidPropertyValue(property, resource);
    }
    return value;
}

/** A DER certificate from key bytes, or null when they are not one. */
function parseCertificate(bytes: Buffer): X509Certificate | null {
    try {
        return new X509Certificate(bytes);
    } catch {
        return null;
    }
}

/** SHA-1 thumbprint, upper-case hex: what Graph shows as a certificate's customKeyIdentifier. */
function thumbprint(bytes: Buffer): string {
    return createHash("sha1").update(bytes).digest("hex").toUpperCase();
}

function checkSymmetricPolicy(policy: ResolvedPolicy | null, start: Date, end: Date): void {
    if (policy === null) {
        return;
    }
    if (policy.blockSymmetricKeyAddition) {
        throw E.credentialTypeNotAllowed(policy.id);
    }
    if (policy.symmetricKeyLifetimeMs !== null && end.getTime() - start.getTime() > policy.symmetricKeyLifetimeMs) {
        throw E.lifetimeAsPerPolicy(policy.id);
    }
}

/**
 * New `keyCredentials` collection for a PATCH. Graph replaces the whole collection: entries not
 * sent are deleted. An entry sent back with `key: null` and a stored `keyId` keeps its stored key
 * (Microsoft's rotation script and terraform-provider-azuread rely on this, FACTS §2); changing such an entry in place is refused.
 */
export function patchKeyCredentials(obj: DirectoryObject, value: JsonValue, ctx: WriteContext): StoredKeyCredential[] {
    if (!Array.isArray(value)) {
        throw E.invalidPropertyValue("keyCredentials", "ServicePrincipal");
    }
    const stored = new Map(obj.keyCredentials.map((k) => [k.keyId, k]));
    const seen = new Set<string>();
    const out: StoredKeyCredential[] = [];
    for (const entry of value) {
        if (!isObject(entry)) {
            throw E.invalidPropertyValue("keyCredentials", "KeyCredential");
        }
        let keyId: string | null = null;
        if (entry.keyId !== undefined && entry.keyId !== null) {
            if (typeof entry.keyId !== "string" || !GUID_PATTERN.test(entry.keyId)) {
                throw E.invalidPropertyValue("keyId", "KeyCredential");
            }
            keyId = entry.keyId.toLowerCase();
            if (seen.has(keyId)) {
                throw E.duplicateKeyId(keyId);
            }
            seen.add(keyId);
        }
        if (typeof entry.type !== "string" || !(KEY_TYPES as readonly string[]).includes(entry.type)) {
            throw E.invalidPropertyValue("type", "KeyCredential");
        }
        if (typeof entry.usage !== "string" || !(KEY_USAGES as readonly string[]).includes(entry.usage)) {
            throw E.invalidUsage();
        }
        const type = entry.type as KeyType;
        const usage = entry.usage as KeyUsage;
        const start = parseDate(entry.startDateTime, "startDateTime", "KeyCredential");
        const end = parseDate(entry.endDateTime, "endDateTime", "KeyCredential");
        const displayName = optionalString(entry.displayName, "displayName", "KeyCredential");
        const customKeyIdentifier = optionalString(entry.customKeyIdentifier, "customKeyIdentifier", "KeyCredential");
        if (customKeyIdentifier !== null && decodeBase64Strict(customKeyIdentifier) === null) {
            // Edm.Binary: must be base64.
            throw E.invalidPropertyValue("customKeyIdentifier", "KeyCredential");
        }
        const existing = keyId === null ? undefined : stored.get(keyId);
        if (entry.key === undefined || entry.key === null) {
            if (existing === undefined) {
                // Nothing to keep: a new entry without key bytes.
                throw E.keyInvalidValue(keyId);
            }
            assertUnchanged(existing, type, usage, start, end);
            out.push(existing);
            continue;
        }
        if (typeof entry.key !== "string") {
            throw E.keyInvalidValue(keyId);
        }
        const bytes = decodeBase64Strict(entry.key);
        if (bytes === null || bytes.length === 0) {
            throw E.keyInvalidValue(keyId);
        }
        if (existing !== undefined) {
            if (!existing.key.equals(bytes)) {
                throw E.keyNotUpdatable(existing.keyId);
            }
            assertUnchanged(existing, type, usage, start, end);
            out.push(existing);
            continue;
        }
        let startDate = start;
        let endDate = end;
        let cki = customKeyIdentifier;
        if (type === "AsymmetricX509Cert") {
            const cert = parseCertificate(bytes);
            if (cert === null) {
                throw E.keyInvalidValue(keyId);
            }
            // Observed: an end date past the certificate's own expiry is KeyCredentialsInvalidEndDate.
            const notAfter = new Date(cert.validTo);
            startDate ??= new Date(cert.validFrom);
            endDate ??= notAfter;
            if (endDate.getTime() > notAfter.getTime()) {
                throw E.keyInvalidEndDate();
            }
            cki ??= thumbprint(bytes);
        } else {
            // Modelled: Graph documents no default dates for non-certificate keys; now .. +1 year.
            startDate ??= ctx.now;
            endDate ??= addYears(startDate, 1);
        }
        if (endDate.getTime() <= startDate.getTime()) {
            throw E.keyInvalidEndDate();
        }
        if (type === "Symmetric") {
            checkSymmetricPolicy(ctx.policy, startDate, endDate);
        }
        const newId = keyId ?? randomUUID();
        seen.add(newId);
        out.push({
            keyId: newId, type, usage, key: bytes, displayName, customKeyIdentifier: cki,
            startDateTime: startDate, endDateTime: endDate, createdDateTime: ctx.now, seq: ctx.tenant.nextSeq(),
        });
    }
    return out;
}

function assertUnchanged(existing: StoredKeyCredential, type: KeyType, usage: KeyUsage, start: Date | undefined, end: Date | undefined): void {
    const changed = existing.type !== type || existing.usage !== usage
        || (start !== undefined && start.getTime() !== existing.startDateTime.getTime())
        || (end !== undefined && end.getTime() !== existing.endDateTime.getTime());
    if (changed) {
        throw E.keyNotUpdatable(existing.keyId);
    }
}

/**
 * New `passwordCredentials` collection for a PATCH. Graph generates passwords only through
 * addPassword: a new entry is refused ("New password credentials must be generated using service
 * actions."), except the password of an `X509CertAndPassword` key sent in the same request with
 * the same keyId (the SAML signing-certificate flow, concepts/application-saml-sso-configure-api.md).
 * Stored entries sent back by keyId are kept; entries left out are removed (collection replace).
 */
export function patchPasswordCredentials(obj: DirectoryObject, value: JsonValue, newKeys: readonly StoredKeyCredential[], ctx: WriteContext): StoredPasswordCredential[] {
    if (!Array.isArray(value)) {
        throw E.invalidPropertyValue("passwordCredentials", "ServicePrincipal");
    }
    const stored = new Map(obj.passwordCredentials.map((p) => [p.keyId, p]));
    const pfxKeys = new Map(newKeys.filter((k) => k.type === "X509CertAndPassword").map((k) => [k.keyId, k]));
    const out: StoredPasswordCredential[] = [];
    for (const entry of value) {
        if (!isObject(entry)) {
            throw E.invalidPropertyValue("passwordCredentials", "PasswordCredential");
        }
        const keyId = typeof entry.keyId === "string" ? entry.keyId.toLowerCase() : null;
        const secretText = entry.secretText;
        const existing = keyId === null ? undefined : stored.get(keyId);
        if (existing !== undefined && (secretText === undefined || secretText === null)) {
            out.push(existing);
            continue;
        }
        const pfx = keyId === null ? undefined : pfxKeys.get(keyId);
        if (pfx !== undefined && typeof secretText === "string" && secretText.length > 0) {
            out.push({
                keyId: pfx.keyId, displayName: optionalString(entry.displayName, "displayName", "PasswordCredential"), secretText,
                hint: secretText.slice(0, 3), customKeyIdentifier: optionalString(entry.customKeyIdentifier, "customKeyIdentifier", "PasswordCredential"),
                startDateTime: parseDate(entry.startDateTime, "startDateTime", "PasswordCredential") ?? pfx.startDateTime,
                endDateTime: parseDate(entry.endDateTime, "endDateTime", "PasswordCredential") ?? pfx.endDateTime,
                createdDateTime: ctx.now, seq: ctx.tenant.nextSeq(),
            });
            continue;
        }
        throw E.passwordsNeedServiceActions();
    }
    return out;
}

/**
 * addPassword: Graph generates `secretText` (returned once) and `keyId`; `hint` is its first 3
 * characters; default start is now and default end start + 2 years (serviceprincipal-addpassword.md).
 * A `secretText` in the body is ignored: the value cannot be chosen.
 */
export function addPassword(obj: DirectoryObject, body: JsonValue, ctx: WriteContext): JsonObject {
    const pc = isObject(body) ? body.passwordCredential : undefined;
    if (pc !== undefined && pc !== null && !isObject(pc)) {
        throw E.invalidPropertyValue("passwordCredential", "addPassword");
    }
    const input = isObject(pc) ? pc : {};
    const start = parseDate(input.startDateTime, "startDateTime", "PasswordCredential") ?? ctx.now;
    const end = parseDate(input.endDateTime, "endDateTime", "PasswordCredential") ?? addYears(start, 2);
    if (end.getTime() <= start.getTime()) {
        throw E.passwordInvalidEndDate();
    }
    const policy = ctx.policy;
    if (policy !== null) {
        if (policy.blockPasswordAddition) {
            throw E.credentialTypeNotAllowed(policy.id);
        }
        if (policy.passwordLifetimeMs !== null && end.getTime() - start.getTime() > policy.passwordLifetimeMs) {
            throw E.lifetimeAsPerPolicy(policy.id);
        }
        if (policy.maxPasswordCredentials !== null && obj.passwordCredentials.length + 1 > policy.maxPasswordCredentials) {
            throw E.tooManyAppPasswords(obj.passwordCredentials.length + 1, policy.maxPasswordCredentials);
        }
    }
    const secretText = generateSecretText();
    const record: StoredPasswordCredential = {
        keyId: randomUUID(), displayName: optionalString(input.displayName, "displayName", "PasswordCredential"), secretText,
        hint: secretText.slice(0, 3), customKeyIdentifier: null, startDateTime: start, endDateTime: end,
        createdDateTime: ctx.now, seq: ctx.tenant.nextSeq(),
    };
    ctx.tenant.beforeWrite(obj);
    obj.passwordCredentials = [...obj.passwordCredentials, record];
    return { ...passwordCredentialToGraph(record), secretText };
}

function requireKeyId(body: JsonValue, action: string): string {
    const keyId = isObject(body) ? body.keyId : undefined;
    if (typeof keyId !== "string" || !GUID_PATTERN.test(keyId)) {
        throw E.invalidPropertyValue("keyId", action);
    }
    return keyId.toLowerCase();
}

/** removePassword: 204, or an error for a keyId that is not there (see errors.noPasswordCredential). */
export function removePassword(obj: DirectoryObject, body: JsonValue, ctx: WriteContext): void {
    const keyId = requireKeyId(body, "removePassword");
    if (!obj.passwordCredentials.some((p) => p.keyId === keyId)) {
        throw E.noPasswordCredential(keyId);
    }
    ctx.tenant.beforeWrite(obj);
    obj.passwordCredentials = obj.passwordCredentials.filter((p) => p.keyId !== keyId);
}

/**
 * Proof of possession for addKey/removeKey (serviceprincipal-addkey.md): a JWT signed with the
 * private key of one of the object's current certificates, aud 00000002-0000-0000-c000-000000000000,
 * iss = the object's id, nbf/exp with exp at most nbf + 10 minutes.
 */
async function verifyProof(obj: DirectoryObject, proof: unknown, now: Date): Promise<void> {
    if (typeof proof !== "string") {
        throw E.proofRejected();
    }
    let alg: string;
    let claims: { nbf?: number; exp?: number };
    try {
        alg = decodeProtectedHeader(proof).alg ?? "RS256";
        claims = decodeJwt(proof);
    } catch {
        throw E.proofRejected();
    }
    if (claims.nbf === undefined || claims.exp === undefined || claims.exp - claims.nbf > 600) {
        throw E.proofRejected();
    }
    const certs = obj.keyCredentials.filter((k) => k.type === "AsymmetricX509Cert"
        && k.startDateTime.getTime() <= now.getTime() && now.getTime() < k.endDateTime.getTime());
    for (const cert of certs) {
        const pem = `-----BEGIN CERTIFICATE-----\n${cert.key.toString("base64")}\n-----END CERTIFICATE-----`;
        try {
            const publicKey = await importX509(pem, alg);
            await jwtVerify(proof, publicKey, { audience: "00000002-0000-0000-c000-000000000000", issuer: obj.id, currentDate: now });
            return;
        } catch {
            // Try the next certificate.
        }
    }
    throw E.proofRejected();
}

/**
 * addKey: certificates only. Graph accepts AsymmetricX509Cert with usage Verify and
 * X509CertAndPassword with usage Sign (serviceprincipal-addkey.md), so a Symmetric key is refused,
 * and a valid proof is required.
 */
export async function addKey(obj: DirectoryObject, body: JsonValue, ctx: WriteContext): Promise<JsonObject> {
    const kc = isObject(body) ? body.keyCredential : undefined;
    if (!isObject(kc)) {
        throw E.invalidPropertyValue("keyCredential", "addKey");
    }
    const supported = (kc.type === "AsymmetricX509Cert" && kc.usage === "Verify") || (kc.type === "X509CertAndPassword" && kc.usage === "Sign");
    if (!supported) {
        throw new E.GraphError(400, "Request_BadRequest",
            `Key credential type '${String(kc.type)}' with usage '${String(kc.usage)}' is not supported by addKey; use AsymmetricX509Cert with Verify or X509CertAndPassword with Sign.`);
    }
    const pc = isObject(body) ? body.passwordCredential : undefined;
    if (kc.type === "X509CertAndPassword" && !(isObject(pc) && typeof pc.secretText === "string" && pc.secretText.length > 0)) {
        throw E.invalidPropertyValue("passwordCredential", "addKey");
    }
    await verifyProof(obj, isObject(body) ? body.proof : undefined, ctx.now);
    const [created] = patchKeyCredentials({ ...obj, keyCredentials: [] }, [{ ...kc, keyId: null } as JsonObject], ctx);
    // Only the new entry was validated above; the stored ones are kept as they are.
    const passwords = kc.type === "X509CertAndPassword" && isObject(pc)
        ? [{
            keyId: created.keyId, displayName: created.displayName, secretText: String(pc.secretText), hint: String(pc.secretText).slice(0, 3),
            customKeyIdentifier: null, startDateTime: created.startDateTime, endDateTime: created.endDateTime, createdDateTime: ctx.now, seq: ctx.tenant.nextSeq(),
        }]
        : [];
    ctx.tenant.beforeWrite(obj);
    obj.keyCredentials = [...obj.keyCredentials, created];
    obj.passwordCredentials = [...obj.passwordCredentials, ...passwords];
    return keyCredentialToGraph(created);
}

/** removeKey: needs a valid proof; removes the key (and a paired certificate password). */
export async function removeKey(obj: DirectoryObject, body: JsonValue, ctx: WriteContext): Promise<void> {
    const keyId = requireKeyId(body, "removeKey");
    await verifyProof(obj, isObject(body) ? body.proof : undefined, ctx.now);
    if (!obj.keyCredentials.some((k) => k.keyId === keyId)) {
        throw E.noKeyCredential(keyId);
    }
    ctx.tenant.beforeWrite(obj);
    obj.keyCredentials = obj.keyCredentials.filter((k) => k.keyId !== keyId);
    obj.passwordCredentials = obj.passwordCredentials.filter((p) => p.keyId !== keyId);
}
