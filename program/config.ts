// The stack config parser: reads `addin-credentials:addins`, `adoptedClientSecrets` and
// `planningTime`, and refuses a bad configuration before anything is declared, so `pulumi preview`
// fails with a message that says where: the config key, the add-in, the field, the value and the
// fix (never a secret). It checks the shape itself (fields, required fields, entries that must be
// unique across add-ins) and leaves every rule about a value to its owner, called here with the
// same arguments index.ts passes: the component's and the planner's rules
// (addInCredentialSetArgsFailures) and the delivery's (remoteWebDeliveryArgsFailures).
import * as pulumi from "@pulumi/pulumi";
import type { AddInCredentialSetArgs, CleanupMode, RemoteWebAppServiceArgs, RemoteWebKeyVaultArgs, ValueSource } from "addin-credentials";
import {
    addInCredentialSetArgsFailures,
    APP_SERVICE_ARGS_FIELDS,
    DEFAULT_CLIENT_SECRET_NAME,
    DEFAULT_SECONDARY_CLIENT_SECRET_NAME,
    DEFAULT_VAULT_DNS_SUFFIX,
    formatKind,
    formatValue,
    KEY_VAULT_ARGS_FIELDS,
    remoteWebDeliveryArgsFailures,
} from "addin-credentials";
import { ConfigError } from "./configError";
import { PLANNING_TIME_KEY } from "./now";

/** An emergency rotation as the stack config gives it: both fields required. */
export interface ManualRotationConfig {
    readonly at: string;
    readonly revokePrevious: boolean;
}

/** Where an add-in's secrets go (`delivery`). */
export interface DeliveryConfig {
    readonly keyVault?: RemoteWebKeyVaultArgs;
    readonly appService?: RemoteWebAppServiceArgs;
    readonly webConfig?: boolean;
}

/** One add-in as the stack config (`addin-credentials:addins`) describes it, checked; `clientId` in lower case. */
export interface AddInConfig {
    readonly name: string;
    readonly clientId: string;
    readonly firstGenerationStart: string;
    readonly valueSource?: ValueSource;
    readonly lifetimeDays?: number;
    readonly rotateBeforeExpiryDays?: number;
    readonly gracePeriodDays?: number;
    readonly propagationHours?: number;
    readonly manualRotations?: readonly ManualRotationConfig[];
    readonly adoptedSecretEndDateTime?: string;
    readonly adoptedKeyIds?: readonly string[];
    readonly cleanup?: CleanupMode;
    readonly removeKeyIds?: readonly string[];
    readonly forceCleanup?: boolean;
    readonly acceptOutage?: boolean;
    readonly decommission?: boolean;
    readonly delivery?: DeliveryConfig;
}

/** The config keys the program reads. */
export const CONFIG_KEYS = {
    addins: "addin-credentials:addins",
    adoptedClientSecrets: "addin-credentials:adoptedClientSecrets",
    planningTime: PLANNING_TIME_KEY,
} as const;

const ADD_IN_FIELDS: Readonly<Record<keyof AddInConfig, true>> = {
    name: true, clientId: true, firstGenerationStart: true, valueSource: true, lifetimeDays: true, rotateBeforeExpiryDays: true,
    gracePeriodDays: true, propagationHours: true, manualRotations: true, adoptedSecretEndDateTime: true, adoptedKeyIds: true,
    cleanup: true, removeKeyIds: true, forceCleanup: true, acceptOutage: true, decommission: true, delivery: true,
};
const MANUAL_ROTATION_FIELDS: Readonly<Record<keyof ManualRotationConfig, true>> = { at: true, revokePrevious: true };
const DELIVERY_FIELDS: Readonly<Record<keyof DeliveryConfig, true>> = { keyVault: true, appService: true, webConfig: true };
/** The longest add-in name: it prefixes every resource name of the add-in. */
export const MAX_NAME_LENGTH = 40;
const NAME = new RegExp(`^[a-z][a-z0-9-]{0,${MAX_NAME_LENGTH - 1}}$`);
const SET_SECRET = "pulumi config set --secret --path 'adoptedClientSecrets.<name>' <secret>";

