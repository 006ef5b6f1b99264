// The provider text Pulumi stores with every dynamic resource of this package: a few lines that
// load the implementation from the installed package (components/dynamicProviders.ts) at each call,
// instead of Pulumi's closure serializer capturing a copy of it. So the state stays small (the
// text is stored in each resource's inputs and outputs), and the code that refreshes and finally
// deletes a generation years after its creation is the code installed then, with its fixes, not
// the copy of the day it was created.
//
// The functions below capture nothing but the type name: `require` is never serialized, and the
// module path is a literal. Changing this file changes the text of every new resource's
// provider, which the engine then sees as a difference of `__provider`: keep it as it is.
import type * as pulumi from "@pulumi/pulumi";

/** The type names of this package's dynamic resources, which key the implementations in components/dynamicProviders.ts. */
export type DynamicResourceType = "CredentialGeneration" | "CredentialInventory";

/** The module the provider text loads; the package's `exports` map must keep serving it. */
export const DYNAMIC_PROVIDERS_MODULE = "addin-credentials/dynamic-providers";

const shims = new Map<DynamicResourceType, pulumi.dynamic.ResourceProvider>();

/**
 * A provider that delegates every call to the installed package's implementation of `type`. One
 * object per type: the SDK serializes a provider once per object (sdk/nodejs/dynamic/index.ts),
 * and serializing takes the closure serializer a few milliseconds per resource otherwise.
 */
export function providerShim(type: DynamicResourceType): pulumi.dynamic.ResourceProvider {
    let shim = shims.get(type);
    if (shim === undefined) {
        shim = makeShim(type);
        shims.set(type, shim);
    }
    return shim;
}

function makeShim(type: DynamicResourceType): pulumi.dynamic.ResourceProvider {
    const load = (): Required<pulumi.dynamic.ResourceProvider> =>
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require("addin-credentials/dynamic-providers") as { providers: Record<string, Required<pulumi.dynamic.ResourceProvider>> }).providers[type];
    return {
        check: (olds, news) => load().check(olds, news),
        diff: (id, olds, news) => load().diff(id, olds, news),
        create: (inputs) => load().create(inputs),
        read: (id, props) => load().read(id, props),
        update: (id, olds, news) => load().update(id, olds, news),
        delete: (id, props) => load().delete(id, props),
    };
}
