import type { ManualRotation, RemoteWebAppServiceArgs, RemoteWebKeyVaultArgs, ValueSource } from "addin-credentials";
import { CLEANUP_MODES, CleanupMode, isGuid } from "addin-credentials";

/** One add-in as the stack config (`addin-credentials:addins`) describes it. */
export interface AddInConfig {
    readonly name: string;
    readonly clientId: string;
    readonly firstGenerationStart: string;
    readonly valueSource?: ValueSource;
    readonly lifetimeDays?: number;
    readonly rotateBeforeExpiryDays?: number;
    readonly gracePeriodDays?: number;
    readonly propagationHours?: number;
    readonly manualRotations?: ManualRotation[];
    readonly adoptedSecretEndDateTime?: string;
    readonly adoptedKeyIds?: string[];
    readonly cleanup?: CleanupMode;
    readonly removeKeyIds?: string[];
    readonly forceCleanup?: boolean;
    readonly acceptOutage?: boolean;
    readonly decommission?: boolean;
    readonly delivery?: {
        readonly keyVault?: RemoteWebKeyVaultArgs;
        readonly appService?: RemoteWebAppServiceArgs;
        readonly webConfig?: boolean;
    };
}

const KNOWN_FIELDS = new Set([
    "name", "clientId", "firstGenerationStart", "valueSource", "lifetimeDays", "rotateBeforeExpiryDays",
    "gracePeriodDays", "propagationHours", "manualRotations", "adoptedSecretEndDateTime", "adoptedKeyIds", "cleanup", "removeKeyIds",
    "forceCleanup", "acceptOutage", "decommission", "delivery",
]);
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Validates `addin-credentials:addins` (already JSON-parsed) and returns it typed. Errors name the
 * config key and the offending entry, and say what is expected; no secret lives in this key.
 */
