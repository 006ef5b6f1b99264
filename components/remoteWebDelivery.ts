// RemoteWebDelivery: hands an add-in's ClientId / ClientSecret / SecondaryClientSecret to its remote
// web, so nobody copies a secret into web.config by hand (the last step of the classic manual renewal). Three independent,
// optional targets:
//
//   keyVault    two keyvault.Secret children (ARM management plane), for App Service Key Vault
//               references or any app that reads the vault itself;
//   appService  one web.WebAppApplicationSettings child. That resource REPLACES the site's whole
//               app-settings collection (pulumi/pulumi-azure-native#1876), so settings this
//               component does not list are removed: callers keep theirs through otherSettings,
//               and every run warns about it;
//   webConfig   a secret `<appSettings>` fragment for IIS-hosted remote webs, delivered by whatever
//               deploys the site's files.
//
// App Service re-reads a versionless Key Vault reference within 24 hours of a new secret version.
// The rotation plan tolerates that lag: a rotation happens rotateBeforeExpiryDays (30 by default)
// before the old secret expires, ACS keeps signing with the old secret until it expires, and the
// old secret stays valid and stays in SecondaryClientSecret all that time (docs/FACTS.md §3).

import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as web from "@pulumi/azure-native/web";
import { isGuid } from "./graph/target";
import { formatKind, formatValue } from "./limits";

/** Delivery to existing Azure Key Vault secrets (the vault itself is not managed here). */
export interface RemoteWebKeyVaultArgs {
    /** Resource group of the existing vault. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Name of the existing vault. */
    readonly vaultName: pulumi.Input<string>;
    /**
     * Secret name that holds ClientSecret; letters, digits and dashes (Key Vault's rule).
     * @default "AddIn-ClientSecret"
     */
    readonly clientSecretName?: pulumi.Input<string>;
    /**
     * Secret name that holds SecondaryClientSecret; letters, digits and dashes.
     * @default "AddIn-SecondaryClientSecret"
     */
    readonly secondaryClientSecretName?: pulumi.Input<string>;
    /**
     * DNS suffix of the cloud's vaults, for the secrets' versionless URIs (vault.azure.cn,
     * vault.usgovcloudapi.net in national clouds).
     * @default "vault.azure.net"
     */
    readonly vaultDnsSuffix?: pulumi.Input<string>;
}

/** Key Vault's DNS suffix in the public cloud. */
export const DEFAULT_VAULT_DNS_SUFFIX = "vault.azure.net";

/** Delivery to the app settings of an existing App Service site. */
export interface RemoteWebAppServiceArgs {
    /** Resource group of the existing site. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Name of the existing site (web app). */
    readonly siteName: pulumi.Input<string>;
    /**
     * The site's other app settings, written alongside ClientId / ClientSecret /
     * SecondaryClientSecret. WebAppApplicationSettings replaces the whole collection, so every
     * setting the site needs must be listed here or it is removed.
     * @default - no other settings: the site keeps only the three add-in settings
     */
    readonly otherSettings?: Readonly<Record<string, pulumi.Input<string>>>;
    /**
     * Write `@Microsoft.KeyVault(SecretUri=...)` references instead of the secret values; needs
     * `keyVault`, and the site's managed identity must be allowed to read those secrets.
     * @default false
     */
    readonly useKeyVaultReferences?: boolean;
}

/** The arguments for constructing a {@link RemoteWebDelivery}. */
export interface RemoteWebDeliveryArgs {
    /** The add-in's client id (a GUID), delivered as `ClientId`. */
    readonly clientId: pulumi.Input<string>;
    /** The current client secret (a secret), delivered as `ClientSecret`. */
    readonly clientSecret: pulumi.Input<string>;
    /**
     * The previous, still valid client secret (a secret), delivered as `SecondaryClientSecret`.
     * If it resolves to undefined or "" (no previous generation yet), ClientSecret is written in its
     * place, so the setting and the vault secret never flap in and out of existence.
     * @default - no SecondaryClientSecret anywhere (no vault secret, app setting or XML entry)
     */
    readonly secondaryClientSecret?: pulumi.Input<string | undefined>;
    /**
     * Write the secrets to an existing Key Vault.
     * @default - no Key Vault secrets
     */
    readonly keyVault?: RemoteWebKeyVaultArgs;
    /**
     * Write the app settings of an existing App Service site (replacing its whole collection).
     * @default - the site's app settings are not touched
     */
    readonly appService?: RemoteWebAppServiceArgs;
    /**
     * Produce `webConfigAppSettings`, a secret `<appSettings>` fragment for IIS-hosted remote webs.
     * @default false
     */
    readonly webConfig?: boolean;
}

