import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { LifecycleHarness, DynamicProviderCalls, PROGRAM_PATH, RunResult } from "../harness/lifecycle";

/**
 * index.ts run in mock mode with the real stack files. The harness applies the engine's secret
 * rules (mocks alone apply none) and records every registration. The provider calls are stubbed:
 * this spec is about the program's wiring; the provider has its own specs against the emulator.
 */
const fakeProvider: DynamicProviderCalls = {
    check: async (_urn, _olds, news) => ({ inputs: news, failures: [] }),
    diff: async () => ({ changes: false, replaces: [], deleteBeforeReplace: false }),
    create: async (urn, news) => ({
        id: `id-${urn.split("::").pop()}`,
        outs: { ...news, signKeyId: "s", verifyKeyId: "v", passwordKeyId: "p", clientSecret: `secret-${String(news.displayName)}`, missing: [], drift: [] },
    }),
    read: async (id, _urn, props) => ({ id, props }),
    update: async () => { throw new Error("no update expected"); },
    delete: async () => undefined,
};

function stackConfig(stack: string): Record<string, string> {
    const file = path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

const names = (r: RunResult) => r.steps.map((s) => `${s.type} ${s.name}`).sort();

describe("index.ts (the program)", () => {
    let harness: LifecycleHarness;

    beforeEach(() => {
        harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: fakeProvider, stack: "dev" });
    });

    it("declares the full dev resource set: one generation, its bytes, two vault secrets", async () => {
        const run = await harness.run({
            config: { ...stackConfig("dev"), "addin-credentials:planningTime": "2026-12-02T00:00:00Z" },
        });

        assert.deepEqual(names(run), [
            "azure-native:keyvault:Secret hr-portal-delivery-client-secret",
            "azure-native:keyvault:Secret hr-portal-delivery-secondary-client-secret",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration hr-portal-slot-a",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory hr-portal-inventory",
            "random:index/randomBytes:RandomBytes hr-portal-slot-a-bytes",
        ]);
        // Options: every child hangs under its component (the URN carries the parent chain).
        assert.deepEqual([...harness.state.keys()].sort(), [
            "urn:pulumi:dev::addin-credentials::addin-credentials:index:AddInCredentialSet$addin-credentials:index:RemoteWebDelivery$azure-native:keyvault:Secret::hr-portal-delivery-client-secret",
            "urn:pulumi:dev::addin-credentials::addin-credentials:index:AddInCredentialSet$addin-credentials:index:RemoteWebDelivery$azure-native:keyvault:Secret::hr-portal-delivery-secondary-client-secret",
            "urn:pulumi:dev::addin-credentials::addin-credentials:index:AddInCredentialSet$pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration::hr-portal-slot-a",
            "urn:pulumi:dev::addin-credentials::addin-credentials:index:AddInCredentialSet$pulumi-nodejs:dynamic/addin-credentials:CredentialInventory::hr-portal-inventory",
            "urn:pulumi:dev::addin-credentials::addin-credentials:index:AddInCredentialSet$random:index/randomBytes:RandomBytes::hr-portal-slot-a-bytes",
        ]);
        const out = run.outputs.addins;
        assert.equal(out.secret, true, "the addins output holds secrets, so the engine stores it secret");
        const hr = (out.value as Record<string, Record<string, unknown>>)["hr-portal"];
        assert.equal(hr.clientSecret, "secret-addin-credentials/hr-portal/gen-0/2026-12-01");
        assert.match(String(hr.webConfigAppSettings), /<add key="ClientSecret" value="secret-addin-credentials\/hr-portal\/gen-0\/2026-12-01" \/>/);
        const vault = [...harness.state.values()].find((r) => r.name === "hr-portal-delivery-client-secret");
        assert.ok(vault?.secretOutputs.includes("properties"), "the vault secret's value is a secret input");
    });

    it("declares the full prod resource set with the adopted secret kept secret", async () => {
        const run = await harness.run({
            config: {
                ...stackConfig("prod"),
                "addin-credentials:planningTime": "2027-01-05T00:00:00Z",
                "addin-credentials:adoptedClientSecrets": JSON.stringify({ "expense-tracker": "adopted-secret-value" }),
            },
            secretKeys: ["addin-credentials:adoptedClientSecrets"],
        });

        assert.deepEqual(names(run), [
            "azure-native:keyvault:Secret contract-review-delivery-client-secret",
            "azure-native:keyvault:Secret contract-review-delivery-secondary-client-secret",
            "azure-native:web:WebAppApplicationSettings contract-review-delivery-app-settings",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration contract-review-slot-a",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration expense-tracker-slot-a",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory contract-review-inventory",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory expense-tracker-inventory",
            "random:index/randomBytes:RandomBytes expense-tracker-slot-a-bytes",
        ]);
        const inventory = [...harness.state.values()].find((r) => r.name === "expense-tracker-inventory");
        assert.equal(inventory?.inputs.adoptedSecretEndDateTime, "2027-03-15T00:00:00Z");
        assert.equal(inventory?.inputs.cleanup, "expired");
        assert.equal(run.outputs.addins.secret, true);
        const expense = (run.outputs.addins.value as Record<string, Record<string, unknown>>)["expense-tracker"];
        assert.equal(expense.secondaryClientSecret, "adopted-secret-value");
        assert.doesNotMatch(run.consoleText, /adopted-secret-value/);
        // useKeyVaultReferences: the site gets references, not secret values, plus its other settings.
        const settings = [...harness.state.values()].find((r) => r.name === "contract-review-delivery-app-settings");
        const properties = settings?.inputs.properties as Record<string, string>;
        assert.deepEqual(Object.keys(properties).sort(), [
            "APPLICATIONINSIGHTS_CONNECTION_STRING", "ClientId", "ClientSecret", "SecondaryClientSecret",
            "SharePointSiteUrl", "WEBSITE_RUN_FROM_PACKAGE",
        ]);
        assert.match(properties.ClientSecret, /^@Microsoft\.KeyVault\(SecretUri=/);
        assert.doesNotMatch(JSON.stringify(properties), /secret-addin-credentials/);
    });

    it("fails naming the key when addins is missing", async () => {
        await assert.rejects(harness.run({ config: {} }), /addin-credentials:addins/);
    });

    it("passes cleanup, removeKeyIds and forceCleanup through to the set's inventory", async () => {
        const keyId = "0b6c6d1e-7e5a-4f3c-9a51-3f1f6f0f2a10";
        const addins = JSON.stringify([{
            name: "crm", clientId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", firstGenerationStart: "2026-12-01",
            cleanup: "unmanaged", removeKeyIds: [keyId], forceCleanup: true,
        }]);
        await harness.run({ config: { "addin-credentials:addins": addins, "addin-credentials:planningTime": "2026-12-02T00:00:00Z" } });

        const inventory = [...harness.state.values()].find((r) => r.name === "crm-inventory");
        assert.deepEqual(
            [inventory?.inputs.cleanup, inventory?.inputs.removeKeyIds, inventory?.inputs.forceCleanup, inventory?.inputs.declaredDisplayNames, inventory?.inputs.gracePeriodDays],
            ["unmanaged", [keyId], true, ["addin-credentials/crm/gen-0/2026-12-01"], 7],
        );
    });

    for (const [field, value, message] of [
        ["cleanup", "all", 'Config addin-credentials:addins[0].cleanup must be one of "expired", "none", "unmanaged"; got "all".'],
        ["removeKeyIds", ["abc"], 'Config addin-credentials:addins[0].removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ["abc"].'],
        ["forceCleanup", "yes", 'Config addin-credentials:addins[0].forceCleanup must be true or false; got "yes".'],
    ] as const) {
        it(`fails naming the entry and field when ${field} is malformed`, async () => {
            const addins = JSON.stringify([{ name: "crm", clientId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", firstGenerationStart: "2026-12-01", [field]: value }]);
            await assert.rejects(harness.run({ config: { "addin-credentials:addins": addins } }), { message });
        });
    }

    it("fails naming the key when an adopted secret's end date has no secret, or the reverse", async () => {
        const addin = { name: "crm", clientId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", firstGenerationStart: "2026-12-01" };
        const secrets = (m: Record<string, string>) => ({ "addin-credentials:adoptedClientSecrets": JSON.stringify(m) });

        await assert.rejects(
            harness.run({ config: { "addin-credentials:addins": JSON.stringify([{ ...addin, adoptedSecretEndDateTime: "2027-01-01" }]) } }),
            { message: 'Config addin-credentials:addins[0].adoptedSecretEndDateTime is set but addin-credentials:adoptedClientSecrets has no entry "crm": ' +
                "set the secret the app uses today with pulumi config set --secret --path 'adoptedClientSecrets.crm' <secret>, or remove adoptedSecretEndDateTime." },
        );
        await assert.rejects(
            harness.run({ config: { "addin-credentials:addins": JSON.stringify([addin]), ...secrets({ crm: "s3cret-value" }) }, secretKeys: ["addin-credentials:adoptedClientSecrets"] }),
            { message: 'Config addin-credentials:adoptedClientSecrets has an entry "crm" but addin-credentials:addins[0].adoptedSecretEndDateTime is missing: ' +
                "give the date the adopted secret expires (npm run inventory lists the end dates)." },
        );
        await assert.rejects(
            harness.run({ config: { "addin-credentials:addins": JSON.stringify([addin]), ...secrets({ hr: "s3cret-value" }) }, secretKeys: ["addin-credentials:adoptedClientSecrets"] }),
            (e: Error) => e.message === 'Config addin-credentials:adoptedClientSecrets names "hr", which no entry of addin-credentials:addins has.' && !e.message.includes("s3cret"),
        );
        await assert.rejects(
            harness.run({ config: { "addin-credentials:addins": JSON.stringify([addin]), "addin-credentials:adoptedClientSecrets": "s3cret-not-json" } }),
            (e: Error) => e.message.startsWith("Config addin-credentials:adoptedClientSecrets must be an object of add-in name to secret") && !e.message.includes("s3cret"),
        );
    });

    it("fails naming the entry and field when a clientId is malformed", async () => {
        const addins = JSON.stringify([{ name: "crm", clientId: "nope", firstGenerationStart: "2026-12-01" }]);
        await assert.rejects(
            harness.run({ config: { "addin-credentials:addins": addins } }),
            { message: 'Config addin-credentials:addins[0].clientId must be the add-in\'s client id (a GUID); got "nope".' },
        );
    });
});