export function parseAddIns(raw: unknown, adoptedSecretNames: readonly string[] = []): AddInConfig[] {
    const key = "addin-credentials:addins";
    if (!Array.isArray(raw) || raw.length === 0) {
        throw new Error(`Config ${key} must be a non-empty list of add-ins (see README "Configuration reference"); got ${JSON.stringify(raw)}.`);
    }
    const seen = new Set<string>();
    const addIns = raw.map((entry: unknown, i: number) => {
        const where = `${key}[${i}]`;
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            throw new Error(`Config ${where} must be an object with at least name, clientId and firstGenerationStart.`);
        }
        const e = entry as Record<string, unknown>;
        const unknown = Object.keys(e).filter((k) => !KNOWN_FIELDS.has(k));
        if (unknown.length > 0) {
            throw new Error(`Config ${where} has unknown field(s) ${unknown.join(", ")}; known fields: ${[...KNOWN_FIELDS].join(", ")}.`);
        }
        if (typeof e.name !== "string" || !NAME.test(e.name)) {
            throw new Error(`Config ${where}.name must be lower-case letters, digits and dashes (1-40, starting with a letter); got ${JSON.stringify(e.name)}.`);
        }
        if (seen.has(e.name)) {
            throw new Error(`Config ${where}.name "${e.name}" is used twice; add-in names must be unique in a stack.`);
        }
        seen.add(e.name);
        if (typeof e.clientId !== "string" || !isGuid(e.clientId)) {
            throw new Error(`Config ${where}.clientId must be the add-in's client id (a GUID); got ${JSON.stringify(e.clientId)}.`);
        }
        if (typeof e.firstGenerationStart !== "string") {
            throw new Error(`Config ${where}.firstGenerationStart is required: the ISO date of the first managed generation, e.g. "2026-11-26".`);
        }
        for (const field of ["lifetimeDays", "rotateBeforeExpiryDays", "gracePeriodDays", "propagationHours"]) {
            if (e[field] !== undefined && typeof e[field] !== "number") {
                throw new Error(`Config ${where}.${field} must be a number; got ${JSON.stringify(e[field])}.`);
            }
        }
        if (e.manualRotations !== undefined && !Array.isArray(e.manualRotations)) {
            throw new Error(`Config ${where}.manualRotations must be a list of {at, revokePrevious}; got ${JSON.stringify(e.manualRotations)}.`);
        }
        if (e.cleanup !== undefined && !(CLEANUP_MODES as readonly unknown[]).includes(e.cleanup)) {
            throw new Error(`Config ${where}.cleanup must be one of ${CLEANUP_MODES.map((m) => `"${m}"`).join(", ")}; got ${JSON.stringify(e.cleanup)}.`);
        }
        if (e.removeKeyIds !== undefined && (!Array.isArray(e.removeKeyIds) || e.removeKeyIds.some((id: unknown) => typeof id !== "string" || !isGuid(id)))) {
            throw new Error(`Config ${where}.removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ${JSON.stringify(e.removeKeyIds)}.`);
        }
        for (const flag of ["forceCleanup", "acceptOutage", "decommission"]) {
            if (e[flag] !== undefined && typeof e[flag] !== "boolean") {
                throw new Error(`Config ${where}.${flag} must be true or false; got ${JSON.stringify(e[flag])}.`);
            }
        }
        const adopted = adoptedSecretNames.includes(e.name);
        if (e.adoptedSecretEndDateTime !== undefined && !adopted) {
            throw new Error(
                `Config ${where}.adoptedSecretEndDateTime is set but addin-credentials:adoptedClientSecrets has no entry "${e.name}": ` +
                    `set the secret the app uses today with pulumi config set --secret --path 'adoptedClientSecrets.${e.name}' <secret>, or remove adoptedSecretEndDateTime.`,
            );
        }
        if (e.adoptedKeyIds !== undefined && (!Array.isArray(e.adoptedKeyIds) || e.adoptedKeyIds.length === 0 || e.adoptedKeyIds.some((id: unknown) => typeof id !== "string" || !isGuid(id)))) {
            throw new Error(`Config ${where}.adoptedKeyIds must be a list of the keyIds of the adopted secret's entries (GUIDs, as npm run inventory prints them); got ${JSON.stringify(e.adoptedKeyIds)}.`);
        }
        if (adopted && e.adoptedKeyIds === undefined) {
            throw new Error(
                `Config addin-credentials:adoptedClientSecrets has an entry "${e.name}" but ${where}.adoptedKeyIds is missing: ` +
                    "give the keyIds of the secret the app uses today (npm run inventory lists them; --emit-config fills them in).",
            );
        }
        if (adopted && e.adoptedSecretEndDateTime === undefined) {
            throw new Error(
                `Config addin-credentials:adoptedClientSecrets has an entry "${e.name}" but ${where}.adoptedSecretEndDateTime is missing: ` +
                    "give the date the adopted secret expires (npm run inventory lists the end dates).",
            );
        }
        return e as unknown as AddInConfig;
    });
    const unknownAdopted = adoptedSecretNames.filter((n) => !seen.has(n));
    if (unknownAdopted.length > 0) {
        throw new Error(`Config addin-credentials:adoptedClientSecrets names ${unknownAdopted.map((n) => `"${n}"`).join(", ")}, which no entry of ${key} has.`);
    }
    return addIns;
}

/**
 * The add-in names in `addin-credentials:adoptedClientSecrets` (its raw config text), checking its
 * shape; the error never includes the value, which holds secrets.
 */
export function adoptedSecretNamesOf(raw: string | undefined): string[] {
    const key = "addin-credentials:adoptedClientSecrets";
    if (raw === undefined || raw === "") {
        return [];
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        throw new Error(`Config ${key} must be an object of add-in name to secret (set it with pulumi config set --secret --path '${key.split(":")[1]}.<name>' <secret>).`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string" || v === "")) {
        throw new Error(`Config ${key} must be an object of add-in name to a non-empty secret string (set it with pulumi config set --secret --path '${key.split(":")[1]}.<name>' <secret>).`);
    }
    return Object.keys(parsed);
}
