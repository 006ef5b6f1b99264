// The sandbox's comparison program (tools/sandboxCore.ts, `--strategy replace`): ONE
// CredentialGeneration per add-in whose dates move `rotateBeforeExpiryDays` before expiry, so a
// rotation is a plain create-before-delete replacement of that single resource (Pulumi's
// default): the new generation is created, the old one deleted in the same `up`. The web app gets
// ClientSecret = new, SecondaryClientSecret = old; SharePoint has no propagated key for up to 24 h
// after the old one is gone.
// Reads the same config keys as index.ts (addins, planningTime) and plans with the directory's
// clock as it does; ignores adoption.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CredentialGeneration } from "addin-credentials";
import { parseAddIns } from "../../program/config";
import { planningInstant } from "../../program/now";

const DAY_MS = 86_400_000;

export = async () => {
    const config = new pulumi.Config();
    const addIns = parseAddIns(config.requireObject<unknown>("addins"));
    const nowMs = (await planningInstant(config.get("planningTime"), addIns[0].clientId)).getTime();

    const addins = Object.fromEntries(addIns.map((addIn) => {
        const lifetimeDays = addIn.lifetimeDays ?? 1095;
        const rotateBefore = addIn.rotateBeforeExpiryDays ?? 30;
        const stepMs = (lifetimeDays - rotateBefore) * DAY_MS;
        const firstMs = Date.parse(addIn.firstGenerationStart);
        const index = Math.max(0, Math.floor((nowMs - firstMs) / stepMs));
        const startMs = firstMs + index * stepMs;
        const start = new Date(startMs).toISOString();
        const end = new Date(startMs + lifetimeDays * DAY_MS).toISOString();
        const displayName = `naive/${addIn.name}/gen-${index}/${start.slice(0, 10)}`;
        const bytes = new random.RandomBytes(`${addIn.name}-bytes`, { length: 32, keepers: { displayName } });
        const generation = new CredentialGeneration(`${addIn.name}-generation`, {
            clientId: addIn.clientId,
            keyMaterial: bytes.base64,
            startDateTime: start,
            endDateTime: end,
            displayName,
        });
        const nextMs = startMs + stepMs;
        return [addIn.name, {
            clientId: addIn.clientId,
            clientSecret: generation.clientSecret,
            // The old value is gone from state once replaced: the sandbox's deployment keeps it.
            secondaryClientSecret: undefined,
            generations: [{ index, displayName, startDateTime: start, endDateTime: end }],
            currentExpiry: end,
            nextActionDate: new Date(nextMs).toISOString(),
            nextAction: `replace the generation with generation ${index + 1} on ${new Date(nextMs).toISOString().slice(0, 10)}, ${rotateBefore} days before generation ${index} expires`,
        }];
    }));
    return { addins };
};
