// The Pulumi program: reads stack config, builds one AddInCredentialSet (and its optional delivery
// to the remote web) per add-in, and returns their outputs as the stack's outputs. Secrets stay
// secret. It is an async function (Pulumi awaits it) because the instant it plans for is the
// directory's clock, read from Graph (program/now.ts).
import * as pulumi from "@pulumi/pulumi";
import { AddInCredentialSet, RefusalError, RemoteWebDelivery } from "addin-credentials";
import { AddInConfig, addInCredentialSetArgsOf, adoptedSecretNamesOf, CONFIG_KEYS, inAddIn, isConfigSecret, parseAddIns } from "./program/config";
import { checkPlanningTime, planningInstant } from "./program/now";

// The config is read and checked when the program loads, before the stack's outputs exist: a
// refusal then ends the run with its message alone. Thrown from the async program below, it would
// also fail the stack's outputs, and Pulumi's runner would print that second error with
// util.inspect over the whole object graph (about a minute of CPU per refused preview, measured).
const config = new pulumi.Config();
// Which add-ins have an adopted secret is checked first, so a missing one fails naming its key, and
// a malformed value fails with our message (Pulumi's own would quote the secret). The raw value is
// parsed for its names only; the secrets stay inside the secret Output below.
const adoptedSecretNames = adoptedSecretNamesOf(pulumi.runtime.getConfig(CONFIG_KEYS.adoptedClientSecrets), isConfigSecret(CONFIG_KEYS.adoptedClientSecrets));
// Every rule of the component, the planner and the delivery is checked here, before anything is declared.
const addIns = parseAddIns(config.requireObject<unknown>("addins"), adoptedSecretNames, config.get("planningTime") || undefined);
checkPlanningTime(config.get("planningTime"));

export = async () => {
    const adoptedSecrets = config.getSecretObject<Record<string, string>>("adoptedClientSecrets");
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

/**
 * The add-in's delivery, when it has one and this run has a secret to deliver. Before generation 0
 * starts, with no adopted secret, there is none: nothing is written (no vault secret, app setting or
 * web.config fragment holds an empty value), and a warning says from when it will be. A
 * decommissioned add-in delivers nothing.
 */
function deliver(addIn: AddInConfig, set: AddInCredentialSet): RemoteWebDelivery | undefined {
    const delivery = addIn.delivery;
    if (delivery === undefined || addIn.decommission) {
        return undefined;
    }
    if (set.plan.primarySource === "none") {
        const targets = [delivery.keyVault && "Key Vault", delivery.appService && "App Service", delivery.webConfig && "web.config"].filter(Boolean).join(", ");
        void pulumi.log.warn(
            `${addIn.name}: nothing is delivered to the remote web (${targets}) on this run: there is no secret yet. ` +
                `Generation 0 starts ${set.plan.nextAction.at} (firstGenerationStart); the first run from then on creates it and delivers its ClientSecret.`,
            set,
        );
        return undefined;
    }
    return new RemoteWebDelivery(`${addIn.name}-delivery`, {
        ...delivery,
        clientId: set.clientId,
        clientSecret: set.clientSecret.apply((secret) => {
            if (secret === undefined || secret === "") {
                throw new RefusalError(`${addIn.name}: the plan delivers its ${set.plan.primarySource} secret, but it is empty; nothing is written to the remote web.`);
            }
            return secret;
        }),
        secondaryClientSecret: set.secondaryClientSecret,
    }, { parent: set });
}