/**
 * Where a setting of an add-in is, as every error says it: `addin-credentials:addins[1] (hr-portal).delivery.keyVault`
 * (without the name while it is not a valid one).
 */
export function addInKey(index: number, name: string | undefined, path = ""): string {
    return `${CONFIG_KEYS.addins}[${index}]${name === undefined ? "" : ` (${name})`}${path === "" ? "" : `.${path}`}`;
}

/**
 * Validates `addin-credentials:addins` (already JSON-parsed) together with the names in
 * `adoptedClientSecrets` and `planningTime`, and returns it typed, client ids in lower case.
 * @throws ConfigError `Config <key>…` naming the add-in, the field, the value (never a secret) and the fix.
 */
export function parseAddIns(raw: unknown, adoptedSecretNames: readonly string[] = [], planningTime?: string): AddInConfig[] {
    if (!Array.isArray(raw) || raw.length === 0) {
        throw new ConfigError(
            `Config ${CONFIG_KEYS.addins} must be a non-empty list of add-ins (see README "Configuration reference"); got ${Array.isArray(raw) ? "an empty list" : formatKind(raw)}.`,
        );
    }
    const addIns = raw.map((entry: unknown, i: number) => parseAddIn(entry, i, adoptedSecretNames, planningTime));
    refuseSharedTargets(addIns);
    const unknownAdopted = adoptedSecretNames.filter((n) => !addIns.some((a) => a.name === n));
    if (unknownAdopted.length > 0) {
        throw new ConfigError(
            `Config ${CONFIG_KEYS.adoptedClientSecrets} names ${unknownAdopted.map((n) => formatValue(n)).join(", ")}, which no entry of ${CONFIG_KEYS.addins} has; ` +
                "remove it, or correct the name to the add-in's.",
        );
    }
    return addIns;
}

function parseAddIn(entry: unknown, i: number, adoptedSecretNames: readonly string[], planningTime: string | undefined): AddInConfig {
    if (!isPlainObject(entry)) {
        throw new ConfigError(`Config ${addInKey(i, undefined)} must be an object with at least name, clientId and firstGenerationStart; got ${formatKind(entry)}.`);
    }
    const name = typeof entry.name === "string" && NAME.test(entry.name) ? entry.name : undefined;
    const key = (path = ""): string => addInKey(i, name, path);
    refuseUnknownFields(key(), entry, ADD_IN_FIELDS);
    if (name === undefined) {
        throw new ConfigError(`Config ${key("name")} must be lower-case letters, digits and dashes (1-${MAX_NAME_LENGTH}, starting with a letter); got ${formatValue(entry.name)}.`);
    }
    if (entry.clientId === undefined) {
        throw new ConfigError(`Config ${key("clientId")} is missing: give the add-in's client id (a GUID), as npm run inventory lists it.`);
    }
    if (entry.firstGenerationStart === undefined) {
        throw new ConfigError(`Config ${key("firstGenerationStart")} is missing: give the ISO date of the first managed generation, e.g. "2026-11-26".`);
    }
    checkManualRotationsShape(key, entry.manualRotations);
    checkDeliveryShape(key, entry.delivery);

    const adopted = adoptedSecretNames.includes(name);
    checkAdoption(key, name, entry, adopted);

    const addIn = entry as unknown as AddInConfig;
    const [setFailure] = addInCredentialSetArgsFailures(addInCredentialSetArgsOf(addIn, adopted ? ADOPTED_SECRET_STANDIN : undefined, planningTime));
    if (setFailure !== undefined) {
        const where = setFailure.property === "planningTime" ? CONFIG_KEYS.planningTime
            : setFailure.property === "adoptedClientSecret" ? `${CONFIG_KEYS.adoptedClientSecrets}.${name}`
                : key(setFailure.property);
        throw new ConfigError(`Config ${where}: ${setFailure.reason}`);
    }
    if (addIn.delivery !== undefined) {
        const [deliveryFailure] = remoteWebDeliveryArgsFailures(addIn.delivery);
        if (deliveryFailure !== undefined) {
            throw new ConfigError(`Config ${key(deliveryFailure.property === "" ? "delivery" : `delivery.${deliveryFailure.property}`)}: ${deliveryFailure.reason}`);
        }
    }
    return { ...addIn, clientId: addIn.clientId.toLowerCase() };
}