/** Default Key Vault secret name for ClientSecret. */
export const DEFAULT_CLIENT_SECRET_NAME = "AddIn-ClientSecret";
/** Default Key Vault secret name for SecondaryClientSecret. */
export const DEFAULT_SECONDARY_CLIENT_SECRET_NAME = "AddIn-SecondaryClientSecret";

// The setting names TokenHelper.cs reads (WebConfigurationManager.AppSettings.Get(...)).
const CLIENT_ID = "ClientId";
const CLIENT_SECRET = "ClientSecret";
const SECONDARY_CLIENT_SECRET = "SecondaryClientSecret";

/**
 * Delivers an add-in's ClientId, ClientSecret and SecondaryClientSecret to its remote web: Key Vault
 * secrets, App Service app settings, and/or a web.config `<appSettings>` fragment.
 */
export class RemoteWebDelivery extends pulumi.ComponentResource {
    /** Versionless URI of the ClientSecret vault secret; undefined without `keyVault`. */
    public readonly clientSecretUri: pulumi.Output<string> | undefined;
    /** Versionless URI of the SecondaryClientSecret vault secret; undefined without both `keyVault` and `secondaryClientSecret`. */
    public readonly secondaryClientSecretUri: pulumi.Output<string> | undefined;
    /** `@Microsoft.KeyVault(SecretUri=...)` for ClientSecret, ready for an app setting; undefined without `keyVault`. */
    public readonly clientSecretReference: pulumi.Output<string> | undefined;
    /** `@Microsoft.KeyVault(SecretUri=...)` for SecondaryClientSecret; undefined when there is no such vault secret. */
    public readonly secondaryClientSecretReference: pulumi.Output<string> | undefined;
    /** The names of the app settings the site holds after an update (sorted); undefined without `appService`. */
    public readonly appSettingNames: readonly string[] | undefined;
    /** Secret `<appSettings>` XML fragment for web.config; undefined unless `webConfig` is true. */
    public readonly webConfigAppSettings: pulumi.Output<string> | undefined;

    /**
     * @param name Unique name; children are named `${name}-<role>`.
     * @param args What to deliver and where.
     * @param opts Component options.
     */
    constructor(name: string, args: RemoteWebDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("addin-credentials:index:RemoteWebDelivery", name, {}, opts);
        validateRemoteWebDeliveryArgs(name, args);

        const clientSecret = pulumi.secret(args.clientSecret);
        const secondaryClientSecret =
            args.secondaryClientSecret === undefined
                ? undefined
                : pulumi.secret(withFallback(args.secondaryClientSecret, clientSecret));

        let references: { primary: pulumi.Output<string>; secondary?: pulumi.Output<string> } | undefined;
        if (args.keyVault !== undefined) {
            const vault = args.keyVault;
            const primary = this.vaultSecret(`${name}-client-secret`, vault, vault.clientSecretName ?? DEFAULT_CLIENT_SECRET_NAME, clientSecret);
            this.clientSecretUri = primary;
            this.clientSecretReference = keyVaultReference(primary);
            if (secondaryClientSecret !== undefined) {
                const secondary = this.vaultSecret(
                    `${name}-secondary-client-secret`,
                    vault,
                    vault.secondaryClientSecretName ?? DEFAULT_SECONDARY_CLIENT_SECRET_NAME,
                    secondaryClientSecret,
                );
                this.secondaryClientSecretUri = secondary;
                this.secondaryClientSecretReference = keyVaultReference(secondary);
            }
            references = { primary: this.clientSecretReference, secondary: this.secondaryClientSecretReference };
        }

        if (args.appService !== undefined) {
            const site = args.appService;
            const values = site.useKeyVaultReferences === true && references !== undefined
                ? references
                : { primary: clientSecret, secondary: secondaryClientSecret };
            const properties = appSettingsProperties(args.clientId, values.primary, values.secondary, site.otherSettings ?? {});
            const settings = new web.WebAppApplicationSettings(
                `${name}-app-settings`,
                { resourceGroupName: site.resourceGroupName, name: site.siteName, properties },
                { parent: this, retainOnDelete: true },
            );
            // The names are known now, even when a new secret value is not (preview), so the
            // warning shows in every preview and up: the replace-all behaviour is easy to forget,
            // and the settings it would remove are not visible in this program.
            const names = [...Object.keys(site.otherSettings ?? {}), CLIENT_ID, CLIENT_SECRET];
            if (values.secondary !== undefined) {
                names.push(SECONDARY_CLIENT_SECRET);
            }
            this.appSettingNames = names.sort();
            const settingNames = this.appSettingNames;
            pulumi.output(site.siteName).apply((siteName) => pulumi.log.warn(appSettingsReplacementWarning(siteName, settingNames), settings));
        }

        if (args.webConfig === true) {
            this.webConfigAppSettings = pulumi.secret(
                pulumi.all([args.clientId, clientSecret, secondaryClientSecret]).apply(([id, primary, secondary]) =>
                    webConfigAppSettingsXml(id, primary, secondary),
                ),
            );
        }

        this.registerOutputs({
            clientSecretUri: this.clientSecretUri,
            secondaryClientSecretUri: this.secondaryClientSecretUri,
            clientSecretReference: this.clientSecretReference,
            secondaryClientSecretReference: this.secondaryClientSecretReference,
            appSettingNames: this.appSettingNames,
            webConfigAppSettings: this.webConfigAppSettings,
        });
    }

