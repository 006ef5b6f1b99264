import * as crypto from "node:crypto";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { AddInCredentialSet as AddInCredentialSetClass, AddInCredentialSetArgs } from "../components/addInCredentialSet";

interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

const CLIENT_ID = "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11";
const GENERATION_TYPE = "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration";
const RANDOM_TYPE = "random:index/randomBytes:RandomBytes";
const INVENTORY_TYPE = "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory";

/** Resolves an Output in mock mode. */
function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

/** The bytes the mocked RandomBytes of that name makes (32, distinct per name). */
const bytesOf = (name: string): string => crypto.createHash("sha256").update(name).digest("base64");

describe("AddInCredentialSet", () => {
    let recorded: Recorded[];
    let AddInCredentialSet: typeof AddInCredentialSetClass;

    before(async () => {
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
                if (args.type === RANDOM_TYPE) {
                    return { id: "none", state: { ...args.inputs, base64: bytesOf(args.name) } };
                }
                if (args.type === GENERATION_TYPE) {
                    const tag = args.name.slice(-1);
                    return {
                        id: `obj/generation/${tag}`,
                        state: {
                            ...args.inputs,
                            signKeyId: `sign-${tag}`,
                            verifyKeyId: `verify-${tag}`,
                            passwordKeyId: `password-${tag}`,
                            clientSecret: `secret-of-${args.inputs.displayName}`,
                        },
                    };
                }
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: () => ({}),
        }, "addin-credentials", "test", false);
        ({ AddInCredentialSet } = await import("../components/addInCredentialSet"));
    });

    beforeEach(() => {
        recorded = [];
    });

    const base: AddInCredentialSetArgs = { clientId: CLIENT_ID, firstGenerationStart: "2026-01-01" };
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

    it("declares one generation (RandomBytes + CredentialGeneration in slot a) in the first interval", async () => {
        const set = new AddInCredentialSet("crm", { ...base, planningTime: "2026-01-02T00:00:00Z" });
        await value(set.generations);
        await settle();

        assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`), [
            "addin-credentials:index:AddInCredentialSet crm",
            `${RANDOM_TYPE} crm-slot-a-bytes`,
            `${GENERATION_TYPE} crm-slot-a`,
            `${INVENTORY_TYPE} crm-inventory`,
        ]);
        const bytes = recorded[1].inputs;
        assert.deepEqual(bytes, { length: 32, keepers: { displayName: "addin-credentials/crm/gen-0/2026-01-01" } });
        const generation = recorded[2].inputs;
        assert.equal(generation.clientId, CLIENT_ID);
        assert.equal(generation.valueSource, "random-bytes");
        assert.equal(generation.startDateTime, "2026-01-01T00:00:00.000Z");
        assert.equal(generation.endDateTime, "2028-12-31T00:00:00.000Z");
        assert.equal(generation.displayName, "addin-credentials/crm/gen-0/2026-01-01");
        // keyMaterial reaches the resource as a secret (wire form), the bytes RandomBytes made.
        assert.deepEqual(generation.keyMaterial, {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            value: bytesOf("crm-slot-a-bytes"),
        });
        // A random-bytes generation's ClientSecret is the key material it holds (an input echoed as
        // an output, so a preview of an in-place repair knows it).
        assert.equal(await value(set.clientSecret), bytesOf("crm-slot-a-bytes"));
        assert.equal(await value(set.secondaryClientSecret), undefined);
    });

    it("holds the current generation in slot b and the previous in slot a after the first rotation", async () => {
        // interval = ceil((1095 + 7) / 2) = 551 days: generation 1 starts 2027-07-06.
        const set = new AddInCredentialSet("crm", { ...base, planningTime: "2027-07-06T00:00:00Z" });
        const generations = await value(set.generations);
        await settle();

        assert.deepEqual(recorded.filter((r) => r.type === GENERATION_TYPE).map((r) => [r.name, r.inputs.displayName]), [
            ["crm-slot-a", "addin-credentials/crm/gen-0/2026-01-01"],
            ["crm-slot-b", "addin-credentials/crm/gen-1/2027-07-06"],
        ]);
        assert.deepEqual(generations.map((g) => [g.slot, g.index, g.signKeyId, g.verifyKeyId, g.passwordKeyId]), [
            ["a", 0, "sign-a", "verify-a", "password-a"],
            ["b", 1, "sign-b", "verify-b", "password-b"],
        ]);
        assert.equal(await value(set.clientSecret), bytesOf("crm-slot-b-bytes"));
        assert.equal(await value(set.secondaryClientSecret), bytesOf("crm-slot-a-bytes"));
        assert.equal(await value(set.currentExpiry), "2030-07-05T00:00:00.000Z");
        assert.equal(await value(set.daysLeft), 1095);
    });

    it("reuses slot a for generation 2 once generation 0 is expired plus grace (2 x 551 days in)", async () => {
        const set = new AddInCredentialSet("crm", { ...base, planningTime: "2029-01-07T00:00:00Z" });
        await value(set.generations);
        await settle();

        assert.deepEqual(recorded.filter((r) => r.type === GENERATION_TYPE).map((r) => [r.name, r.inputs.displayName]), [
            ["crm-slot-a", "addin-credentials/crm/gen-2/2029-01-07"],
            ["crm-slot-b", "addin-credentials/crm/gen-1/2027-07-06"],
        ]);
    });

    it("uses Entra's generated password and no RandomBytes for valueSource entra-password", async () => {
        new AddInCredentialSet("crm", { ...base, valueSource: "entra-password", planningTime: "2026-01-02T00:00:00Z" });
        await settle();

        assert.deepEqual(recorded.map((r) => r.type), ["addin-credentials:index:AddInCredentialSet", GENERATION_TYPE, INVENTORY_TYPE]);
        assert.equal(recorded[1].inputs.valueSource, "entra-password");
        assert.equal(recorded[1].inputs.keyMaterial, undefined);
    });

    it("declares the inventory with the declared generations' names and the default cleanup policy", async () => {
        // interval = ceil((1095 + 9) / 2) = 552 days: generation 1 starts 2027-07-07.
        const set = new AddInCredentialSet("crm", { ...base, planningTime: "2027-07-08T00:00:00Z", gracePeriodDays: 9 });
        const report = await value(set.inventory);
        await settle();

        const inventory = recorded.find((r) => r.type === INVENTORY_TYPE);
        assert.equal(inventory?.name, "crm-inventory");
        assert.deepEqual(
            [inventory?.inputs.clientId, inventory?.inputs.setName, inventory?.inputs.declaredDisplayNames, inventory?.inputs.cleanup,
                inventory?.inputs.removeKeyIds, inventory?.inputs.forceCleanup, inventory?.inputs.gracePeriodDays],
            [CLIENT_ID, "crm", ["addin-credentials/crm/gen-0/2026-01-01", "addin-credentials/crm/gen-1/2027-07-07"], "expired", [], false, 9],
        );
        // The mock provider returns no inventory outputs: the report is empty, never undefined.
        assert.deepEqual(report, { entries: [], removed: [], pending: [], risks: [] });
    });

    it("throws when cleanup, removeKeyIds or forceCleanup is malformed, naming the argument", () => {
        assert.throws(
            () => new AddInCredentialSet("bad", { ...base, cleanup: "all" as never }),
            { message: 'AddInCredentialSet: cleanup must be one of "expired", "none", "unmanaged"; got "all".' },
        );
        assert.throws(
            () => new AddInCredentialSet("bad", { ...base, removeKeyIds: ["abc"] }),
            { message: 'AddInCredentialSet: removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ["abc"].' },
        );
        assert.throws(
            () => new AddInCredentialSet("bad", { ...base, forceCleanup: "yes" as never }),
            { message: 'AddInCredentialSet: forceCleanup must be true or false; got "yes".' },
        );
    });

    it("marks clientSecret and secondaryClientSecret secret (mocks do not, so the component must)", async () => {
        const set = new AddInCredentialSet("crm", { ...base, planningTime: "2027-07-06T00:00:00Z" });

        assert.equal(await pulumi.isSecret(set.clientSecret), true);
        assert.equal(await pulumi.isSecret(set.secondaryClientSecret), true);
        assert.equal(await pulumi.isSecret(set.currentExpiry), false);
    });

    it("delivers the adopted secret as SecondaryClientSecret before the first rotation", async () => {
        const set = new AddInCredentialSet("crm", {
            ...base,
            planningTime: "2026-01-02T00:00:00Z",
            adoptedClientSecret: pulumi.secret("adopted-secret"),
            adoptedSecretEndDateTime: "2026-09-01T00:00:00Z",
            adoptedKeyIds: ["7c1e2f30-9a4b-4d5e-8f60-1a2b3c4d5e6f"],
        });

        assert.equal(await value(set.secondaryClientSecret), "adopted-secret");
        assert.equal(await pulumi.isSecret(set.secondaryClientSecret), true);
    });

    it("throws when clientId is not a GUID, naming the argument and the value", () => {
        assert.throws(
            () => new AddInCredentialSet("bad", { ...base, clientId: "not-a-guid" }),
            { message: 'AddInCredentialSet: clientId must be the add-in\'s client id, a GUID like 00000000-0000-0000-0000-000000000000; got "not-a-guid".' },
        );
    });

    it("throws when an adopted secret comes without its end date or its keyIds", () => {
        const message = "AddInCredentialSet: adoptedClientSecret, adoptedSecretEndDateTime and adoptedKeyIds go together: give the secret the app uses today, " +
            "the date it expires and the keyIds of its entries (npm run inventory lists them), or none of them.";
        assert.throws(() => new AddInCredentialSet("bad", { ...base, adoptedClientSecret: "x" }), { message });
        assert.throws(() => new AddInCredentialSet("bad", { ...base, adoptedClientSecret: "x", adoptedSecretEndDateTime: "2026-09-01T00:00:00Z" }), { message });
    });

    it("throws when planningTime is not a date", () => {
        assert.throws(
            () => new AddInCredentialSet("bad", { ...base, planningTime: "tomorrow" }),
            { message: 'AddInCredentialSet: planningTime must be an ISO 8601 date ("2025-03-01") or date-time with a time zone ("2025-03-01T09:00:00Z"), or empty for now; got "tomorrow".' },
        );
        assert.throws(
            () => new AddInCredentialSet("bad", { ...base, planningTime: "2027-06-01T09:00" }),
            { message: 'AddInCredentialSet: planningTime must be an ISO 8601 date ("2025-03-01") or date-time with a time zone ("2025-03-01T09:00:00Z"), or empty for now; got "2027-06-01T09:00".' },
        );
    });
});
