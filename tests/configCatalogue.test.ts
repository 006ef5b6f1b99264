// A catalogue of bad stack configurations: every one is refused by the config parser (before
// anything is declared) with the exact message, which starts with the config key that holds the
// mistake (naming the add-in), names the value, and never holds a secret. A few run through the
// program in preview (the engine stand-in) to show `pulumi preview` fails with that message.
// Engine: the stand-in for the handful of previews, because they check that the program's own
// refusal reaches the preview whole; tests/cli/config.test.ts shows the real CLI prints a refusal
// of the program that way (message alone, no stack trace).
import * as assert from "node:assert/strict";
import { adoptedSecretNamesOf, parseAddIns } from "../program/config";
import { Lab, startLab } from "../tools/lab";
import { EXIT } from "../engine/stack";

/** A recognisable fake secret, set in adoptedClientSecrets (and wherever a mistake could put one): no message may hold it. */
const SECRET = "FAKE-SECRET-b64-Zm9vYmFyYmF6cXV4=";

const CRM = "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11";
const HR = "3f2b8c1e-7d4a-4e6b-9a15-2c8d0e7f4b63";
const KEY = "7c1e2f30-9a4b-4d5e-8f60-1a2b3c4d5e6f";
const crm = { name: "crm", clientId: CRM, firstGenerationStart: "2026-12-01" };
const hr = { name: "hr-portal", clientId: HR, firstGenerationStart: "2026-12-01" };
const adopting = { ...crm, adoptedKeyIds: [KEY], adoptedSecretEndDateTime: "2027-03-15T00:00:00Z" };
const vault = { resourceGroupName: "rg-addins", vaultName: "kv-addins" };
const site = { resourceGroupName: "rg-web", siteName: "app-crm" };

const ADD_IN_FIELDS = "name, clientId, firstGenerationStart, valueSource, lifetimeDays, rotateBeforeExpiryDays, gracePeriodDays, propagationHours, " +
    "manualRotations, adoptedSecretEndDateTime, adoptedKeyIds, cleanup, removeKeyIds, forceCleanup, acceptOutage, decommission, delivery";
const KEY_VAULT_FIELDS = "resourceGroupName, vaultName, clientSecretName, secondaryClientSecretName, vaultDnsSuffix";
const APP_SERVICE_FIELDS = "resourceGroupName, siteName, otherSettings, useKeyVaultReferences";
const ISO_FIX = 'Use an ISO 8601 date ("2025-03-01") or date-time with a time zone ("2025-03-01T09:00:00Z").';
const NAME_RULE = "must be lower-case letters, digits and dashes (1-40, starting with a letter)";
const VAULT_RULE = "the name of an existing vault: 3-24 letters, digits or dashes, starting with a letter, not ending with a dash, no two dashes in a row";
const GROUP_RULE = "the name of an existing resource group: 1-90 letters, digits, underscores, dashes, periods or parentheses, not ending with a period";
const SITE_RULE = "the name of an existing App Service site: 2-60 letters, digits or dashes, not starting or ending with a dash";
const SECRET_NAME_RULE = "1-127 letters, digits or dashes (Key Vault's rule)";
const SET_SECRET = (name: string) => `pulumi config set --secret --path 'adoptedClientSecrets.${name}' <secret>`;
const SPACING = (i: number, at: string, after: string, gen: number, since: string, move: string) =>
    `manualRotations[${i}].at (${at}) is ${after} after generation ${gen} started (${since}): two rotations inside one propagation window (propagationHours = 24) ` +
    "are refused, because the generation that SharePoint would fall back to may not have propagated yet. " +
    `Move it to ${move} or later, or remove it.`;

type Kind =
    | "shape" | "type" | "range" | "format" | "unknown field" | "duplicate" | "manual rotation" | "planner" | "adoption" | "delivery" | "stack key";

interface Bad {
    readonly kind: Kind;
    readonly what: string;
    /** The value of addin-credentials:addins (JSON-parsed). */
    readonly addins: unknown;
    /** addin-credentials:adoptedClientSecrets: an object (stored as its JSON) or the raw text. */
    readonly adopted?: Record<string, unknown> | string;
    readonly planningTime?: string;
    /** The config key the message starts with (after "Config "): it names the add-in where there is one. */
    readonly key: string;
    /** The add-in as the message names it; undefined for keys of the whole stack. */
    readonly addIn: string | undefined;
    /** The value (or, for a missing field, the absence) the message names. */
    readonly value: string;
    readonly message: string;
    /** Also run through the program in preview. */
    readonly preview?: boolean;
}

const at0 = "addin-credentials:addins[0] (crm)";
const at1 = "addin-credentials:addins[1] (hr-portal)";

