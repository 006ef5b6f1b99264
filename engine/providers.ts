/**
 * The provider plugins as the engine calls them (pkg/resource/plugin/provider_plugin.go): the
 * dynamic provider host for `pulumi-nodejs:dynamic/...` types, and models of the two real
 * providers this project's program uses besides it (random, azure-native), which cannot run here.
 *
 * Each rule names its source; docs/ENGINE.md lists them all.
 */
import * as crypto from "node:crypto";
import { DiffAnswer, ProviderHost } from "./providerHost";
import { PROVIDER_KEY, Props, UNKNOWN } from "./wire";

/** A provider as the engine sees it. `preview` is the DryRun flag of Create/Update. */
export interface EngineProvider {
    /** Whether the plugin implements previews of Create/Update (ConfigureResponse.supportsPreview). */
    readonly supportsPreview: boolean;
    check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
    diff(urn: string, id: string, oldOutputs: Props, news: Props, oldInputs: Props): Promise<DiffAnswer>;
    create(urn: string, inputs: Props, preview: boolean): Promise<{ id: string; outs: Props }>;
    read(urn: string, id: string, inputs: Props, outputs: Props): Promise<{ id: string; props: Props; inputs?: Props }>;
    update(urn: string, id: string, oldOutputs: Props, news: Props, oldInputs: Props, preview: boolean): Promise<{ outs: Props }>;
    delete(urn: string, id: string, inputs: Props, outputs: Props): Promise<void>;
}

/** The dynamic provider's type prefix (sdk/nodejs/dynamic/index.ts). */
export const DYNAMIC_TYPE_PREFIX = "pulumi-nodejs:dynamic/";

/**
 * The dynamic provider host behind the engine's plugin client. The host does not implement
 * Handshake and its Configure answer leaves supportsPreview false, so in a preview the plugin
 * client answers Create with the checked inputs and id "" and Update with the new inputs, without
 * calling the host (provider_plugin.go `(*provider).Create` / `Update`, "!protocol.supportsPreview").
 */
export function dynamicProvider(host: ProviderHost): EngineProvider {
    return {
        supportsPreview: false,
        check: (urn, olds, news) => host.check(urn, olds, news),
        diff: (urn, id, oldOutputs, news, oldInputs) => host.diff(id, urn, oldOutputs, news, oldInputs),
        async create(urn, inputs, preview) {
            return preview ? { id: "", outs: { ...inputs } } : host.create(urn, inputs);
        },
        read: (urn, id, inputs, outputs) => host.read(id, urn, outputs, inputs),
        async update(urn, id, oldOutputs, news, oldInputs, preview) {
            return preview ? { outs: { ...news } } : host.update(id, urn, oldOutputs, news, oldInputs);
        },
        // The host takes `__provider` from the props it is given: the stored outputs, i.e. the
        // provider code of the resource's last create or update (cmd/dynamic-provider delete).
        delete: (urn, id, _inputs, outputs) => host.delete(id, urn, outputs),
    };
}

/** Properties whose change replaces the resource (the provider schema's forceNew / replaceOnChanges). */
type ReplaceOnChange = readonly string[];

/** How a modelled type computes the outputs its inputs do not give. */
interface ModelledType {
    readonly replaceOnChange: ReplaceOnChange;
    /** Outputs beyond the inputs; `preview` asks for unknowns where the real value is computed by the service. */
    computed(urn: string, inputs: Props, preview: boolean): Props;
    /** The id the service gives the resource. */
    id(urn: string, inputs: Props): string;
}

const RANDOM_BYTES: ModelledType = {
    // pulumi-random: every input of RandomBytes is ForceNew (length, keepers).
    replaceOnChange: ["length", "keepers"],
    computed(_urn, inputs, preview) {
        if (preview) {
            return {}; // base64 and hex are computed: absent, so the SDK sees them unknown
        }
        const bytes = crypto.randomBytes(Number(inputs.length));
        return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    },
    id: () => "none",
};

function armId(inputs: Props, path: string): string {
    return `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${String(inputs.resourceGroupName)}/providers/${path}`;
}

