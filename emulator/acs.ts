/**
 * SharePoint's token service (ACS) and the remote web's TokenHelper, as docs/FACTS.md §3 describes
 * them. Both are models of behaviour the Graph docs do not cover; the rules are:
 *
 * ACS
 * - The credentials of an add-in (client id) are the Symmetric keys on the object that holds them:
 *   the Legacy service principal, or the application behind an app-backed principal (Microsoft's rotation article).
 * - It signs with ONE active key: the oldest (earliest startDateTime, then earliest creation)
 *   Symmetric/Sign key that is valid now and was created at least `propagationDelayMs` ago
 *   (default 24 h: "a new secret can take up to 24 hours"; ~7 h measured in sp-dev-docs#2346).
 *   A newer key is not used until the older one expires (Microsoft's rotation article; sp-dev-docs#2346, PR 953).
 * - A token request with a client secret succeeds only when base64-decode(secret) equals the
 *   active key's bytes.
 *
 * TokenHelper
 * - Validates a context token (HS256) with the key bytes of ClientSecret, then
 *   SecondaryClientSecret, each strictly base64-decoded (.NET Convert.FromBase64String); a secret
 *   that is not base64 is unusable.
 * - Requests access tokens with ClientSecret, and retries with SecondaryClientSecret if ACS refuses.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { decodeBase64Strict } from "./base64";
import { EmulatorClock } from "./clock";
import { graphDate, StoredKeyCredential } from "./model";
import { Tenant } from "./tenant";

/** SharePoint Online's well-known principal id (the `iss` of context tokens). */
export const SHAREPOINT_PRINCIPAL = "00000003-0000-0ff1-ce00-000000000000";
/** ACS's own principal id (the `iss` of ACS access tokens). */
export const ACS_PRINCIPAL = "00000001-0000-0000-c000-000000000000";

const HOUR_MS = 3600 * 1000;

/** The key ACS signs with for an add-in. */
export interface ActiveSigningKey {
    readonly keyId: string;
    readonly keyBytes: Buffer;
    readonly startDateTime: string;
    readonly endDateTime: string;
    readonly createdDateTime: string;
    /** Object (service principal or application) the key lives on. */
    readonly objectId: string;
}

/** Why no key is active, or null when one is. */
export type NoActiveKeyReason = "unknown-client" | "no-symmetric-sign-key" | "all-expired-or-not-started" | "not-yet-propagated";

/** Raised by `issueContextToken` when SharePoint could not sign one. */
export class AcsError extends Error {
    /** Error name constant. */
    static readonly errorName = "AcsError";
    override readonly name = AcsError.errorName;
    constructor(readonly reason: NoActiveKeyReason, message: string) {
        super(message);
    }
}

/** An ACS token endpoint answer (the OAuth JSON body and HTTP status). */
export type AcsTokenResponse =
    | { readonly ok: true; readonly status: 200; readonly body: { token_type: "Bearer"; access_token: string; expires_in: string; not_before: string; expires_on: string; resource: string } }
    | { readonly ok: false; readonly status: 400 | 401; readonly body: { error: string; error_description: string; error_codes: number[]; timestamp: string; trace_id: string; correlation_id: string } };

/** Options for the ACS model. */
export interface AcsOptions {
    /** How long a new key takes to become usable. @default 24 hours */
    readonly propagationDelayMs?: number;
    /** SharePoint host in audiences. @default "contoso.sharepoint.com" */
    readonly sharePointHost?: string;
    /** Remote web host in context-token audiences. @default "addin.contoso.com" */
    readonly remoteWebHost?: string;
}

/** The ACS model (`emu.acs`). */
export class AcsModel {
    /** Delay between a key's creation (emulator clock) and ACS using it. */
    propagationDelayMs: number;
    /** SharePoint host. */
    readonly sharePointHost: string;
    /** Remote web host. */
    readonly remoteWebHost: string;
    private readonly accessTokenKey = randomBytes(32);

