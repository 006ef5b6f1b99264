/** Plain data types shared by the emulator's modules. */

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** keyCredential.type values Graph accepts (resources/keycredential.md). */
export const KEY_TYPES = ["Symmetric", "AsymmetricX509Cert", "X509CertAndPassword"] as const;
/** A keyCredential type. */
export type KeyType = (typeof KEY_TYPES)[number];

/** keyCredential.usage values Graph accepts. */
export const KEY_USAGES = ["Sign", "Verify"] as const;
/** A keyCredential usage. */
export type KeyUsage = (typeof KEY_USAGES)[number];

/** A key credential as stored: with its bytes and its creation time on the emulator clock. */
export interface StoredKeyCredential {
    readonly keyId: string;
    readonly type: KeyType;
    readonly usage: KeyUsage;
    readonly key: Buffer;
    readonly displayName: string | null;
    readonly customKeyIdentifier: string | null;
    readonly startDateTime: Date;
    readonly endDateTime: Date;
    /** When the emulator stored it (emulator clock); ACS propagation counts from here. */
    readonly createdDateTime: Date;
    /** Global insertion order, the last tie-breaker. */
    readonly seq: number;
}

/** A password credential as stored: with its secretText. */
export interface StoredPasswordCredential {
    readonly keyId: string;
    readonly displayName: string | null;
    readonly secretText: string;
    readonly hint: string;
    readonly customKeyIdentifier: string | null;
    readonly startDateTime: Date;
    readonly endDateTime: Date;
    readonly createdDateTime: Date;
    readonly seq: number;
}

/** The two Graph entity sets the emulator serves. */
export type EntitySet = "servicePrincipals" | "applications";

/** A directory object (service principal or application) as stored. */
export interface DirectoryObject {
    readonly set: EntitySet;
    readonly id: string;
    readonly appId: string;
    /** Every other Graph property, in Graph's order, except the two credential collections. */
    props: JsonObject;
    keyCredentials: StoredKeyCredential[];
    passwordCredentials: StoredPasswordCredential[];
}

/** Graph's date-time rendering: whole seconds without fraction ("2021-04-22T22:10:13Z"), else milliseconds. */
export function graphDate(date: Date): string {
    const iso = date.toISOString();
    return iso.endsWith(".000Z") ? `${iso.slice(0, 19)}Z` : iso;
}

/** A GUID in Graph's lower-case 8-4-4-4-12 form. */
export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Deep copy of a directory object (credential records are immutable, Buffers are copied). */
export function cloneObject(obj: DirectoryObject): DirectoryObject {
    return {
        set: obj.set,
        id: obj.id,
        appId: obj.appId,
        props: structuredClone(obj.props),
        keyCredentials: obj.keyCredentials.map((k) => ({ ...k, key: Buffer.from(k.key) })),
        passwordCredentials: obj.passwordCredentials.map((p) => ({ ...p })),
    };
}

/** `date` plus whole calendar years (UTC). */
export function addYears(date: Date, years: number): Date {
    const d = new Date(date.getTime());
    d.setUTCFullYear(d.getUTCFullYear() + years);
    return d;
}

/** A key credential to seed directly (scenarios: unmanaged or lingering entries). */
export interface SeedKeyCredential {
    readonly type: KeyType;
    readonly usage: KeyUsage;
    /** base64 of the key bytes. */
    readonly key: string;
    /** @default - a random GUID */
    readonly keyId?: string;
    /** @default null */
    readonly displayName?: string | null;
    /** @default null */
    readonly customKeyIdentifier?: string | null;
    /** ISO date-time. @default - emulator now */
    readonly startDateTime?: string;
    /** ISO date-time. @default - startDateTime + 1 year */
    readonly endDateTime?: string;
    /**
     * When it was stored, for ACS propagation.
     * @default - the earlier of startDateTime and now: seeded entries stand for pre-existing state
     */
    readonly createdDateTime?: string;
}

/** A password credential to seed directly. */
export interface SeedPasswordCredential {
    /** @default - a generated secret */
    readonly secretText?: string;
    /** @default - a random GUID */
    readonly keyId?: string;
    /** @default null */
    readonly displayName?: string | null;
    /** ISO date-time. @default - emulator now */
    readonly startDateTime?: string;
    /** ISO date-time. @default - startDateTime + 2 years */
    readonly endDateTime?: string;
    /** @default - the earlier of startDateTime and now */
    readonly createdDateTime?: string;
}

/** Entries to seed onto an object. */
export interface SeedCredentials {
    readonly keyCredentials?: readonly SeedKeyCredential[];
    readonly passwordCredentials?: readonly SeedPasswordCredential[];
}