// Stands in for the adopted secret while the parser checks an add-in: the component checks only
// that it is there. The secret itself stays in its secret Output (index.ts).
const ADOPTED_SECRET_STANDIN = "(adoptedClientSecrets entry)";

/**
 * The AddInCredentialSet arguments of an add-in, the same for the parser's checks and for
 * index.ts.
 */
export function addInCredentialSetArgsOf(
    addIn: AddInConfig, adoptedClientSecret: pulumi.Input<string> | undefined, planningTime: string | undefined,
): AddInCredentialSetArgs {
    return {
        clientId: addIn.clientId,
        valueSource: addIn.valueSource,
        firstGenerationStart: addIn.firstGenerationStart,
        lifetimeDays: addIn.lifetimeDays,
        rotateBeforeExpiryDays: addIn.rotateBeforeExpiryDays,
        gracePeriodDays: addIn.gracePeriodDays,
        propagationHours: addIn.propagationHours,
        manualRotations: addIn.manualRotations,
        adoptedClientSecret,
        adoptedSecretEndDateTime: addIn.adoptedSecretEndDateTime,
        adoptedKeyIds: addIn.adoptedKeyIds,
        cleanup: addIn.cleanup,
        removeKeyIds: addIn.removeKeyIds,
        forceCleanup: addIn.forceCleanup,
        acceptOutage: addIn.acceptOutage,
        decommission: addIn.decommission,
        planningTime,
    };
}

/**
 * Runs `build` (what index.ts declares for the add-in at `index`); an error it throws is rethrown
 * naming the add-in's config key, so even a refusal the parser did not foresee says where. A plain
 * Error (how the components refuse their arguments) becomes a ConfigError; anything else (a
 * TypeError, say: a bug) keeps its stack trace, as its cause.
 */
export function inAddIn<T>(index: number, name: string, build: () => T): T {
    try {
        return build();
    } catch (e) {
        const message = `Config ${addInKey(index, name)}: ${e instanceof Error ? e.message : String(e)}`;
        throw e instanceof Error && e.constructor === Error ? new ConfigError(message) : new Error(message, { cause: e });
    }
}

/** Emergency rotations: a list of exactly {at, revokePrevious}, both given (their values are the planner's to check). */
function checkManualRotationsShape(key: (path?: string) => string, value: unknown): void {
    if (value === undefined) {
        return;
    }
    if (!Array.isArray(value)) {
        throw new ConfigError(`Config ${key("manualRotations")} must be a list of {at, revokePrevious}; got ${formatKind(value)}.`);
    }
    value.forEach((rotation: unknown, j: number) => {
        const path = `manualRotations[${j}]`;
        if (!isPlainObject(rotation)) {
            throw new ConfigError(`Config ${key(path)} must be {at: "<ISO date-time>", revokePrevious: true|false}; got ${formatKind(rotation)}.`);
        }
        refuseUnknownFields(key(path), rotation, MANUAL_ROTATION_FIELDS);
        if (rotation.at === undefined) {
            throw new ConfigError(`Config ${key(`${path}.at`)} is missing: give the instant the new generation starts, e.g. "2027-02-10T09:00:00Z" (now, when you add the entry).`);
        }
        if (rotation.revokePrevious === undefined) {
            throw new ConfigError(
                `Config ${key(`${path}.revokePrevious`)} is missing: say true to remove the previous generation at once (it leaked; the add-in can fail ` +
                    "until the new key has propagated), or false to keep it valid meanwhile.",
            );
        }
    });
}

/** The delivery block: objects where objects belong and no field the delivery does not know (its values are the delivery's to check). */
function checkDeliveryShape(key: (path?: string) => string, value: unknown): void {
    if (value === undefined) {
        return;
    }
    if (!isPlainObject(value)) {
        throw new ConfigError(`Config ${key("delivery")} must be an object {keyVault?, appService?, webConfig?}; got ${formatKind(value)}.`);
    }
    refuseUnknownFields(key("delivery"), value, DELIVERY_FIELDS);
    for (const [field, known] of [["keyVault", KEY_VAULT_ARGS_FIELDS], ["appService", APP_SERVICE_ARGS_FIELDS]] as const) {
        const block = value[field];
        if (isPlainObject(block)) {
            refuseUnknownFields(key(`delivery.${field}`), block, known);
        }
    }
}