    constructor(private readonly tenant: Tenant, private readonly clock: EmulatorClock, options: AcsOptions = {}) {
        this.propagationDelayMs = options.propagationDelayMs ?? 24 * HOUR_MS;
        this.sharePointHost = options.sharePointHost ?? "contoso.sharepoint.com";
        this.remoteWebHost = options.remoteWebHost ?? "addin.contoso.com";
    }

    /** The realm (tenant id). */
    get realm(): string {
        return this.tenant.tenantId;
    }

    /** The key ACS signs with for this client id now, or null (see {@link whyNoActiveKey}). */
    activeSigningKey(appId: string): ActiveSigningKey | null {
        const holder = this.tenant.credentialHolder(appId);
        if (holder === undefined) {
            return null;
        }
        const now = this.clock.now().getTime();
        const candidates = holder.keyCredentials
            .filter((k) => k.type === "Symmetric" && k.usage === "Sign")
            .filter((k) => k.startDateTime.getTime() <= now && now < k.endDateTime.getTime())
            .filter((k) => k.createdDateTime.getTime() + this.propagationDelayMs <= now)
            .sort(oldestFirst);
        const k = candidates[0];
        return k === undefined ? null : {
            keyId: k.keyId, keyBytes: Buffer.from(k.key), startDateTime: graphDate(k.startDateTime), endDateTime: graphDate(k.endDateTime),
            createdDateTime: graphDate(k.createdDateTime), objectId: holder.id,
        };
    }

    /** Why {@link activeSigningKey} is null (or null when a key is active). */
    whyNoActiveKey(appId: string): NoActiveKeyReason | null {
        const holder = this.tenant.credentialHolder(appId);
        if (holder === undefined) {
            return "unknown-client";
        }
        if (this.activeSigningKey(appId) !== null) {
            return null;
        }
        const now = this.clock.now().getTime();
        const signKeys = holder.keyCredentials.filter((k) => k.type === "Symmetric" && k.usage === "Sign");
        if (signKeys.length === 0) {
            return "no-symmetric-sign-key";
        }
        const valid = signKeys.filter((k) => k.startDateTime.getTime() <= now && now < k.endDateTime.getTime());
        return valid.length === 0 ? "all-expired-or-not-started" : "not-yet-propagated";
    }

    /**
     * A SharePoint context token for the add-in, signed HS256 with the active key's bytes.
     * Throws {@link AcsError} when no key is active (SharePoint cannot launch the add-in).
     */
    async issueContextToken(appId: string, options: { lifetimeMs?: number } = {}): Promise<string> {
        const key = this.activeSigningKey(appId);
        if (key === null) {
            const reason = this.whyNoActiveKey(appId) ?? "no-symmetric-sign-key";
            throw new AcsError(reason, `ACS has no active signing key for client id ${appId} (${reason}); SharePoint cannot issue a context token.`);
        }
        const now = Math.floor(this.clock.now().getTime() / 1000);
        const iss = `${SHAREPOINT_PRINCIPAL}@${this.realm}`;
        return new SignJWT({
            appctxsender: iss,
            appctx: JSON.stringify({ CacheKey: randomUUID(), SecurityTokenServiceUri: `https://accounts.accesscontrol.windows.net/${this.realm}/tokens/OAuth/2` }),
            refreshtoken: `emu-refresh-${randomUUID()}`,
            isbrowserhostedapp: "false",
        })
            .setProtectedHeader({ typ: "JWT", alg: "HS256" })
            .setIssuer(iss)
            .setAudience(`${appId}/${this.remoteWebHost}@${this.realm}`)
            .setNotBefore(now)
            .setExpirationTime(now + Math.floor((options.lifetimeMs ?? 12 * HOUR_MS) / 1000))
            .sign(key.keyBytes);
    }