// azure-native previews: "inputs + computed outputs" on create; on update the same, except `name`
// and `location` copied from the old state (provider.go Create/Update with req.GetPreview()). A
// computed sub-property (properties.secretUri) makes the whole `properties` output unknown in Node.
const KEY_VAULT_SECRET: ModelledType = {
    replaceOnChange: ["resourceGroupName", "vaultName", "secretName"],
    computed(_urn, inputs, preview) {
        const uri = `https://${String(inputs.vaultName)}.vault.azure.net/secrets/${String(inputs.secretName)}`;
        const props = (inputs.properties ?? {}) as Props;
        // Every PUT of a secret makes a new version.
        const version = `${uri}/${crypto.randomUUID().replace(/-/g, "")}`;
        return { properties: { ...props, secretUri: preview ? UNKNOWN : uri, secretUriWithVersion: preview ? UNKNOWN : version } };
    },
    id: (_urn, inputs) => armId(inputs, `Microsoft.KeyVault/vaults/${String(inputs.vaultName)}/secrets/${String(inputs.secretName)}`),
};

const APP_SETTINGS: ModelledType = {
    replaceOnChange: ["resourceGroupName", "name"],
    computed: () => ({}),
    id: (_urn, inputs) => armId(inputs, `Microsoft.Web/sites/${String(inputs.name)}/config/appsettings`),
};

/** The modelled types, by type token. */
const MODELLED_TYPES: Readonly<Record<string, ModelledType>> = {
    "random:index/randomBytes:RandomBytes": RANDOM_BYTES,
    "azure-native:keyvault:Secret": KEY_VAULT_SECRET,
    "azure-native:web:WebAppApplicationSettings": APP_SETTINGS,
};

/** True when the engine stand-in can run resources of this type. */
export function isModelled(type: string): boolean {
    return type.startsWith(DYNAMIC_TYPE_PREFIX) || MODELLED_TYPES[type] !== undefined;
}

/**
 * A model of a real provider with preview support (random, azure-native). These providers
 * support previews: the engine calls them with Preview=true and they decide which outputs are
 * unknown (provider_plugin.go Create/Update). The models keep no service of their own: Read
 * returns what state holds (for Key Vault secrets this is what the real provider does for the
 * value, which the service never returns). Check passes the inputs through.
 */
export function modelledProvider(type: string): EngineProvider {
    const model = MODELLED_TYPES[type];
    if (model === undefined) {
        throw new Error(`the engine stand-in has no model of a provider for resource type ${type}; add one to engine/providers.ts`);
    }
    return {
        supportsPreview: true,
        async check(_urn, _olds, news) {
            return { inputs: news, failures: [] };
        },
        async diff(_urn, _id, _oldOutputs, news, oldInputs) {
            const changed = changedKeys(oldInputs, news);
            return {
                changes: changed.length > 0 ? "some" : "none",
                replaces: changed.filter((k) => model.replaceOnChange.includes(k)),
                deleteBeforeReplace: false,
            };
        },
        async create(urn, inputs, preview) {
            return { id: preview ? "" : model.id(urn, inputs), outs: { ...inputs, ...model.computed(urn, inputs, preview) } };
        },
        async read(_urn, id, inputs, outputs) {
            return { id, props: outputs, inputs };
        },
        async update(urn, _id, _oldOutputs, news, _oldInputs, preview) {
            return { outs: { ...news, ...model.computed(urn, news, preview) } };
        },
        async delete() {
            return;
        },
    };
}

/**
 * The engine's own comparison when a provider's Diff gives no answer (DIFF_UNKNOWN): old inputs
 * against new inputs, every key including `__provider`; null and absent are equal; an unknown
 * value equals nothing (step_generator.go `diffResource`, resource PropertyMap.Diff).
 */
export function changedKeys(olds: Props, news: Props): string[] {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    return [...keys].filter((k) => !sameValue(olds[k], news[k])).sort();
}

function sameValue(a: unknown, b: unknown): boolean {
    if (a === UNKNOWN || b === UNKNOWN) {
        return false;
    }
    if (a === undefined || a === null || b === undefined || b === null) {
        return (a ?? null) === (b ?? null);
    }
    if (Array.isArray(a) || Array.isArray(b)) {
        return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
    }
    if (typeof a === "object" && typeof b === "object") {
        return changedKeys(a as Props, b as Props).length === 0;
    }
    return a === b;
}

/** True for a dynamic resource's inputs. */
export function isDynamicInputs(inputs: Props): boolean {
    return typeof inputs[PROVIDER_KEY] === "string";
}