/** The adopted secret, its keyIds and its end date come together; the secret is in another (secret) key. */
function checkAdoption(key: (path?: string) => string, name: string, entry: Record<string, unknown>, adopted: boolean): void {
    const secretKey = `${CONFIG_KEYS.adoptedClientSecrets}.${name}`;
    for (const field of ["adoptedKeyIds", "adoptedSecretEndDateTime"] as const) {
        if (entry[field] !== undefined && !adopted) {
            throw new ConfigError(
                `Config ${key(field)} is ${formatValue(entry[field])} but ${CONFIG_KEYS.adoptedClientSecrets} has no entry "${name}": ` +
                    `set the secret the app uses today with ${SET_SECRET.replace("<name>", name)}, or remove ${field}.`,
            );
        }
    }
    if (adopted && entry.adoptedKeyIds === undefined) {
        throw new ConfigError(
            `Config ${secretKey} is set but ${key("adoptedKeyIds")} is missing: ` +
                "give the keyIds of the secret the app uses today (npm run inventory lists them; --emit-config fills them in).",
        );
    }
    if (adopted && entry.adoptedSecretEndDateTime === undefined) {
        throw new ConfigError(
            `Config ${secretKey} is set but ${key("adoptedSecretEndDateTime")} is missing: ` +
                "give the date the adopted secret expires (npm run inventory lists the end dates).",
        );
    }
}

/**
 * What two add-ins must not share: a name, a client id (one Entra object, two sets of keys: SharePoint
 * signs with the oldest valid key, which the other add-in's remote web does not hold), a Key Vault
 * secret (each run would overwrite the other's), an App Service site (its app settings are replaced
 * as a whole on every run).
 */
function refuseSharedTargets(addIns: readonly AddInConfig[]): void {
    const claimed = new Map<string, { index: number; name: string; path: string }>();
    const claim = (index: number, path: string, id: string, refusal: (other: string, otherPath: string) => string): void => {
        const other = claimed.get(id);
        if (other !== undefined) {
            throw new ConfigError(`Config ${addInKey(index, addIns[index].name, path)}: ${refusal(addInKey(other.index, other.name), other.path)}`);
        }
        claimed.set(id, { index, name: addIns[index].name, path });
    };
    addIns.forEach((addIn, i) => {
        claim(i, "name", `name/${addIn.name}`, (other) => `${formatValue(addIn.name)} is also the name of ${other}; add-in names must be unique in a stack.`);
        claim(i, "clientId", `clientId/${addIn.clientId}`, (other) =>
            `${formatValue(addIn.clientId)} is also the client id of ${other} (client ids are compared in lower case): two entries on one add-in ` +
            "would each add their own generations, SharePoint signs with the oldest valid key, and one of the remote webs does not hold it. " +
            "Keep one entry per add-in.");
        const vault = addIn.delivery?.keyVault;
        if (vault !== undefined && typeof vault.vaultName === "string") {
            const host = `${vault.vaultName}.${typeof vault.vaultDnsSuffix === "string" ? vault.vaultDnsSuffix : DEFAULT_VAULT_DNS_SUFFIX}`.toLowerCase();
            for (const [field, fallback] of [["clientSecretName", DEFAULT_CLIENT_SECRET_NAME], ["secondaryClientSecretName", DEFAULT_SECONDARY_CLIENT_SECRET_NAME]] as const) {
                const given = vault[field];
                const secret = typeof given === "string" ? given : given === undefined ? fallback : undefined;
                if (secret === undefined) {
                    continue;
                }
                const shown = `${formatValue(secret)}${given === undefined ? " (the default)" : ""}`;
                claim(i, `delivery.keyVault.${field}`, `vault/${host}/${secret.toLowerCase()}`, (other, otherPath) =>
                    `Key Vault secret ${shown} in vault ${formatValue(vault.vaultName)} is also written by ${other} (its ${otherPath}); ` +
                    "each run would overwrite the other's secret. Give each add-in sharing a vault its own clientSecretName and secondaryClientSecretName.");
            }
        }
        const site = addIn.delivery?.appService;
        if (site !== undefined && typeof site.siteName === "string") {
            claim(i, "delivery.appService.siteName", `site/${site.siteName.toLowerCase()}`, (other) =>
                `App Service site ${formatValue(site.siteName)} is also the site of ${other}: its app settings are replaced as a whole on every ` +
                "run, so each add-in would remove the other's ClientId and ClientSecret. Deliver one add-in per site.");
        }
    });
}