    /**
     * The ACS token endpoint (client_credentials with a client secret). Succeeds only when
     * base64-decode(clientSecret) equals the active key's bytes; otherwise ACS's invalid_client.
     */
    async requestToken(appId: string, clientSecret: string, resource?: string): Promise<AcsTokenResponse> {
        const now = this.clock.now();
        const fail = (status: 400 | 401, error: string, code: number, text: string): AcsTokenResponse => ({
            ok: false, status,
            body: {
                error, error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${now.toISOString().replace("T", " ").slice(0, 19)}Z`,
                error_codes: [code], timestamp: now.toISOString().replace("T", " ").slice(0, 19) + "Z", trace_id: randomUUID(), correlation_id: randomUUID(),
            },
        });
        if (this.tenant.credentialHolder(appId) === undefined) {
            return fail(400, "unauthorized_client", 700016, `Application with identifier '${appId}' was not found in the directory '${this.realm}'.`);
        }
        const key = this.activeSigningKey(appId);
        const bytes = decodeBase64Strict(clientSecret);
        if (key === null || bytes === null || !bytes.equals(key.keyBytes)) {
            return fail(401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`);
        }
        const nbf = Math.floor(now.getTime() / 1000);
        const exp = nbf + 86399;
        const aud = resource ?? `${SHAREPOINT_PRINCIPAL}/${this.sharePointHost}@${this.realm}`;
        const accessToken = await new SignJWT({ nameid: `${appId}@${this.realm}`, identityprovider: `${ACS_PRINCIPAL}@${this.realm}` })
            .setProtectedHeader({ typ: "JWT", alg: "HS256" })
            .setIssuer(`${ACS_PRINCIPAL}@${this.realm}`).setAudience(aud).setNotBefore(nbf).setExpirationTime(exp)
            .sign(this.accessTokenKey);
        return {
            ok: true, status: 200,
            body: { token_type: "Bearer", access_token: accessToken, expires_in: "86399", not_before: String(nbf), expires_on: String(exp), resource: aud },
        };
    }
}

function oldestFirst(a: StoredKeyCredential, b: StoredKeyCredential): number {
    return a.startDateTime.getTime() - b.startDateTime.getTime()
        || a.createdDateTime.getTime() - b.createdDateTime.getTime()
        || a.seq - b.seq;
}

/** The remote web's settings (web.config `ClientId`, `ClientSecret`, `SecondaryClientSecret`). */
export interface RemoteWebSecrets {
    readonly clientSecret: string;
    /** @default - none */
    readonly secondaryClientSecret?: string | null;
}

/** Which configured secret did the job. */
export type SecretSlot = "ClientSecret" | "SecondaryClientSecret";

/** Result of validating a context token. */
export interface ContextTokenValidation {
    readonly valid: boolean;
    readonly validatedWith: SecretSlot | null;
    /** Why it failed (null when valid). */
    readonly reason: string | null;
}

/** Result of getting an access token the TokenHelper way. */
export interface AccessTokenAttempt {
    readonly ok: boolean;
    readonly usedSecondary: boolean;
    readonly accessToken: string | null;
    readonly reason: string | null;
}

/** The TokenHelper model (`emu.tokenHelper`). */
export class TokenHelperModel {
    constructor(private readonly acs: AcsModel, private readonly clock: EmulatorClock) {}