    // One vault secret; returns its versionless URI, made from the vault's and the secret's names:
    // the service's own `properties.secretUri` is unknown in every preview that changes the value
    // (azure-native previews computed outputs as unknown), and an App Service setting built from it
    // would show an update in the preview that the update then does not make.
    // retainOnDelete: taking an add-in out of the stack must not take its secret from the remote web.
    private vaultSecret(
        childName: string,
        vault: RemoteWebKeyVaultArgs,
        secretName: pulumi.Input<string>,
        value: pulumi.Output<string>,
    ): pulumi.Output<string> {
        const secret = new keyvault.Secret(
            childName,
            {
                resourceGroupName: vault.resourceGroupName,
                vaultName: vault.vaultName,
                secretName,
                properties: pulumi.secret(value.apply((v) => ({ value: v }))),
            },
            { parent: this, retainOnDelete: true },
        );
        // Through the secret's id (known in a preview once the secret exists), so that whatever
        // uses the URI is created after the secret.
        return pulumi.all([secret.id, vault.vaultName, vault.vaultDnsSuffix ?? DEFAULT_VAULT_DNS_SUFFIX, secretName])
            .apply(([, vaultName, suffix, nameOfSecret]) => `https://${vaultName}.${suffix}/secrets/${nameOfSecret}`);
    }
}

/**
 * Checks the arguments of a {@link RemoteWebDelivery} before anything is created. Only values known
 * at construction time are checked; no message ever contains a secret.
 * @throws Error naming the argument, the value received (never a secret) and the fix.
 */
export function validateRemoteWebDeliveryArgs(name: string, args: RemoteWebDeliveryArgs): void {
    const [first] = remoteWebDeliveryArgsFailures(args);
    if (first !== undefined) {
        throw new Error(`RemoteWebDelivery "${name}": ${first.reason}`);
    }
}

/** The fields of {@link RemoteWebKeyVaultArgs}, for callers that refuse any other (the stack config). */
export const KEY_VAULT_ARGS_FIELDS: Readonly<Record<keyof RemoteWebKeyVaultArgs, true>> = {
    resourceGroupName: true, vaultName: true, clientSecretName: true, secondaryClientSecretName: true, vaultDnsSuffix: true,
};

/** The fields of {@link RemoteWebAppServiceArgs}, for callers that refuse any other (the stack config). */
export const APP_SERVICE_ARGS_FIELDS: Readonly<Record<keyof RemoteWebAppServiceArgs, true>> = {
    resourceGroupName: true, siteName: true, otherSettings: true, useKeyVaultReferences: true,
};

/**
 * What is wrong with the arguments of a {@link RemoteWebDelivery}, as `{property, reason}` with the
 * property's path in the arguments (`keyVault.vaultName`; `""` for the arguments as a whole). Only
 * values known now are checked (an Output or a Promise is taken as it is); a reason never contains
 * a secret or the value of an app setting.
 */
