// Pure secret derivation: how one generation's key bytes relate to the ClientSecret the add-in's
// web app holds. No I/O, no randomness: the caller supplies the random bytes (RandomBytes) or the
// password Entra generated (addPassword's secretText).
//
// The invariant both value sources share (docs/FACTS.md §3): the Symmetric Sign/Verify key
// bytes written to Entra are base64-decode(ClientSecret), because the add-in's TokenHelper
// base64-decodes ClientSecret to get its HMAC key. So Graph's `key` field (base64 of the key
// bytes) and ClientSecret are the same string; both are returned so callers name what they mean.
//
// Error messages name the input and describe its shape, never its value: these functions only
// ever see secrets.

/** Number of random key bytes the classic procedure registers (`New-MsolServicePrincipalCredential` with 32 random bytes). */
export const RANDOM_KEY_BYTES = 32;

/** Shortest `secretText` Graph's addPassword returns (Graph v1.0 passwordCredential docs). */
export const MIN_PASSWORD_LENGTH = 16;

/** Longest `secretText` Graph's addPassword returns (Graph v1.0 passwordCredential docs). */
export const MAX_PASSWORD_LENGTH = 64;

/** The key material of one credential generation. */
export interface KeyMaterial {
    /** Base64 of the Symmetric key bytes, as Graph's `keyCredentials[].key` expects. */
    readonly keyBase64: string;
    /** The value for the web app's `ClientSecret` / `SecondaryClientSecret` (base64 of the key bytes). */
    readonly clientSecret: string;
}

// Canonical standard base64 (RFC 4648 §4) with padding; Buffer.from(…, "base64") alone is lenient
// (it skips invalid characters and accepts base64url), which would silently change the key.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Entra-generated passwords are printable ASCII without spaces (they contain `~`, `.`, `_`, `-`);
// anything else means the caller passed something that is not an addPassword secretText.
const PASSWORD = /^[\x21-\x7E]+$/;

/**
 * Key material for the `random-bytes` value source: the key bytes are the given random bytes and
 * ClientSecret is their base64 (the classic procedure of the 2017 support blog).
 *
 * @param base64 canonical standard base64 of exactly {@link RANDOM_KEY_BYTES} bytes (for example
 *   `random.RandomBytes({ length: 32 }).base64`).
 * @throws Error when `base64` is not canonical base64 of 32 bytes; the message never contains it.
 */
export function keyMaterialFromRandomBytes(base64: string): KeyMaterial {
    if (typeof base64 !== "string") {
        throw new Error(`keyMaterial must be a base64 string; got ${typeof base64}. Pass the base64 output of a 32-byte RandomBytes.`);
    }
    if (!BASE64.test(base64)) {
        throw new Error(
            `keyMaterial must be standard padded base64 (A-Z a-z 0-9 + /, '=' padding, no whitespace); ` +
            `got ${base64.length} characters that are not. Pass the base64 output of a 32-byte RandomBytes.`,
        );
    }
    const bytes = Buffer.from(base64, "base64");
    if (bytes.length !== RANDOM_KEY_BYTES) {
        throw new Error(
            `keyMaterial must be base64 of ${RANDOM_KEY_BYTES} bytes; got ${bytes.length} bytes. ` +
            `Generate it with RandomBytes({ length: ${RANDOM_KEY_BYTES} }).`,
        );
    }
    // Reject non-zero padding bits ("…A=" vs "…B="): two strings would map to one key, and the
    // web app would hold a ClientSecret that differs from what Entra stores.
    const canonical = bytes.toString("base64");
    if (canonical !== base64) {
        throw new Error("keyMaterial must be canonical base64 (unused padding bits set to zero). Pass the base64 output of a 32-byte RandomBytes unchanged.");
    }
    return { keyBase64: canonical, clientSecret: canonical };
}

/**
 * Key material for the `entra-password` value source (SharePoint's current procedure, sp-dev-docs
 * "Replace an expiring client secret in a SharePoint Add-in"): the key bytes are the UTF-8 bytes of
 * the password Entra generated, and ClientSecret is their base64, because raw Entra passwords
 * (with `~` and similar) are not base64 and TokenHelper base64-decodes ClientSecret.
 *
 * @param secretText the `secretText` returned by Graph's addPassword: 16 to 64 printable ASCII
 *   characters without spaces.
 * @throws Error when `secretText` does not look like an addPassword secret; the message never
 *   contains it.
 */
export function keyMaterialFromPassword(secretText: string): KeyMaterial {
    if (typeof secretText !== "string") {
        throw new Error(`secretText must be a string; got ${typeof secretText}. Pass the secretText returned by addPassword.`);
    }
    if (secretText.length < MIN_PASSWORD_LENGTH || secretText.length > MAX_PASSWORD_LENGTH) {
        throw new Error(
            `secretText must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters; got ${secretText.length}. ` +
            `Pass the secretText returned by addPassword unchanged.`,
        );
    }
    if (!PASSWORD.test(secretText)) {
        // A position, never the character: even one character of a secret is not ours to print.
        const position = Array.from(secretText).findIndex((c) => !PASSWORD.test(c));
        throw new Error(
            `secretText must be printable ASCII without spaces; got a character outside that range at position ${position}. ` +
            `Pass the secretText returned by addPassword unchanged (no surrounding whitespace or quotes).`,
        );
    }
    const encoded = Buffer.from(secretText, "utf8").toString("base64");
    return { keyBase64: encoded, clientSecret: encoded };
}