const CATALOGUE: readonly Bad[] = [
    // --- the list and its entries -----------------------------------------------------------
    {
        kind: "shape", what: "addins is an object, not a list", addins: { crm }, key: "addin-credentials:addins", addIn: undefined, value: "an object",
        message: 'Config addin-credentials:addins must be a non-empty list of add-ins (see README "Configuration reference"); got an object.',
    },
    {
        kind: "shape", what: "addins is an empty list", addins: [], key: "addin-credentials:addins", addIn: undefined, value: "an empty list",
        message: 'Config addin-credentials:addins must be a non-empty list of add-ins (see README "Configuration reference"); got an empty list.',
    },
    {
        kind: "shape", what: "an entry is a string", addins: [crm, "hr-portal"], key: "addin-credentials:addins[1]", addIn: "addins[1]", value: "a string",
        message: "Config addin-credentials:addins[1] must be an object with at least name, clientId and firstGenerationStart; got a string.",
    },
    {
        kind: "shape", what: "an entry is null", addins: [null], key: "addin-credentials:addins[0]", addIn: "addins[0]", value: "null",
        message: "Config addin-credentials:addins[0] must be an object with at least name, clientId and firstGenerationStart; got null.",
    },
    {
        kind: "shape", what: "name is missing", addins: [{ clientId: CRM, firstGenerationStart: "2026-12-01" }], key: "addin-credentials:addins[0].name", addIn: "addins[0]", value: "nothing",
        message: `Config addin-credentials:addins[0].name ${NAME_RULE}; got nothing.`,
    },
    {
        kind: "shape", what: "clientId is missing", addins: [{ name: "crm", firstGenerationStart: "2026-12-01" }], key: `${at0}.clientId`, addIn: "crm", value: "is missing",
        message: `Config ${at0}.clientId is missing: give the add-in's client id (a GUID), as npm run inventory lists it.`,
    },
    {
        kind: "shape", what: "firstGenerationStart is missing", addins: [{ name: "crm", clientId: CRM }], key: `${at0}.firstGenerationStart`, addIn: "crm", value: "is missing",
        message: `Config ${at0}.firstGenerationStart is missing: give the ISO date of the first managed generation, e.g. "2026-11-26".`,
    },

    // --- names and client ids ---------------------------------------------------------------
    {
        kind: "format", what: "name in upper case", addins: [{ ...crm, name: "CRM" }], key: "addin-credentials:addins[0].name", addIn: "addins[0]", value: '"CRM"',
        message: `Config addin-credentials:addins[0].name ${NAME_RULE}; got "CRM".`,
    },
    {
        kind: "format", what: "name starting with a digit", addins: [crm, { ...hr, name: "1hr" }], key: "addin-credentials:addins[1].name", addIn: "addins[1]", value: '"1hr"',
        message: `Config addin-credentials:addins[1].name ${NAME_RULE}; got "1hr".`,
    },
    {
        kind: "format", what: "name of 41 characters", addins: [{ ...crm, name: "a".repeat(41) }], key: "addin-credentials:addins[0].name", addIn: "addins[0]", value: `"${"a".repeat(41)}"`,
        message: `Config addin-credentials:addins[0].name ${NAME_RULE}; got "${"a".repeat(41)}".`,
    },
    {
        kind: "format", what: "clientId is not a GUID", addins: [{ ...crm, clientId: "crm-addin" }], key: `${at0}.clientId`, addIn: "crm", value: '"crm-addin"', preview: true,
        message: `Config ${at0}.clientId: clientId must be the add-in's client id, a GUID like 00000000-0000-0000-0000-000000000000; got "crm-addin".`,
    },
    {
        kind: "format", what: "clientId in braces", addins: [{ ...crm, clientId: `{${CRM}}` }], key: `${at0}.clientId`, addIn: "crm", value: `"{${CRM}}"`,
        message: `Config ${at0}.clientId: clientId must be the add-in's client id, a GUID like 00000000-0000-0000-0000-000000000000; got "{${CRM}}".`,
    },
    {
        kind: "type", what: "clientId is a number", addins: [{ ...crm, clientId: 42 }], key: `${at0}.clientId`, addIn: "crm", value: "42",
        message: `Config ${at0}.clientId: clientId must be the add-in's client id, a GUID like 00000000-0000-0000-0000-000000000000; got 42.`,
    },

    // --- types ------------------------------------------------------------------------------
    {
        kind: "type", what: "lifetimeDays is a string", addins: [{ ...crm, lifetimeDays: "365" }], key: `${at0}.lifetimeDays`, addIn: "crm", value: '"365"',
        message: `Config ${at0}.lifetimeDays: lifetimeDays must be a whole number of days from 2 to 1095; got "365". Set lifetimeDays within that range.`,
    },
    {
        kind: "type", what: "gracePeriodDays is a boolean", addins: [{ ...crm, gracePeriodDays: true }], key: `${at0}.gracePeriodDays`, addIn: "crm", value: "true",
        message: `Config ${at0}.gracePeriodDays: gracePeriodDays must be a whole number of days from 0 to 1095; got true. Set gracePeriodDays within that range.`,
    },
    {
        kind: "type", what: "propagationHours with a unit", addins: [{ ...crm, propagationHours: "24h" }], key: `${at0}.propagationHours`, addIn: "crm", value: '"24h"',
        message: `Config ${at0}.propagationHours: propagationHours must be a number of hours >= 0; got "24h". Use 24 for SharePoint Online.`,
    },
    {
        kind: "type", what: "valueSource misspelt", addins: [{ ...crm, valueSource: "random" }], key: `${at0}.valueSource`, addIn: "crm", value: '"random"',
        message: `Config ${at0}.valueSource: valueSource must be "random-bytes" or "entra-password"; got "random".`,
    },
    {
        kind: "type", what: "forceCleanup is a string", addins: [{ ...crm, forceCleanup: "yes" }], key: `${at0}.forceCleanup`, addIn: "crm", value: '"yes"',
        message: `Config ${at0}.forceCleanup: forceCleanup must be true or false; got "yes".`,
    },
    ...(["acceptOutage", "decommission"] as const).map((flag): Bad => ({
        kind: "type", what: `${flag} is a string`, addins: [{ ...crm, [flag]: "yes" }], key: `${at0}.${flag}`, addIn: "crm", value: '"yes"',
        message: `Config ${at0}.${flag}: ${flag} must be true or false; got "yes".`,
    })),
    {
        kind: "type", what: "cleanup is not a mode", addins: [{ ...crm, cleanup: "all" }], key: `${at0}.cleanup`, addIn: "crm", value: '"all"',
        message: `Config ${at0}.cleanup: cleanup must be one of "expired", "none", "unmanaged"; got "all".`,
    },
    {
        kind: "type", what: "removeKeyIds is one keyId, not a list", addins: [{ ...crm, removeKeyIds: KEY }], key: `${at0}.removeKeyIds`, addIn: "crm", value: `"${KEY}"`,
        message: `Config ${at0}.removeKeyIds: removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got "${KEY}".`,
    },
    {
        kind: "format", what: "removeKeyIds holds a non-GUID", addins: [{ ...crm, removeKeyIds: [KEY, "abc"] }], key: `${at0}.removeKeyIds`, addIn: "crm", value: '["abc"]',
        message: `Config ${at0}.removeKeyIds: removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ["abc"].`,
    },
    {
        kind: "type", what: "firstGenerationStart is a number", addins: [{ ...crm, firstGenerationStart: 20261201 }], key: `${at0}.firstGenerationStart`, addIn: "crm", value: "20261201",
        message: `Config ${at0}.firstGenerationStart: firstGenerationStart must be an ISO 8601 string; got 20261201. ${ISO_FIX}`,
    },
    {
        kind: "type", what: "manualRotations is a string", addins: [{ ...crm, manualRotations: "2027-01-01T00:00:00Z" }], key: `${at0}.manualRotations`, addIn: "crm", value: "a string",
        message: `Config ${at0}.manualRotations must be a list of {at, revokePrevious}; got a string.`,
    },

    // --- ranges and the lifetime the provider accepts ------------------------------------------
    {
        kind: "range", what: "lifetimeDays 1", addins: [{ ...crm, lifetimeDays: 1 }], key: `${at0}.lifetimeDays`, addIn: "crm", value: "got 1.",
        message: `Config ${at0}.lifetimeDays: lifetimeDays must be a whole number of days from 2 to 1095; got 1. Set lifetimeDays within that range.`,
    },
    {
        kind: "range", what: "lifetimeDays 1096, which the provider would refuse at the rotation", addins: [{ ...crm, lifetimeDays: 1096 }], key: `${at0}.lifetimeDays`, addIn: "crm", value: "1096", preview: true,
        message: `Config ${at0}.lifetimeDays: lifetimeDays must be a whole number of days from 2 to 1095; got 1096. Set lifetimeDays within that range.`,
    },
    {
        kind: "range", what: "lifetimeDays 3650", addins: [crm, { ...hr, lifetimeDays: 3650 }], key: `${at1}.lifetimeDays`, addIn: "hr-portal", value: "3650",
        message: `Config ${at1}.lifetimeDays: lifetimeDays must be a whole number of days from 2 to 1095; got 3650. Set lifetimeDays within that range.`,
    },
    {
        kind: "range", what: "lifetimeDays not whole", addins: [{ ...crm, lifetimeDays: 365.5 }], key: `${at0}.lifetimeDays`, addIn: "crm", value: "365.5",
        message: `Config ${at0}.lifetimeDays: lifetimeDays must be a whole number of days from 2 to 1095; got 365.5. Set lifetimeDays within that range.`,
    },
    {
        kind: "range", what: "gracePeriodDays negative", addins: [{ ...crm, gracePeriodDays: -1 }], key: `${at0}.gracePeriodDays`, addIn: "crm", value: "-1",
        message: `Config ${at0}.gracePeriodDays: gracePeriodDays must be a whole number of days from 0 to 1095; got -1. Set gracePeriodDays within that range.`,
    },
    {
        kind: "range", what: "gracePeriodDays beyond the lifetime", addins: [{ ...crm, lifetimeDays: 365, gracePeriodDays: 400 }], key: `${at0}.gracePeriodDays`, addIn: "crm", value: "400",
        message: `Config ${at0}.gracePeriodDays: gracePeriodDays must be a whole number of days from 0 to 365; got 400. Set gracePeriodDays within that range.`,
    },
    {
        kind: "range", what: "rotateBeforeExpiryDays negative", addins: [{ ...crm, rotateBeforeExpiryDays: -5 }], key: `${at0}.rotateBeforeExpiryDays`, addIn: "crm", value: "-5",
        message: `Config ${at0}.rotateBeforeExpiryDays: rotateBeforeExpiryDays must be a whole number of days from 0 to 1095; got -5. Set rotateBeforeExpiryDays within that range.`,
    },
    {
        kind: "planner", what: "rotateBeforeExpiryDays too large for the default lifetime", addins: [{ ...crm, rotateBeforeExpiryDays: 600 }], key: `${at0}.rotateBeforeExpiryDays`, addIn: "crm", value: "600",
        message: `Config ${at0}.rotateBeforeExpiryDays: rotateBeforeExpiryDays must be at most 544 with lifetimeDays 1095 and gracePeriodDays 7; got 600. ` +
            "Rotations are ceil((lifetimeDays + gracePeriodDays) / 2) = 551 days apart so that a slot is reused only after its generation expired plus the " +
            "grace period, which leaves 544 days before expiry. Set rotateBeforeExpiryDays to 544 or less, or increase lifetimeDays, or reduce gracePeriodDays.",
    },
    {
        kind: "planner", what: "rotateBeforeExpiryDays too large for a one-year lifetime", addins: [{ ...crm, lifetimeDays: 365, rotateBeforeExpiryDays: 200 }], key: `${at0}.rotateBeforeExpiryDays`, addIn: "crm", value: "200",
        message: `Config ${at0}.rotateBeforeExpiryDays: rotateBeforeExpiryDays must be at most 179 with lifetimeDays 365 and gracePeriodDays 7; got 200. ` +
            "Rotations are ceil((lifetimeDays + gracePeriodDays) / 2) = 186 days apart so that a slot is reused only after its generation expired plus the " +
            "grace period, which leaves 179 days before expiry. Set rotateBeforeExpiryDays to 179 or less, or increase lifetimeDays, or reduce gracePeriodDays.",
    },
    {
        kind: "range", what: "propagationHours negative", addins: [{ ...crm, propagationHours: -1 }], key: `${at0}.propagationHours`, addIn: "crm", value: "-1",
        message: `Config ${at0}.propagationHours: propagationHours must be a number of hours >= 0; got -1. Use 24 for SharePoint Online.`,
    },
    {
        kind: "planner", what: "propagationHours longer than the time from a rotation to the expiry", addins: [{ ...crm, lifetimeDays: 10, gracePeriodDays: 0, rotateBeforeExpiryDays: 0, propagationHours: 200 }],
        key: `${at0}.propagationHours`, addIn: "crm", value: "200",
        message: `Config ${at0}.propagationHours: propagationHours (200) must fit between a rotation and the expiry of the generation it supersedes, ` +
            "lifetimeDays - ceil((lifetimeDays + gracePeriodDays) / 2) = 5 days; otherwise SharePoint switches to a key that has not propagated. " +
            "Increase lifetimeDays or reduce gracePeriodDays.",
    },

    {
        kind: "planner", what: "rotateBeforeExpiryDays that leaves no day between runs after propagation", addins: [{ ...crm, rotateBeforeExpiryDays: 1 }],
        key: `${at0}.rotateBeforeExpiryDays`, addIn: "crm", value: "rotateBeforeExpiryDays (1)",
        message: `Config ${at0}.rotateBeforeExpiryDays: rotateBeforeExpiryDays (1) minus propagationHours (24) leaves 0 minutes between runs, less than one day: ` +
            "a rotation one daily run late would not propagate before the generation it supersedes expires, and no schedule is free of failed hours. " +
            "Set rotateBeforeExpiryDays to at least 2.",
    },
    {
        kind: "planner", what: "an adopted secret ending shortly before the generation SharePoint moves to", addins: [{ ...adopting, adoptedSecretEndDateTime: "2029-11-20T00:00:00Z" }],
        adopted: { crm: SECRET }, key: `${at0}.adoptedSecretEndDateTime`, addIn: "crm", value: "2029-11-20T00:00:00.000Z",
        message: `Config ${at0}.adoptedSecretEndDateTime: adoptedSecretEndDateTime (2029-11-20T00:00:00.000Z) is 10 days before generation 0 expires ` +
            "(2029-11-30T00:00:00.000Z): SharePoint would change keys twice within rotateBeforeExpiryDays minus propagationHours (29 days), more than the " +
            "two secrets a remote web holds can cover when a run comes late. Set firstGenerationStart so that generation 0 ends at least 29 days after " +
            "the adopted secret, or use a longer lifetimeDays.",
    },

    // --- dates ------------------------------------------------------------------------------
    ...["2026-02-30", "2026-12-01T09:00:00", "01/12/2026", "1999-12-31"].map((value): Bad => ({
        kind: "format", what: `firstGenerationStart "${value}"`, addins: [{ ...crm, firstGenerationStart: value }], key: `${at0}.firstGenerationStart`, addIn: "crm", value: `"${value}"`,
        message: `Config ${at0}.firstGenerationStart: firstGenerationStart must be a valid ISO 8601 date or date-time with a time zone, from year 2000; got "${value}". ${ISO_FIX}`,
    })),
    {
        kind: "format", what: "adoptedSecretEndDateTime is not a date", addins: [{ ...adopting, adoptedSecretEndDateTime: "next year" }], adopted: { crm: SECRET },
        key: `${at0}.adoptedSecretEndDateTime`, addIn: "crm", value: '"next year"',
        message: `Config ${at0}.adoptedSecretEndDateTime: adoptedSecretEndDateTime must be a valid ISO 8601 date or date-time with a time zone, from year 2000; got "next year". ${ISO_FIX}`,
    },
    {
        kind: "format", what: "a manual rotation's at is a word", addins: [{ ...crm, manualRotations: [{ at: "yesterday", revokePrevious: false }] }],
        key: `${at0}.manualRotations[0].at`, addIn: "crm", value: '"yesterday"',
        message: `Config ${at0}.manualRotations[0].at: manualRotations[0].at must be a valid ISO 8601 date or date-time with a time zone, from year 2000; got "yesterday". ${ISO_FIX}`,
    },
    {
        kind: "format", what: "a manual rotation's at has no time zone", addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00", revokePrevious: true }] }],
        key: `${at0}.manualRotations[0].at`, addIn: "crm", value: '"2027-02-10T09:00:00"',
        message: `Config ${at0}.manualRotations[0].at: manualRotations[0].at must be a valid ISO 8601 date or date-time with a time zone, from year 2000; got "2027-02-10T09:00:00". ${ISO_FIX}`,
    },

    // --- fields nobody reads ------------------------------------------------------------------
    {
        kind: "unknown field", what: "lifetime for lifetimeDays", addins: [{ ...crm, lifetime: 365 }], key: at0, addIn: "crm", value: '"lifetime"',
        message: `Config ${at0} has unknown field "lifetime" (did you mean "lifetimeDays"?); known fields: ${ADD_IN_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "clientID for clientId", addins: [crm, { name: "hr-portal", clientID: HR, firstGenerationStart: "2026-12-01" }], key: at1, addIn: "hr-portal", value: '"clientID"',
        message: `Config ${at1} has unknown field "clientID" (did you mean "clientId"?); known fields: ${ADD_IN_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "two misspelt fields", addins: [{ ...crm, lifetime: 365, grace: 7 }], key: at0, addIn: "crm", value: '"grace"',
        message: `Config ${at0} has unknown fields "lifetime" (did you mean "lifetimeDays"?), "grace" (did you mean "gracePeriodDays"?); known fields: ${ADD_IN_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "the adopted secret put into addins (a secret in a plain key)", addins: [{ ...crm, adoptedClientSecret: SECRET }], key: at0, addIn: "crm", value: '"adoptedClientSecret"',
        message: `Config ${at0} has unknown field "adoptedClientSecret"; known fields: ${ADD_IN_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "a misspelt field in an entry without a valid name", addins: [{ Name: "crm", clientId: CRM, firstGenerationStart: "2026-12-01" }],
        key: "addin-credentials:addins[0]", addIn: "addins[0]", value: '"Name"',
        message: `Config addin-credentials:addins[0] has unknown field "Name" (did you mean "name"?); known fields: ${ADD_IN_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "revokePrevios in a manual rotation (silently ignored before)", addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00Z", revokePrevios: true }] }],
        key: `${at0}.manualRotations[0]`, addIn: "crm", value: '"revokePrevios"', preview: true,
        message: `Config ${at0}.manualRotations[0] has unknown field "revokePrevios" (did you mean "revokePrevious"?); known fields: at, revokePrevious.`,
    },
    {
        kind: "unknown field", what: "a note in a manual rotation", addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00Z", revokePrevious: true, reason: "leaked" }] }],
        key: `${at0}.manualRotations[0]`, addIn: "crm", value: '"reason"',
        message: `Config ${at0}.manualRotations[0] has unknown field "reason"; known fields: at, revokePrevious.`,
    },
    {
        kind: "unknown field", what: "appservice for appService (silently dropped before)", addins: [{ ...crm, delivery: { appservice: site } }],
        key: `${at0}.delivery`, addIn: "crm", value: '"appservice"', preview: true,
        message: `Config ${at0}.delivery has unknown field "appservice" (did you mean "appService"?); known fields: keyVault, appService, webConfig.`,
    },
    {
        kind: "unknown field", what: "keyvault for keyVault", addins: [{ ...crm, delivery: { keyvault: vault } }], key: `${at0}.delivery`, addIn: "crm", value: '"keyvault"',
        message: `Config ${at0}.delivery has unknown field "keyvault" (did you mean "keyVault"?); known fields: keyVault, appService, webConfig.`,
    },
    {
        kind: "unknown field", what: "a client secret in the delivery block", addins: [{ ...crm, delivery: { webConfig: true, clientSecret: SECRET } }], key: `${at0}.delivery`, addIn: "crm", value: '"clientSecret"',
        message: `Config ${at0}.delivery has unknown field "clientSecret"; known fields: keyVault, appService, webConfig.`,
    },
    {
        kind: "unknown field", what: "clientSecretname (fell back to the default name before)", addins: [{ ...crm, delivery: { keyVault: { ...vault, clientSecretname: "Crm-ClientSecret" } } }],
        key: `${at0}.delivery.keyVault`, addIn: "crm", value: '"clientSecretname"', preview: true,
        message: `Config ${at0}.delivery.keyVault has unknown field "clientSecretname" (did you mean "clientSecretName"?); known fields: ${KEY_VAULT_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "secretName in keyVault", addins: [{ ...crm, delivery: { keyVault: { ...vault, secretName: "Crm-ClientSecret" } } }],
        key: `${at0}.delivery.keyVault`, addIn: "crm", value: '"secretName"',
        message: `Config ${at0}.delivery.keyVault has unknown field "secretName"; known fields: ${KEY_VAULT_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "sitename for siteName", addins: [{ ...crm, delivery: { appService: { resourceGroupName: "rg-web", sitename: "app-crm" } } }],
        key: `${at0}.delivery.appService`, addIn: "crm", value: '"sitename"',
        message: `Config ${at0}.delivery.appService has unknown field "sitename" (did you mean "siteName"?); known fields: ${APP_SERVICE_FIELDS}.`,
    },
    {
        kind: "unknown field", what: "appSettings for otherSettings", addins: [{ ...crm, delivery: { appService: { ...site, appSettings: { A: "1" } } } }],
        key: `${at0}.delivery.appService`, addIn: "crm", value: '"appSettings"',
        message: `Config ${at0}.delivery.appService has unknown field "appSettings"; known fields: ${APP_SERVICE_FIELDS}.`,
    },

    // --- what two add-ins must not share ------------------------------------------------------
    {
        kind: "duplicate", what: "the same name twice", addins: [crm, { ...hr, name: "crm" }], key: "addin-credentials:addins[1] (crm).name", addIn: "crm", value: '"crm"',
        message: 'Config addin-credentials:addins[1] (crm).name: "crm" is also the name of addin-credentials:addins[0] (crm); add-in names must be unique in a stack.',
    },
    {
        kind: "duplicate", what: "the same client id in two spellings (the second add-in broke)", addins: [crm, { ...hr, clientId: CRM.toUpperCase() }], key: `${at1}.clientId`, addIn: "hr-portal", value: `"${CRM}"`, preview: true,
        message: `Config ${at1}.clientId: "${CRM}" is also the client id of ${at0} (client ids are compared in lower case): two entries on one add-in ` +
            "would each add their own generations, SharePoint signs with the oldest valid key, and one of the remote webs does not hold it. Keep one entry per add-in.",
    },
    {
        kind: "duplicate", what: "two add-ins sharing a vault with the default secret names", addins: [{ ...crm, delivery: { keyVault: vault } }, { ...hr, delivery: { keyVault: vault } }],
        key: `${at1}.delivery.keyVault.clientSecretName`, addIn: "hr-portal", value: '"AddIn-ClientSecret" (the default)', preview: true,
        message: `Config ${at1}.delivery.keyVault.clientSecretName: Key Vault secret "AddIn-ClientSecret" (the default) in vault "kv-addins" is also written by ${at0} ` +
            "(its delivery.keyVault.clientSecretName); each run would overwrite the other's secret. Give each add-in sharing a vault its own clientSecretName and secondaryClientSecretName.",
    },
    {
        kind: "duplicate", what: "the same secret name but for case in the same vault spelt otherwise", addins: [
            { ...crm, delivery: { keyVault: { ...vault, clientSecretName: "Shared-Secret", secondaryClientSecretName: "Crm-Secondary" } } },
            { ...hr, delivery: { keyVault: { resourceGroupName: "rg-other", vaultName: "KV-Addins", clientSecretName: "shared-secret", secondaryClientSecretName: "Hr-Secondary" } } },
        ],
        key: `${at1}.delivery.keyVault.clientSecretName`, addIn: "hr-portal", value: '"shared-secret"',
        message: `Config ${at1}.delivery.keyVault.clientSecretName: Key Vault secret "shared-secret" in vault "KV-Addins" is also written by ${at0} ` +
            "(its delivery.keyVault.clientSecretName); each run would overwrite the other's secret. Give each add-in sharing a vault its own clientSecretName and secondaryClientSecretName.",
    },
    {
        kind: "duplicate", what: "one add-in's secondary secret is the other's primary", addins: [
            { ...crm, delivery: { keyVault: { ...vault, clientSecretName: "Crm-ClientSecret", secondaryClientSecretName: "Hr-ClientSecret" } } },
            { ...hr, delivery: { keyVault: { ...vault, clientSecretName: "Hr-ClientSecret", secondaryClientSecretName: "Hr-SecondaryClientSecret" } } },
        ],
        key: `${at1}.delivery.keyVault.clientSecretName`, addIn: "hr-portal", value: '"Hr-ClientSecret"',
        message: `Config ${at1}.delivery.keyVault.clientSecretName: Key Vault secret "Hr-ClientSecret" in vault "kv-addins" is also written by ${at0} ` +
            "(its delivery.keyVault.secondaryClientSecretName); each run would overwrite the other's secret. Give each add-in sharing a vault its own clientSecretName and secondaryClientSecretName.",
    },
    {
        kind: "duplicate", what: "two add-ins on one App Service site", addins: [{ ...crm, delivery: { appService: site } }, { ...hr, delivery: { appService: { ...site, siteName: "APP-CRM" } } }],
        key: `${at1}.delivery.appService.siteName`, addIn: "hr-portal", value: '"APP-CRM"',
        message: `Config ${at1}.delivery.appService.siteName: App Service site "APP-CRM" is also the site of ${at0}: its app settings are replaced as a whole on every run, ` +
            "so each add-in would remove the other's ClientId and ClientSecret. Deliver one add-in per site.",
    },
    {
        kind: "duplicate", what: "one secret name for ClientSecret and SecondaryClientSecret", addins: [{ ...crm, delivery: { keyVault: { ...vault, clientSecretName: "Crm-Secret", secondaryClientSecretName: "crm-secret" } } }],
        key: `${at0}.delivery.keyVault.secondaryClientSecretName`, addIn: "crm", value: '"Crm-Secret"',
        message: `Config ${at0}.delivery.keyVault.secondaryClientSecretName: keyVault.clientSecretName and keyVault.secondaryClientSecretName are both "Crm-Secret"; give them different names.`,
    },
    {
        kind: "duplicate", what: "the same manual rotation twice", addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00Z", revokePrevious: false }, { at: "2027-02-10T09:00:00Z", revokePrevious: false }] }],
        key: `${at0}.manualRotations`, addIn: "crm", value: "2027-02-10T09:00:00.000Z",
        message: `Config ${at0}.manualRotations: manualRotations must be sorted by at, without duplicates; manualRotations[1].at (2027-02-10T09:00:00.000Z) ` +
            "is not after manualRotations[0].at (2027-02-10T09:00:00.000Z). Keep the entries in the order they happened.",
    },
    {
        kind: "duplicate", what: "an adopted secret for an add-in the stack does not have", addins: [crm], adopted: { "crm-old": SECRET },
        key: "addin-credentials:adoptedClientSecrets", addIn: "crm-old", value: '"crm-old"',
        message: 'Config addin-credentials:adoptedClientSecrets names "crm-old", which no entry of addin-credentials:addins has; remove it, or correct the name to the add-in\'s.',
    },

    // --- manual rotations: exactly {at, revokePrevious}, spaced ------------------------------
    {
        kind: "manual rotation", what: "an entry is a date, not an object", addins: [{ ...crm, manualRotations: ["2027-02-10T09:00:00Z"] }], key: `${at0}.manualRotations[0]`, addIn: "crm", value: "a string",
        message: `Config ${at0}.manualRotations[0] must be {at: "<ISO date-time>", revokePrevious: true|false}; got a string.`,
    },
    {
        kind: "manual rotation", what: "revokePrevious left out", addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00Z" }] }], key: `${at0}.manualRotations[0].revokePrevious`, addIn: "crm", value: "is missing",
        message: `Config ${at0}.manualRotations[0].revokePrevious is missing: say true to remove the previous generation at once (it leaked; the add-in can fail ` +
            "until the new key has propagated), or false to keep it valid meanwhile.",
    },
    {
        kind: "manual rotation", what: "at left out", addins: [{ ...crm, manualRotations: [{ revokePrevious: true }] }], key: `${at0}.manualRotations[0].at`, addIn: "crm", value: "is missing",
        message: `Config ${at0}.manualRotations[0].at is missing: give the instant the new generation starts, e.g. "2027-02-10T09:00:00Z" (now, when you add the entry).`,
    },
    {
        kind: "manual rotation", what: 'revokePrevious "false" as a string', addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00Z", revokePrevious: "false" }] }],
        key: `${at0}.manualRotations[0].revokePrevious`, addIn: "crm", value: '"false"',
        message: `Config ${at0}.manualRotations[0].revokePrevious: manualRotations[0].revokePrevious must be true or false; got "false". Say whether the previous generation is revoked at once.`,
    },
    {
        kind: "manual rotation", what: "revokePrevious 1", addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00Z", revokePrevious: 1 }] }],
        key: `${at0}.manualRotations[0].revokePrevious`, addIn: "crm", value: "got 1.",
        message: `Config ${at0}.manualRotations[0].revokePrevious: manualRotations[0].revokePrevious must be true or false; got 1. Say whether the previous generation is revoked at once.`,
    },
    {
        kind: "planner", what: "two manual rotations inside one propagation window", addins: [{ ...crm, manualRotations: [{ at: "2027-02-10T09:00:00Z", revokePrevious: true }, { at: "2027-02-10T14:00:00Z", revokePrevious: false }] }],
        key: `${at0}.manualRotations`, addIn: "crm", value: "2027-02-10T14:00:00.000Z", preview: true,
        message: `Config ${at0}.manualRotations: ${SPACING(1, "2027-02-10T14:00:00.000Z", "5 hours", 1, "2027-02-10T09:00:00.000Z", "2027-02-11T09:00:00.000Z")}`,
    },
    {
        kind: "planner", what: "a manual rotation 3 hours after generation 0", addins: [{ ...crm, manualRotations: [{ at: "2026-12-01T03:00:00Z", revokePrevious: false }] }],
        key: `${at0}.manualRotations`, addIn: "crm", value: "2026-12-01T03:00:00.000Z",
        message: `Config ${at0}.manualRotations: ${SPACING(0, "2026-12-01T03:00:00.000Z", "3 hours", 0, "2026-12-01T00:00:00.000Z", "2026-12-02T00:00:00.000Z")}`,
    },
    {
        kind: "planner", what: "a manual rotation before firstGenerationStart", addins: [{ ...crm, manualRotations: [{ at: "2026-11-01T00:00:00Z", revokePrevious: false }] }],
        key: `${at0}.manualRotations[0].at`, addIn: "crm", value: "2026-11-01T00:00:00.000Z",
        message: `Config ${at0}.manualRotations[0].at: manualRotations[0].at (2026-11-01T00:00:00.000Z) is before firstGenerationStart (2026-12-01T00:00:00.000Z); ` +
            "there is nothing to rotate yet. Remove the entry or move it after firstGenerationStart.",
    },
    {
        kind: "planner", what: "manual rotations out of order", addins: [{ ...crm, manualRotations: [{ at: "2027-06-01T00:00:00Z", revokePrevious: false }, { at: "2027-02-10T09:00:00Z", revokePrevious: false }] }],
        key: `${at0}.manualRotations`, addIn: "crm", value: "2027-02-10T09:00:00.000Z",
        message: `Config ${at0}.manualRotations: manualRotations must be sorted by at, without duplicates; manualRotations[1].at (2027-02-10T09:00:00.000Z) ` +
            "is not after manualRotations[0].at (2027-06-01T00:00:00.000Z). Keep the entries in the order they happened.",
    },

    // --- adoption: adoptedKeyIds, adoptedSecretEndDateTime and the secret go together ---------------
    {
        kind: "adoption", what: "an end date without the secret", addins: [{ ...crm, adoptedSecretEndDateTime: "2027-03-15T00:00:00Z" }], key: `${at0}.adoptedSecretEndDateTime`, addIn: "crm", value: '"2027-03-15T00:00:00Z"',
        message: `Config ${at0}.adoptedSecretEndDateTime is "2027-03-15T00:00:00Z" but addin-credentials:adoptedClientSecrets has no entry "crm": ` +
            `set the secret the app uses today with ${SET_SECRET("crm")}, or remove adoptedSecretEndDateTime.`,
    },
    {
        kind: "adoption", what: "keyIds without the secret", addins: [{ ...crm, adoptedKeyIds: [KEY] }], key: `${at0}.adoptedKeyIds`, addIn: "crm", value: `["${KEY}"]`,
        message: `Config ${at0}.adoptedKeyIds is ["${KEY}"] but addin-credentials:adoptedClientSecrets has no entry "crm": ` +
            `set the secret the app uses today with ${SET_SECRET("crm")}, or remove adoptedKeyIds.`,
    },
    {
        kind: "adoption", what: "the secret without keyIds", addins: [{ ...crm, adoptedSecretEndDateTime: "2027-03-15T00:00:00Z" }], adopted: { crm: SECRET },
        key: "addin-credentials:adoptedClientSecrets.crm", addIn: "crm", value: "adoptedKeyIds is missing", preview: true,
        message: `Config addin-credentials:adoptedClientSecrets.crm is set but ${at0}.adoptedKeyIds is missing: ` +
            "give the keyIds of the secret the app uses today (npm run inventory lists them; --emit-config fills them in).",
    },
    {
        kind: "adoption", what: "the secret without its end date", addins: [{ ...crm, adoptedKeyIds: [KEY] }], adopted: { crm: SECRET },
        key: "addin-credentials:adoptedClientSecrets.crm", addIn: "crm", value: "adoptedSecretEndDateTime is missing",
        message: `Config addin-credentials:adoptedClientSecrets.crm is set but ${at0}.adoptedSecretEndDateTime is missing: ` +
            "give the date the adopted secret expires (npm run inventory lists the end dates).",
    },
    {
        kind: "adoption", what: "keyIds that are not GUIDs", addins: [{ ...adopting, adoptedKeyIds: ["sign-key"] }], adopted: { crm: SECRET }, key: `${at0}.adoptedKeyIds`, addIn: "crm", value: '["sign-key"]',
        message: `Config ${at0}.adoptedKeyIds: adoptedKeyIds must be a list of the keyIds of the adopted secret's entries (GUIDs, as npm run inventory prints them); got ["sign-key"].`,
    },
    {
        kind: "adoption", what: "an empty list of keyIds", addins: [{ ...adopting, adoptedKeyIds: [] }], adopted: { crm: SECRET }, key: `${at0}.adoptedKeyIds`, addIn: "crm", value: "[]",
        message: `Config ${at0}.adoptedKeyIds: adoptedKeyIds must be a list of the keyIds of the adopted secret's entries (GUIDs, as npm run inventory prints them); got [].`,
    },
    {
        kind: "adoption", what: "one keyId, not a list", addins: [{ ...adopting, adoptedKeyIds: KEY }], adopted: { crm: SECRET }, key: `${at0}.adoptedKeyIds`, addIn: "crm", value: `"${KEY}"`,
        message: `Config ${at0}.adoptedKeyIds: adoptedKeyIds must be a list of the keyIds of the adopted secret's entries (GUIDs, as npm run inventory prints them); got "${KEY}".`,
    },
    {
        kind: "adoption", what: "an empty secret", addins: [adopting], adopted: { crm: "" }, key: "addin-credentials:adoptedClientSecrets.crm", addIn: "crm", value: "an empty string",
        message: `Config addin-credentials:adoptedClientSecrets.crm must be the add-in's secret, a non-empty string; got an empty string. Set it with ${SET_SECRET("crm")}.`,
    },
    {
        kind: "adoption", what: "a secret that is a number", addins: [adopting], adopted: { crm: 12345 }, key: "addin-credentials:adoptedClientSecrets.crm", addIn: "crm", value: "a number",
        message: `Config addin-credentials:adoptedClientSecrets.crm must be the add-in's secret, a non-empty string; got a number. Set it with ${SET_SECRET("crm")}.`,
    },
    {
        kind: "adoption", what: "the whole key set to the secret itself", addins: [adopting], adopted: SECRET, key: "addin-credentials:adoptedClientSecrets", addIn: undefined, value: "is not JSON",
        message: `Config addin-credentials:adoptedClientSecrets must be an object of add-in name to secret, and is not JSON (not shown: it holds secrets); set each entry with ${SET_SECRET("<name>")}.`,
    },
    {
        kind: "adoption", what: "a list of secrets", addins: [adopting], adopted: JSON.stringify([SECRET]), key: "addin-credentials:adoptedClientSecrets", addIn: undefined, value: "a list",
        message: "Config addin-credentials:adoptedClientSecrets must be an object of add-in name to secret; got a list (not shown: it holds secrets). " +
            `Set each entry with ${SET_SECRET("<name>")}.`,
    },

    // --- delivery -----------------------------------------------------------------------------
    {
        kind: "delivery", what: "an empty delivery block", addins: [{ ...crm, delivery: {} }], key: `${at0}.delivery`, addIn: "crm", value: "webConfig unset",
        message: `Config ${at0}.delivery: nothing to deliver (no keyVault, no appService, webConfig unset); set at least one of keyVault, appService or webConfig: true.`,
    },
    {
        kind: "delivery", what: "webConfig false and nothing else", addins: [{ ...crm, delivery: { webConfig: false } }], key: `${at0}.delivery`, addIn: "crm", value: "webConfig false",
        message: `Config ${at0}.delivery: nothing to deliver (no keyVault, no appService, webConfig false); set at least one of keyVault, appService or webConfig: true.`,
    },
    {
        kind: "delivery", what: 'webConfig "yes"', addins: [{ ...crm, delivery: { webConfig: "yes" } }], key: `${at0}.delivery.webConfig`, addIn: "crm", value: '"yes"',
        message: `Config ${at0}.delivery.webConfig: webConfig must be true or false; got "yes".`,
    },
    {
        kind: "delivery", what: "delivery is a vault name", addins: [{ ...crm, delivery: "kv-addins" }], key: `${at0}.delivery`, addIn: "crm", value: "a string",
        message: `Config ${at0}.delivery must be an object {keyVault?, appService?, webConfig?}; got a string.`,
    },
    {
        kind: "delivery", what: "keyVault is a vault name", addins: [{ ...crm, delivery: { keyVault: "kv-addins" } }], key: `${at0}.delivery.keyVault`, addIn: "crm", value: "a string",
        message: `Config ${at0}.delivery.keyVault: keyVault must be an object {resourceGroupName, vaultName, clientSecretName?, secondaryClientSecretName?, vaultDnsSuffix?}; got a string.`,
    },
    {
        kind: "delivery", what: "keyVault without vaultName", addins: [{ ...crm, delivery: { keyVault: { resourceGroupName: "rg-addins" } } }], key: `${at0}.delivery.keyVault.vaultName`, addIn: "crm", value: "is required",
        message: `Config ${at0}.delivery.keyVault.vaultName: keyVault.vaultName is required: ${VAULT_RULE}.`,
    },
    {
        kind: "delivery", what: "keyVault without resourceGroupName", addins: [{ ...crm, delivery: { keyVault: { vaultName: "kv-addins" } } }], key: `${at0}.delivery.keyVault.resourceGroupName`, addIn: "crm", value: "is required",
        message: `Config ${at0}.delivery.keyVault.resourceGroupName: keyVault.resourceGroupName is required: ${GROUP_RULE}.`,
    },
    ...[["kv_addins", "an underscore"], ["kv--addins", "two dashes in a row"], ["kv", "two characters"], ["1kv-addins", "a leading digit"]].map(([value, why]): Bad => ({
        kind: "delivery", what: `a vault name with ${why}`, addins: [{ ...crm, delivery: { keyVault: { ...vault, vaultName: value } } }], key: `${at0}.delivery.keyVault.vaultName`, addIn: "crm", value: `"${value}"`,
        message: `Config ${at0}.delivery.keyVault.vaultName: keyVault.vaultName must be ${VAULT_RULE}; got "${value}".`,
    })),
    {
        kind: "delivery", what: "a secret name with an underscore", addins: [{ ...crm, delivery: { keyVault: { ...vault, clientSecretName: "Crm_ClientSecret" } } }],
        key: `${at0}.delivery.keyVault.clientSecretName`, addIn: "crm", value: '"Crm_ClientSecret"',
        message: `Config ${at0}.delivery.keyVault.clientSecretName: keyVault.clientSecretName must be ${SECRET_NAME_RULE}; got "Crm_ClientSecret".`,
    },
    {
        kind: "delivery", what: "an empty secondary secret name", addins: [{ ...crm, delivery: { keyVault: { ...vault, secondaryClientSecretName: "" } } }],
        key: `${at0}.delivery.keyVault.secondaryClientSecretName`, addIn: "crm", value: '""',
        message: `Config ${at0}.delivery.keyVault.secondaryClientSecretName: keyVault.secondaryClientSecretName must be ${SECRET_NAME_RULE}; got "".`,
    },
    {
        kind: "delivery", what: "a vault DNS suffix given as a URL", addins: [{ ...crm, delivery: { keyVault: { ...vault, vaultDnsSuffix: "https://vault.azure.net" } } }],
        key: `${at0}.delivery.keyVault.vaultDnsSuffix`, addIn: "crm", value: '"https://vault.azure.net"',
        message: `Config ${at0}.delivery.keyVault.vaultDnsSuffix: keyVault.vaultDnsSuffix must be a DNS suffix without a scheme or dots around it, like "vault.azure.net" or "vault.azure.cn"; got "https://vault.azure.net".`,
    },
    ...[["rg addins", "a space"], ["rg-addins.", "a trailing period"], ["", "nothing"]].map(([value, why]): Bad => ({
        kind: "delivery", what: `a resource group name with ${why}`, addins: [{ ...crm, delivery: { keyVault: { ...vault, resourceGroupName: value } } }],
        key: `${at0}.delivery.keyVault.resourceGroupName`, addIn: "crm", value: `"${value}"`,
        message: `Config ${at0}.delivery.keyVault.resourceGroupName: keyVault.resourceGroupName must be ${GROUP_RULE}; got "${value}".`,
    })),
    {
        kind: "delivery", what: "appService without siteName", addins: [{ ...crm, delivery: { appService: { resourceGroupName: "rg-web" } } }], key: `${at0}.delivery.appService.siteName`, addIn: "crm", value: "is required",
        message: `Config ${at0}.delivery.appService.siteName: appService.siteName is required: ${SITE_RULE}.`,
    },
    ...[["-app-crm", "a leading dash"], ["app_crm", "an underscore"]].map(([value, why]): Bad => ({
        kind: "delivery", what: `a site name with ${why}`, addins: [{ ...crm, delivery: { appService: { ...site, siteName: value } } }], key: `${at0}.delivery.appService.siteName`, addIn: "crm", value: `"${value}"`,
        message: `Config ${at0}.delivery.appService.siteName: appService.siteName must be ${SITE_RULE}; got "${value}".`,
    })),
    {
        kind: "delivery", what: "a resource group name that is a number", addins: [{ ...crm, delivery: { appService: { ...site, resourceGroupName: 7 } } }], key: `${at0}.delivery.appService.resourceGroupName`, addIn: "crm", value: "got 7.",
        message: `Config ${at0}.delivery.appService.resourceGroupName: appService.resourceGroupName must be ${GROUP_RULE}; got 7.`,
    },
    {
        kind: "delivery", what: "otherSettings sets ClientSecret (to a secret)", addins: [{ ...crm, delivery: { appService: { ...site, otherSettings: { ClientSecret: SECRET } } } }],
        key: `${at0}.delivery.appService.otherSettings`, addIn: "crm", value: '"ClientSecret"',
        message: `Config ${at0}.delivery.appService.otherSettings: appService.otherSettings must not set "ClientSecret"; ClientId, ClientSecret and SecondaryClientSecret are written by this component.`,
    },
    {
        kind: "delivery", what: "otherSettings sets clientid", addins: [{ ...crm, delivery: { appService: { ...site, otherSettings: { clientid: CRM } } } }],
        key: `${at0}.delivery.appService.otherSettings`, addIn: "crm", value: '"clientid"',
        message: `Config ${at0}.delivery.appService.otherSettings: appService.otherSettings must not set "clientid"; ClientId, ClientSecret and SecondaryClientSecret are written by this component.`,
    },
    {
        kind: "delivery", what: "otherSettings with an empty name", addins: [{ ...crm, delivery: { appService: { ...site, otherSettings: { "": "x" } } } }],
        key: `${at0}.delivery.appService.otherSettings`, addIn: "crm", value: '""',
        message: `Config ${at0}.delivery.appService.otherSettings: appService.otherSettings has an empty setting name ""; remove it.`,
    },
    {
        kind: "delivery", what: "an app setting that is a number", addins: [{ ...crm, delivery: { appService: { ...site, otherSettings: { WEBSITE_RUN_FROM_PACKAGE: 1 } } } }],
        key: `${at0}.delivery.appService.otherSettings.WEBSITE_RUN_FROM_PACKAGE`, addIn: "crm", value: "a number",
        message: `Config ${at0}.delivery.appService.otherSettings.WEBSITE_RUN_FROM_PACKAGE: appService.otherSettings.WEBSITE_RUN_FROM_PACKAGE must be a string; got a number (not shown: settings can hold secrets).`,
    },
    {
        kind: "delivery", what: "an app setting that is an object holding a secret", addins: [{ ...crm, delivery: { appService: { ...site, otherSettings: { Storage: { key: SECRET } } } } }],
        key: `${at0}.delivery.appService.otherSettings.Storage`, addIn: "crm", value: "an object",
        message: `Config ${at0}.delivery.appService.otherSettings.Storage: appService.otherSettings.Storage must be a string; got an object (not shown: settings can hold secrets).`,
    },
    {
        kind: "delivery", what: "otherSettings as a list", addins: [{ ...crm, delivery: { appService: { ...site, otherSettings: [`Storage=${SECRET}`] } } }],
        key: `${at0}.delivery.appService.otherSettings`, addIn: "crm", value: "a list",
        message: `Config ${at0}.delivery.appService.otherSettings: appService.otherSettings must be an object of setting name to value; got a list (not shown: settings can hold secrets).`,
    },
    {
        kind: "delivery", what: 'useKeyVaultReferences "true"', addins: [{ ...crm, delivery: { keyVault: vault, appService: { ...site, useKeyVaultReferences: "true" } } }],
        key: `${at0}.delivery.appService.useKeyVaultReferences`, addIn: "crm", value: '"true"',
        message: `Config ${at0}.delivery.appService.useKeyVaultReferences: appService.useKeyVaultReferences must be true or false; got "true".`,
    },
    {
        kind: "delivery", what: "Key Vault references without a vault", addins: [{ ...crm, delivery: { appService: { ...site, useKeyVaultReferences: true } } }],
        key: `${at0}.delivery.appService.useKeyVaultReferences`, addIn: "crm", value: "is true",
        message: `Config ${at0}.delivery.appService.useKeyVaultReferences: appService.useKeyVaultReferences is true, which needs keyVault (the vault the references point to); ` +
            "set keyVault or drop useKeyVaultReferences.",
    },

    // --- keys of the whole stack ----------------------------------------------------------------
    {
        kind: "stack key", what: "planningTime that is not a date", addins: [crm], planningTime: "next tuesday", key: "addin-credentials:planningTime", addIn: undefined, value: '"next tuesday"',
        message: 'Config addin-credentials:planningTime: planningTime must be an ISO 8601 date ("2025-03-01") or date-time with a time zone ("2025-03-01T09:00:00Z"), or empty for now; got "next tuesday".',
    },
    {
        kind: "stack key", what: "planningTime without a time zone (read in the runner's local time before)", addins: [crm], planningTime: "2027-06-01T09:00", key: "addin-credentials:planningTime", addIn: undefined, value: '"2027-06-01T09:00"',
        message: 'Config addin-credentials:planningTime: planningTime must be an ISO 8601 date ("2025-03-01") or date-time with a time zone ("2025-03-01T09:00:00Z"), or empty for now; got "2027-06-01T09:00".',
    },
];

/** Configurations that look like mistakes but are not: the rules must let them through. */
const ACCEPTED: readonly { readonly what: string; readonly addins: unknown[]; readonly adopted?: Record<string, string> }[] = [
    { what: "the longest lifetime, and the shortest", addins: [{ ...crm, lifetimeDays: 1095 }, { ...hr, lifetimeDays: 2, gracePeriodDays: 0, rotateBeforeExpiryDays: 1, propagationHours: 0 }] },
    { what: "a client id in upper case", addins: [{ ...crm, clientId: CRM.toUpperCase() }] },
    {
        what: "two add-ins in one vault with their own secret names",
        addins: [
            { ...crm, delivery: { keyVault: { ...vault, clientSecretName: "Crm-ClientSecret", secondaryClientSecretName: "Crm-SecondaryClientSecret" } } },
            { ...hr, delivery: { keyVault: { ...vault, clientSecretName: "Hr-ClientSecret", secondaryClientSecretName: "Hr-SecondaryClientSecret" } } },
        ],
    },
    { what: "vaults of the same name in two clouds", addins: [{ ...crm, delivery: { keyVault: vault } }, { ...hr, delivery: { keyVault: { ...vault, vaultDnsSuffix: "vault.azure.cn" } } }] },
    { what: "a manual rotation exactly one propagation window after generation 0", addins: [{ ...crm, manualRotations: [{ at: "2026-12-02T00:00:00Z", revokePrevious: true }] }] },
    { what: "an adoption with all three parts", addins: [adopting], adopted: { crm: SECRET } },
    {
        what: "every delivery target at once",
        addins: [{ ...crm, delivery: { keyVault: { ...vault, vaultDnsSuffix: "vault.azure.net" }, appService: { ...site, otherSettings: { A: "1" }, useKeyVaultReferences: true }, webConfig: true } }],
    },
];

function adoptedRaw(bad: { readonly adopted?: Record<string, unknown> | string }): string | undefined {
    return bad.adopted === undefined ? undefined : typeof bad.adopted === "string" ? bad.adopted : JSON.stringify(bad.adopted);
}

/** Parses the configuration as index.ts does. */
function parse(bad: Pick<Bad, "addins" | "adopted" | "planningTime">): unknown {
    return parseAddIns(bad.addins, adoptedSecretNamesOf(adoptedRaw(bad)), bad.planningTime);
}

function refusal(bad: Bad): string {
    try {
        parse(bad);
    } catch (e) {
        return (e as Error).message;
    }
    return assert.fail(`accepted: ${bad.what}`);
}

describe("config catalogue: bad stack configurations", () => {
    it("holds at least 70 bad configurations, of every kind", () => {
        const counts = new Map<Kind, number>();
        for (const bad of CATALOGUE) counts.set(bad.kind, (counts.get(bad.kind) ?? 0) + 1);
        assert.ok(CATALOGUE.length >= 70, `${CATALOGUE.length} entries`);
        const kinds: Kind[] = ["shape", "type", "range", "format", "unknown field", "duplicate", "manual rotation", "planner", "adoption", "delivery", "stack key"];
        assert.deepEqual([...counts.keys()].sort(), kinds.sort());
        assert.equal(new Set(CATALOGUE.map((b) => b.what)).size, CATALOGUE.length, "every entry says what is wrong with it, differently");
    });

    describe("each is refused by the config parser, naming the add-in, the key and the value, echoing no secret", () => {
        for (const bad of CATALOGUE) {
            it(`${bad.kind}: ${bad.what}`, () => {
                const message = refusal(bad);
                assert.equal(message, bad.message);
                assert.ok(message.startsWith(`Config ${bad.key}`), `starts with the key ${bad.key}`);
                if (bad.addIn !== undefined) assert.ok(message.includes(bad.addIn), `names the add-in ${bad.addIn}`);
                assert.ok(message.includes(bad.value), `names the value ${bad.value}`);
                assert.ok(!message.includes(SECRET), "echoes no secret");
            });
        }
    });

    describe("accepts what only looks wrong", () => {
        for (const good of ACCEPTED) {
            it(good.what, () => {
                assert.equal((parse(good) as unknown[]).length, good.addins.length);
            });
        }
    });

    describe("fails pulumi preview with the same message (index.ts through the engine stand-in)", function () {
        this.timeout(60_000);
        let lab: Lab;

        before(async () => {
            lab = await startLab();
        });

        after(async () => {
            await lab?.close();
        });

        const previewed = CATALOGUE.filter((b) => b.preview === true);
        it("runs a handful of them", () => assert.ok(previewed.length >= 8, `${previewed.length}`));

        for (const bad of previewed) {
            it(`${bad.kind}: ${bad.what}`, async () => {
                const adopted = adoptedRaw(bad);
                const config: Record<string, string> = { "addin-credentials:addins": JSON.stringify(bad.addins) };
                if (adopted !== undefined) config["addin-credentials:adoptedClientSecrets"] = adopted;
                if (bad.planningTime !== undefined) config["addin-credentials:planningTime"] = bad.planningTime;

                const result = await lab.newStack({ stack: "catalogue" }).preview({ config, secretKeys: adopted === undefined ? [] : ["addin-credentials:adoptedClientSecrets"] });

                assert.equal(result.exitCode, EXIT.error);
                assert.ok((result.error ?? "").includes(bad.message), result.error);
                assert.deepEqual(result.preview.steps.filter((s) => s.op !== "refresh"), [], "nothing is planned");
                const everything = [result.error, result.preview.consoleText, ...result.preview.logs.map((l) => l.message)].join("\n");
                assert.ok(!everything.includes(SECRET), "no secret in the error, the console or the logs");
            });
        }
    });
});
