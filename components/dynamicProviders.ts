// The implementations behind this package's dynamic resources, loaded at run time by the small
// provider text stored in each resource's state (components/providerShim.ts). This module's path
// and the shape of `providers` are a contract with every resource ever deployed: the engine runs
// Read and Delete with the provider text stored at the resource's last create or update, years
// later, against whatever version of this package is installed then. Keep both stable: add to
// `providers`, never rename or remove an entry.
import type * as pulumi from "@pulumi/pulumi";
import { credentialGenerationProvider } from "./credentialGeneration";
import { credentialInventoryProvider } from "./credentialInventory";
import type { DynamicResourceType } from "./providerShim";

export type { DynamicResourceType };

/** Every dynamic resource's provider implementation, by type name. */
export const providers: Readonly<Record<DynamicResourceType, pulumi.dynamic.ResourceProvider>> = {
    CredentialGeneration: credentialGenerationProvider as pulumi.dynamic.ResourceProvider,
    CredentialInventory: credentialInventoryProvider as pulumi.dynamic.ResourceProvider,
};