/** Refuses fields that are not in `known`, naming each (and the known field it is likely a misspelling of). */
function refuseUnknownFields(where: string, value: Record<string, unknown>, known: Readonly<Record<string, true>>): void {
    const names = Object.keys(known);
    const unknown = Object.keys(value).filter((field) => !Object.hasOwn(known, field));
    if (unknown.length === 0) {
        return;
    }
    const described = unknown.map((field) => {
        const guess = likelyMeant(field, names);
        return `${formatValue(field)}${guess === undefined ? "" : ` (did you mean "${guess}"?)`}`;
    });
    throw new ConfigError(`Config ${where} has unknown field${unknown.length === 1 ? "" : "s"} ${described.join(", ")}; known fields: ${names.join(", ")}.`);
}

/** The known field a misspelt one most likely means: same but for case, a prefix of it, or at most two edits away. */
function likelyMeant(field: string, known: readonly string[]): string | undefined {
    const f = field.toLowerCase();
    const scored = known.map((k) => {
        const c = k.toLowerCase();
        return { k, d: c === f ? 0 : f.length >= 4 && c.startsWith(f) ? 1 : editDistance(f, c) };
    });
    const best = scored.reduce((a, b) => (b.d < a.d ? b : a));
    return best.d <= 2 ? best.k : undefined;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether the CLI handed `key` to the program as a secret (encrypted in the stack file). The Node
 * SDK reads that list with `runtime.isConfigSecret`, which it marks internal; should it go, nothing
 * is refused and tests/cli/config.test.ts fails.
 */
export function isConfigSecret(key: string): boolean {
    const reader = (pulumi.runtime as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return reader === undefined ? true : reader(key);
}

/**
 * The add-in names in `addin-credentials:adoptedClientSecrets` (its raw config text), checking its
 * shape and that it is stored encrypted (`encrypted`: the CLI lists it among the secret keys); no
 * error ever includes a value, which holds secrets. Pulumi.yaml cannot declare the key secret (the
 * CLI would then require it of every stack), so this is where a plain-text value is refused.
 */
export function adoptedSecretNamesOf(raw: string | undefined, encrypted = true): string[] {
    const key = CONFIG_KEYS.adoptedClientSecrets;
    if (raw === undefined || raw === "") {
        return [];
    }
    if (!encrypted) {
        throw new ConfigError(
            `Config ${key} is stored in plain text in the stack file, and it holds client secrets: remove it from the stack file ` +
                `(pulumi config rm ${key}), rotate the secrets it showed if the file was shared, and set each entry encrypted with ${SET_SECRET}.`,
        );
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        throw new ConfigError(`Config ${key} must be an object of add-in name to secret, and is not JSON (not shown: it holds secrets); set each entry with ${SET_SECRET}.`);
    }
    if (!isPlainObject(parsed)) {
        throw new ConfigError(`Config ${key} must be an object of add-in name to secret; got ${formatKind(parsed)} (not shown: it holds secrets). Set each entry with ${SET_SECRET}.`);
    }
    for (const [name, secret] of Object.entries(parsed)) {
        if (typeof secret !== "string" || secret === "") {
            throw new ConfigError(
                `Config ${key}.${name} must be the add-in's secret, a non-empty string; got ${secret === "" ? "an empty string" : formatKind(secret)}. ` +
                    `Set it with ${SET_SECRET.replace("<name>", name)}.`,
            );
        }
    }
    return Object.keys(parsed);
}