export function remoteWebDeliveryArgsFailures(
    args: Omit<RemoteWebDeliveryArgs, "clientId" | "clientSecret"> & Partial<Pick<RemoteWebDeliveryArgs, "clientId" | "clientSecret">>,
): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const fail = (property: string, reason: string): void => void failures.push({ property, reason });
    const name = (property: string, value: unknown, rule: NameRule, required: boolean): void => {
        if (value === undefined) {
            if (required) fail(property, `${property} is required: ${rule.text}.`);
        } else if (typeof value === "string" ? !rule.pattern.test(value) : !isInput(value)) {
            fail(property, `${property} must be ${rule.text}; got ${formatValue(value)}.`);
        }
    };
    const object = (property: string, value: unknown, shape: string): value is object => {
        if (value === undefined) return false;
        if (isPlainObject(value)) return true;
        fail(property, `${property} must be an object ${shape}; got ${formatKind(value)}.`);
        return false;
    };
    const flag = (property: string, value: unknown): void => {
        if (value !== undefined && typeof value !== "boolean") fail(property, `${property} must be true or false; got ${formatValue(value)}.`);
    };

    flag("webConfig", args.webConfig);
    if (args.keyVault === undefined && args.appService === undefined && args.webConfig !== true && failures.length === 0) {
        fail(
            "",
            `nothing to deliver (no keyVault, no appService, webConfig ${args.webConfig === undefined ? "unset" : formatValue(args.webConfig)}); ` +
                "set at least one of keyVault, appService or webConfig: true.",
        );
    }
    if (typeof args.clientId === "string" && !isGuid(args.clientId)) {
        fail("clientId", `clientId must be a GUID (the add-in's client id); got ${formatValue(args.clientId)}.`);
    }
    if (typeof args.clientSecret === "string" && args.clientSecret === "") {
        fail("clientSecret", "clientSecret is empty; pass the add-in's current client secret.");
    }
    const vault = args.keyVault;
    if (object("keyVault", vault, "{resourceGroupName, vaultName, clientSecretName?, secondaryClientSecretName?, vaultDnsSuffix?}")) {
        name("keyVault.resourceGroupName", vault.resourceGroupName, RESOURCE_GROUP_NAME, true);
        name("keyVault.vaultName", vault.vaultName, VAULT_NAME, true);
        const primary = vault.clientSecretName ?? DEFAULT_CLIENT_SECRET_NAME;
        const secondary = vault.secondaryClientSecretName ?? DEFAULT_SECONDARY_CLIENT_SECRET_NAME;
        name("keyVault.clientSecretName", primary, VAULT_SECRET_NAME, true);
        name("keyVault.secondaryClientSecretName", secondary, VAULT_SECRET_NAME, true);
        // Key Vault secret names are case-insensitive: one name would make both settings share a value.
        if (typeof primary === "string" && typeof secondary === "string" && primary.toLowerCase() === secondary.toLowerCase()) {
            fail(
                "keyVault.secondaryClientSecretName",
                `keyVault.clientSecretName and keyVault.secondaryClientSecretName are both ${formatValue(primary)}; give them different names.`,
            );
        }
        name("keyVault.vaultDnsSuffix", vault.vaultDnsSuffix, DNS_SUFFIX, false);
    }
    const site = args.appService;
    if (object("appService", site, "{resourceGroupName, siteName, otherSettings?, useKeyVaultReferences?}")) {
        name("appService.resourceGroupName", site.resourceGroupName, RESOURCE_GROUP_NAME, true);
        name("appService.siteName", site.siteName, SITE_NAME, true);
        flag("appService.useKeyVaultReferences", site.useKeyVaultReferences);
        if (site.useKeyVaultReferences === true && vault === undefined) {
            fail(
                "appService.useKeyVaultReferences",
                "appService.useKeyVaultReferences is true, which needs keyVault (the vault the references point to); set keyVault or drop useKeyVaultReferences.",
            );
        }
        // App Service setting names are case-insensitive (they become environment variables).
        const owned = new Set([CLIENT_ID, CLIENT_SECRET, SECONDARY_CLIENT_SECRET].map((s) => s.toLowerCase()));
        // Values of other settings are never shown: connection strings and keys live there.
        if (site.otherSettings !== undefined && !isPlainObject(site.otherSettings)) {
            fail("appService.otherSettings", `appService.otherSettings must be an object of setting name to value; got ${formatKind(site.otherSettings)} (not shown: settings can hold secrets).`);
        }
        for (const [key, value] of isPlainObject(site.otherSettings) ? Object.entries(site.otherSettings) : []) {
            if (owned.has(key.toLowerCase())) {
                fail(
                    "appService.otherSettings",
                    `appService.otherSettings must not set ${formatValue(key)}; ClientId, ClientSecret and SecondaryClientSecret are written by this component.`,
                );
            } else if (key.trim() === "") {
                fail("appService.otherSettings", `appService.otherSettings has an empty setting name ${formatValue(key)}; remove it.`);
            } else if (typeof value !== "string" && !isInput(value)) {
                fail(`appService.otherSettings.${key}`, `appService.otherSettings.${key} must be a string; got ${formatKind(value)} (not shown: settings can hold secrets).`);
            }
        }
    }
    return failures;
}