    /**
     * TokenHelper.ReadAndValidateContextToken: HS256 signature with ClientSecret's key bytes, else
     * SecondaryClientSecret's; audience must be this client id; issuer SharePoint; lifetime on the
     * emulator clock.
     */
    async validateContextToken(token: string, appId: string, secrets: RemoteWebSecrets): Promise<ContextTokenValidation> {
        const slots: [SecretSlot, string | null | undefined][] = [["ClientSecret", secrets.clientSecret], ["SecondaryClientSecret", secrets.secondaryClientSecret]];
        const problems: string[] = [];
        for (const [slot, secret] of slots) {
            if (secret === undefined || secret === null || secret === "") {
                continue;
            }
            const key = decodeBase64Strict(secret);
            if (key === null || key.length === 0) {
                problems.push(`${slot} is not base64 (Convert.FromBase64String would throw)`);
                continue;
            }
            try {
                const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], currentDate: this.clock.now(), issuer: `${SHAREPOINT_PRINCIPAL}@${this.acs.realm}` });
                const aud = typeof payload.aud === "string" ? payload.aud : "";
                if (!aud.startsWith(`${appId}/`)) {
                    return { valid: false, validatedWith: null, reason: `audience ${aud} is not for client id ${appId}` };
                }
                return { valid: true, validatedWith: slot, reason: null };
            } catch (err) {
                const code = (err as { code?: string }).code;
                if (code === "ERR_JWT_EXPIRED" || code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
                    return { valid: false, validatedWith: null, reason: `token rejected: ${(err as Error).message}` };
                }
                problems.push(`signature does not match ${slot}`);
            }
        }
        return { valid: false, validatedWith: null, reason: `Invalid issuer or signature: ${problems.length > 0 ? problems.join("; ") : "no ClientSecret configured"}` };
    }

    /** TokenHelper's access token request: ClientSecret first, SecondaryClientSecret if ACS refuses. */
    async getAccessToken(appId: string, secrets: RemoteWebSecrets): Promise<AccessTokenAttempt> {
        const first = await this.acs.requestToken(appId, secrets.clientSecret);
        if (first.ok) {
            return { ok: true, usedSecondary: false, accessToken: first.body.access_token, reason: null };
        }
        const secondary = secrets.secondaryClientSecret;
        if (secondary !== undefined && secondary !== null && secondary !== "") {
            const second = await this.acs.requestToken(appId, secondary);
            if (second.ok) {
                return { ok: true, usedSecondary: true, accessToken: second.body.access_token, reason: null };
            }
            return { ok: false, usedSecondary: true, accessToken: null, reason: `ACS refused ClientSecret and SecondaryClientSecret: ${second.body.error}` };
        }
        return { ok: false, usedSecondary: false, accessToken: null, reason: `ACS refused ClientSecret: ${first.body.error}` };
    }
}

/** What `emu.checkAddIn` reports: would the add-in work right now with these settings. */
export interface AddInCheck {
    /** SharePoint issued a context token and TokenHelper validated it. */
    readonly contextTokenValid: boolean;
    /** TokenHelper obtained an access token from ACS. */
    readonly accessTokenOk: boolean;
    /** The access token needed the SecondaryClientSecret fallback. */
    readonly usedSecondary: boolean;
    /** Which secret validated the context token. */
    readonly contextTokenValidatedWith: SecretSlot | null;
    /** The key ACS signs with now, if any. */
    readonly activeKeyId: string | null;
    /** Null when both checks pass; otherwise what failed, in words. */
    readonly reason: string | null;
}

/** Both halves of an add-in launch, against the current emulator state. */
export async function checkAddIn(acs: AcsModel, helper: TokenHelperModel, appId: string, secrets: RemoteWebSecrets): Promise<AddInCheck> {
    const active = acs.activeSigningKey(appId);
    let contextTokenValid = false;
    let validatedWith: SecretSlot | null = null;
    const reasons: string[] = [];
    if (active === null) {
        reasons.push(`no active signing key (${acs.whyNoActiveKey(appId) ?? "unknown"})`);
    } else {
        const token = await acs.issueContextToken(appId);
        const v = await helper.validateContextToken(token, appId, secrets);
        contextTokenValid = v.valid;
        validatedWith = v.validatedWith;
        if (!v.valid && v.reason !== null) {
            reasons.push(`context token (signed with key ${active.keyId}): ${v.reason}`);
        }
    }
    const at = await helper.getAccessToken(appId, secrets);
    if (!at.ok && at.reason !== null) {
        reasons.push(`access token: ${at.reason}`);
    }
    return {
        contextTokenValid, accessTokenOk: at.ok, usedSecondary: at.ok && at.usedSecondary, contextTokenValidatedWith: validatedWith,
        activeKeyId: active?.keyId ?? null, reason: reasons.length === 0 ? null : reasons.join("; "),
    };
}
