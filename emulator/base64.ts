/**
 * Strict base64, as .NET's `Convert.FromBase64String` accepts it: the standard alphabet, white
 * space ignored, length a multiple of 4 after removing it, at most two `=` and only at the end.
 * TokenHelper decodes `ClientSecret` this way, which is why a raw Entra secret (with `~`) is not a
 * usable ClientSecret (sp-dev-docs issues 9115, 9170, 10056). Node's `Buffer.from(s, "base64")`
 * is lenient (it skips bad characters), so it must never be used alone to decide validity.
 */
export function decodeBase64Strict(value: string): Buffer | null {
    const compact = value.replace(/[ \t\r\n]/g, "");
    if (compact.length % 4 !== 0) {
        return null;
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
        return null;
    }
    return Buffer.from(compact, "base64");
}

/** Whether `value` is strict base64 (see {@link decodeBase64Strict}). */
export function isBase64(value: string): boolean {
    return decodeBase64Strict(value) !== null;
}
