/**
 * How property values look on the wire between the Node SDK, the engine and a provider
 * (sdk/nodejs/runtime/rpc.ts): plain JSON with two sentinels, one for secrets and one for values
 * not known during a preview.
 */

/** Plain property bag, as a provider sees it. */
export type Props = Record<string, unknown>;

/** The property holding a dynamic resource's serialized provider (sdk/nodejs/dynamic/index.ts). */
export const PROVIDER_KEY = "__provider";

/** rpc.ts `specialSigKey`: the key that marks a special value. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** rpc.ts `specialSecretSig`: `{[SIG_KEY]: SECRET_SIG, value}` is a secret. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** rpc.ts `unknownValue`: a value not known during a preview (the engine's computed value). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True for a wire secret `{[SIG_KEY]: SECRET_SIG, value}`. */
export function isSecretWire(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Wraps a value as a wire secret. */
export function secretWire(value: unknown): Record<string, unknown> {
    return { [SIG_KEY]: SECRET_SIG, value };
}

/** True when `v` is, or contains at any depth, a wire secret. */
export function containsSecret(v: unknown): boolean {
    if (isSecretWire(v)) {
        return true;
    }
    if (typeof v === "object" && v !== null) {
        return Object.values(v).some(containsSecret);
    }
    return false;
}

/** True when `v` is, or contains at any depth, the unknown sentinel. */
export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) {
        return true;
    }
    if (isSecretWire(v)) {
        return containsUnknown(v.value);
    }
    if (typeof v === "object" && v !== null) {
        return Object.values(v).some(containsUnknown);
    }
    return false;
}

/** Removes wire secret markers at every depth (what the engine sends a host that does not accept secrets). */
export function deepUnwrap(v: unknown): unknown {
    if (isSecretWire(v)) {
        return deepUnwrap(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(deepUnwrap);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepUnwrap(x)]));
    }
    return v;
}

/**
 * Splits top-level properties into plain values and the names of those that held a secret at any
 * depth. The engine tracks secretness per value path; this keeps it per top-level property, which
 * errs on the side of more secrecy (a property with a nested secret is stored secret as a whole).
 */
export function unwrapSecrets(raw: Props): { plain: Props; secretKeys: string[] } {
    const plain: Props = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(raw)) {
        if (containsSecret(v)) {
            secretKeys.push(k);
        }
        plain[k] = deepUnwrap(v);
    }
    return { plain, secretKeys };
}
