// The Pulumi program: reads stack config, builds one AddInCredentialSet (and its optional delivery
// to the remote web) per add-in, and returns their outputs as the stack's outputs. Secrets stay
// secret. It is an async function (Pulumi awaits it) because the instant it plans for is the
// directory's clock, read from Graph (program/now.ts).
import * as pulumi from "@pulumi/pulumi";
import { AddInCredentialSet, RemoteWebDelivery } from "addin-credentials";
import { AddInConfig, addInCredentialSetArgsOf, adoptedSecretNamesOf, inAddIn, parseAddIns } from "./program/config";
import { planningInstant } from "./program/now";

export = async () => {
    const config = new pulumi.Config();
    // Which add-ins have an adopted secret is checked first, so a missing one fails naming its key, and
    // a malformed value fails with our message (Pulumi's own would quote the secret). The raw value is
    // parsed for its names only; the secrets stay inside the secret Output below.
    const adoptedSecretNames = adoptedSecretNamesOf(pulumi.runtime.getConfig("addin-credentials:adoptedClientSecrets"));
    const adoptedSecrets = config.getSecretObject<Record<string, string>>("adoptedClientSecrets");
    // Every rule of the component, the planner and the delivery is checked here, before anything is declared.
    const addIns = parseAddIns(config.requireObject<unknown>("addins"), adoptedSecretNames, config.get("planningTime") || undefined);
    const planningTime = (await planningInstant(config.get("planningTime"), addIns[0].clientId)).toISOString();

    const results = addIns.map((addIn, index) => inAddIn(index, addIn.name, () => {
        const adoptedClientSecret = adoptedSecretNames.includes(addIn.name) ? adoptedSecrets?.apply((m) => m?.[addIn.name]) : undefined;
        const set = new AddInCredentialSet(addIn.name, addInCredentialSetArgsOf(addIn, adoptedClientSecret, planningTime));
        return { addIn, set, delivery: deliver(addIn, set) };
    }));

    /** Per add-in: client id, secrets (secret), generations, expiry, the next planned action and the inventory. */
    const addins = Object.fromEntries(results.map(({ addIn, set, delivery }) => [addIn.name, {
        clientId: set.clientId,
        clientSecret: set.clientSecret,
        secondaryClientSecret: set.secondaryClientSecret,
        generations: set.generations,
        currentExpiry: set.currentExpiry,
        daysLeft: set.daysLeft,
        nextActionDate: set.nextActionDate,
        nextAction: set.nextAction,
        inventory: set.inventory,
        webConfigAppSettings: delivery?.webConfigAppSettings,
    }]));

    return { addins };
};

function deliver(addIn: AddInConfig, set: AddInCredentialSet): RemoteWebDelivery | undefined {
    return addIn.delivery === undefined || addIn.decommission ? undefined : new RemoteWebDelivery(`${addIn.name}-delivery`, {
        ...addIn.delivery,
        clientId: set.clientId,
        clientSecret: set.clientSecret.apply((s) => s ?? ""),
        secondaryClientSecret: set.secondaryClientSecret,
    }, { parent: set });
}