/**
 * The warning every run shows for App Service delivery: which settings the site will hold, and that
 * all others are removed.
 */
export function appSettingsReplacementWarning(siteName: string, settingNames: readonly string[]): string {
    return (
        `App Service site "${siteName}": its app settings are replaced as a whole; after this update it holds only ` +
        `${settingNames.join(", ")}. Any other setting is removed: list the ones to keep in delivery.appService.otherSettings.`
    );
}

/**
 * The `<appSettings>` fragment for an IIS-hosted remote web's web.config, with XML-escaped values.
 * SecondaryClientSecret is left out when `secondaryClientSecret` is undefined.
 */
export function webConfigAppSettingsXml(clientId: string, clientSecret: string, secondaryClientSecret: string | undefined): string {
    const entries: [string, string][] = [[CLIENT_ID, clientId], [CLIENT_SECRET, clientSecret]];
    if (secondaryClientSecret !== undefined) {
        entries.push([SECONDARY_CLIENT_SECRET, secondaryClientSecret]);
    }
    const lines = entries.map(([key, value]) => `  <add key="${escapeXmlAttribute(key)}" value="${escapeXmlAttribute(value)}" />`);
    return ["<appSettings>", ...lines, "</appSettings>"].join("\n");
}

/** Escapes a string for a double-quoted XML attribute value (the five predefined entities, plus tab/CR/LF so they survive attribute normalisation). */
export function escapeXmlAttribute(value: string): string {
    return value.replace(/[&<>"'\t\n\r]/g, (c) => XML_ESCAPES[c]);
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&apos;",
    "\t": "&#x9;",
    "\n": "&#xA;",
    "\r": "&#xD;",
};

/** A naming rule of an Azure resource: the pattern and how a message says it. */
interface NameRule {
    readonly pattern: RegExp;
    readonly text: string;
}

// Azure's naming rules (learn.microsoft.com, "Naming rules and restrictions for Azure resources").
const VAULT_SECRET_NAME: NameRule = { pattern: /^[0-9A-Za-z-]{1,127}$/, text: "1-127 letters, digits or dashes (Key Vault's rule)" };
const VAULT_NAME: NameRule = {
    pattern: /^(?!.*--)[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/,
    text: "the name of an existing vault: 3-24 letters, digits or dashes, starting with a letter, not ending with a dash, no two dashes in a row",
};
const RESOURCE_GROUP_NAME: NameRule = {
    pattern: /^[-\w.()\p{L}\p{N}]{0,89}[-\w()\p{L}\p{N}]$/u,
    text: "the name of an existing resource group: 1-90 letters, digits, underscores, dashes, periods or parentheses, not ending with a period",
};
const SITE_NAME: NameRule = {
    pattern: /^[\p{L}\p{N}][\p{L}\p{N}-]{0,58}[\p{L}\p{N}]$/u,
    text: "the name of an existing App Service site: 2-60 letters, digits or dashes, not starting or ending with a dash",
};
const DNS_SUFFIX: NameRule = {
    pattern: /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/,
    text: `a DNS suffix without a scheme or dots around it, like "${DEFAULT_VAULT_DNS_SUFFIX}" or "vault.azure.cn"`,
};

/** An Input whose value is not known yet: checked by the service, not here. */
function isInput(value: unknown): boolean {
    return pulumi.Output.isInstance(value) || value instanceof Promise;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value) && !isInput(value);
}

// The three add-in settings plus the caller's others, as one secret map: the values are secrets
// (or references to them), and the engine re-marks the `properties` output secret by name.
function appSettingsProperties(
    clientId: pulumi.Input<string>,
    clientSecret: pulumi.Output<string>,
    secondaryClientSecret: pulumi.Output<string> | undefined,
    otherSettings: Readonly<Record<string, pulumi.Input<string>>>,
): pulumi.Output<Record<string, string>> {
    const own: Record<string, pulumi.Input<string>> = { [CLIENT_ID]: clientId, [CLIENT_SECRET]: clientSecret };
    if (secondaryClientSecret !== undefined) {
        own[SECONDARY_CLIENT_SECRET] = secondaryClientSecret;
    }
    return pulumi.secret(pulumi.all({ ...otherSettings, ...own }));
}

function keyVaultReference(secretUri: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.interpolate`@Microsoft.KeyVault(SecretUri=${secretUri})`;
}

// SecondaryClientSecret when it has a value, else ClientSecret (see the arg's JSDoc).
function withFallback(secondary: pulumi.Input<string | undefined>, primary: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.all([secondary, primary]).apply(([s, p]) => (s === undefined || s === "" ? p : s));
}
