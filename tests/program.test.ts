// index.ts with the real stack files, run as `pulumi up` runs it: the engine stand-in (preview,
// then update), Pulumi's dynamic provider host, the emulator as the tenant.
// Engine: the stand-in, because these stacks deliver to Key Vault and App Service through
// azure-native, which cannot be built here (docs/REAL-CLI.md); tests/cli/config.test.ts runs both
// committed stack files on the real CLI as far as it can go.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { stackFileConfig } from "../engine/stackFile";
import { adoptedSecretNamesOf, parseAddIns } from "../program/config";
import { Lab, startLab } from "../tools/lab";
import { EngineStack, EXIT } from "../engine/stack";
import { RunResult } from "../engine/deployment";

function stackConfig(stack: string): Record<string, string> {
    const file = path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
    return stackFileConfig(fs.readFileSync(file, "utf8"), "addin-credentials");
}

const names = (r: RunResult) => r.steps.filter((s) => s.op !== "refresh" && s.type !== "addin-credentials:index:AddInCredentialSet" && s.type !== "addin-credentials:index:RemoteWebDelivery").map((s) => `${s.op} ${s.type} ${s.name}`).sort();

describe("index.ts (the program)", function () {
    this.timeout(60_000);
    let lab: Lab;
    let stack: EngineStack;

    before(async () => {
        lab = await startLab();
    });

    after(async () => {
        await lab?.close();
    });

    beforeEach(() => {
        lab.emu.reset();
        stack = lab.newStack({ stack: "dev" });
    });

    it("declares the full dev resource set: one generation, its bytes, two vault secrets, with secret outputs", async () => {
        lab.emu.tenant.addLegacyServicePrincipal({ appId: "3f2b8c1e-7d4a-4e6b-9a15-2c8d0e7f4b63", displayName: "HR portal" });
        lab.emu.clock.freeze(new Date("2026-12-02T00:00:00Z"));

        const up = await stack.up({ config: { ...stackConfig("dev") } });

        assert.equal(up.exitCode, EXIT.success, up.error);
        assert.equal(up.planMismatch, undefined);
        const run = up.update as RunResult;
        assert.deepEqual(names(run), [
            "create azure-native:keyvault:Secret hr-portal-delivery-client-secret",
            "create azure-native:keyvault:Secret hr-portal-delivery-secondary-client-secret",
            "create pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration hr-portal-slot-a",
            "create pulumi-nodejs:dynamic/addin-credentials:CredentialInventory hr-portal-inventory",
            "create random:index/randomBytes:RandomBytes hr-portal-slot-a-bytes",
        ]);
        // Options: every child hangs under its component (the URN carries the parent chain).
        const set = "addin-credentials:index:AddInCredentialSet";
        assert.deepEqual(stack.checkpoint.resources.filter((r) => r.custom).map((r) => r.urn).sort(), [
            `urn:pulumi:dev::addin-credentials::${set}$addin-credentials:index:RemoteWebDelivery$azure-native:keyvault:Secret::hr-portal-delivery-client-secret`,
            `urn:pulumi:dev::addin-credentials::${set}$addin-credentials:index:RemoteWebDelivery$azure-native:keyvault:Secret::hr-portal-delivery-secondary-client-secret`,
            `urn:pulumi:dev::addin-credentials::${set}$pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration::hr-portal-slot-a`,
            `urn:pulumi:dev::addin-credentials::${set}$pulumi-nodejs:dynamic/addin-credentials:CredentialInventory::hr-portal-inventory`,
            `urn:pulumi:dev::addin-credentials::${set}$random:index/randomBytes:RandomBytes::hr-portal-slot-a-bytes`,
        ]);
        const out = run.outputs.addins;
        assert.equal(out.secret, true, "the addins output holds secrets, so the engine stores it secret");
        const hr = (out.value as Record<string, Record<string, unknown>>)["hr-portal"];
        const generation = stack.checkpoint.resources.find((r) => r.name === "hr-portal-slot-a");
        assert.equal(hr.clientSecret, generation?.outputs.clientSecret);
        assert.deepEqual(generation?.secretOutputs.slice().sort(), ["clientSecret", "keyMaterial"]);
        assert.equal(generation?.retainOnDelete, true, "generations are retained when the engine deletes their slot");
        assert.ok(String(hr.webConfigAppSettings).includes(`<add key="ClientSecret" value="${String(hr.clientSecret)}" />`));
        const vault = stack.checkpoint.resources.find((r) => r.name === "hr-portal-delivery-client-secret");
        assert.ok(vault?.secretOutputs.includes("properties"), "the vault secret's value is a secret input");
    });

    it("declares the full prod resource set with the adopted secret kept secret", async () => {
        lab.emu.tenant.addLegacyServicePrincipal({ appId: "9c41e7a2-0b5d-4f83-8e6a-71d2c3b4a5f6", displayName: "Contract review" });
        const expenseTracker = lab.emu.tenant.addLegacyServicePrincipal({ appId: "5e8d3a17-c2f9-4b06-a4e1-0f7b9c2d6e38", displayName: "Expense tracker" });
        // The secret the stack file adopts, with the keyIds it lists.
        const adoptedKey = Buffer.alloc(32, 3).toString("base64");
        const dates = { startDateTime: "2024-03-15T00:00:00Z", endDateTime: "2027-03-15T00:00:00Z" };
        lab.emu.tenant.seedCredentials(expenseTracker.id, {
            keyCredentials: [
                { keyId: "7c1e2f30-9a4b-4d5e-8f60-1a2b3c4d5e6f", type: "Symmetric", usage: "Sign", key: adoptedKey, ...dates },
                { keyId: "8d2f3a41-ab5c-4e6f-9071-2b3c4d5e6f70", type: "Symmetric", usage: "Verify", key: adoptedKey, ...dates },
            ],
            passwordCredentials: [{ keyId: "9e304b52-bc6d-4f70-a182-3c4d5e6f7081", ...dates }],
        });
        lab.emu.clock.freeze(new Date("2027-01-05T00:00:00Z"));
        const prod = lab.newStack({ stack: "prod" });

        const up = await prod.up({
            config: {
                ...stackConfig("prod"),
                "addin-credentials:adoptedClientSecrets": JSON.stringify({ "expense-tracker": "adopted-secret-value" }),
            },
            secretKeys: ["addin-credentials:adoptedClientSecrets"],
        });

        assert.equal(up.exitCode, EXIT.success, up.error);
        const run = up.update as RunResult;
        assert.deepEqual(names(run), [
            "create azure-native:keyvault:Secret contract-review-delivery-client-secret",
            "create azure-native:keyvault:Secret contract-review-delivery-secondary-client-secret",
            "create azure-native:web:WebAppApplicationSettings contract-review-delivery-app-settings",
            "create pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration contract-review-slot-a",
            "create pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration expense-tracker-slot-a",
            "create pulumi-nodejs:dynamic/addin-credentials:CredentialInventory contract-review-inventory",
            "create pulumi-nodejs:dynamic/addin-credentials:CredentialInventory expense-tracker-inventory",
            "create random:index/randomBytes:RandomBytes expense-tracker-slot-a-bytes",
        ]);
        const inventory = prod.checkpoint.resources.find((r) => r.name === "expense-tracker-inventory");
        assert.equal(inventory?.inputs.adoptedSecretEndDateTime, "2027-03-15T00:00:00Z");
        assert.equal(inventory?.inputs.cleanup, "expired");
        assert.equal(run.outputs.addins.secret, true);
        const expense = (run.outputs.addins.value as Record<string, Record<string, unknown>>)["expense-tracker"];
        assert.equal(expense.secondaryClientSecret, "adopted-secret-value");
        assert.doesNotMatch(run.consoleText + up.preview.consoleText, /adopted-secret-value/);
        // useKeyVaultReferences: the site gets references, not secret values, plus its other settings.
        const settings = prod.checkpoint.resources.find((r) => r.name === "contract-review-delivery-app-settings");
        const properties = settings?.inputs.properties as Record<string, string>;
        assert.deepEqual(Object.keys(properties).sort(), [
            "APPLICATIONINSIGHTS_CONNECTION_STRING", "ClientId", "ClientSecret", "SecondaryClientSecret",
            "SharePointSiteUrl", "WEBSITE_RUN_FROM_PACKAGE",
        ]);
        assert.match(properties.ClientSecret, /^@Microsoft\.KeyVault\(SecretUri=https:\/\/[a-z0-9-]+\.vault\.azure\.net\/secrets\//);
        const contractSecret = (run.outputs.addins.value as Record<string, Record<string, unknown>>)["contract-review"].clientSecret as string;
        assert.ok(!JSON.stringify(properties).includes(contractSecret), "no secret value in the app settings");
    });

    it("rehearses planningTime in a preview, and refuses it in an update (pulumi preview -c saves it to the stack file)", async () => {
        lab.emu.tenant.addLegacyServicePrincipal({ appId: "3f2b8c1e-7d4a-4e6b-9a15-2c8d0e7f4b63", displayName: "HR portal" });
        lab.emu.clock.freeze(new Date("2026-12-02T00:00:00Z"));
        const rehearsal = { ...stackConfig("dev"), "addin-credentials:planningTime": "2028-01-01T00:00:00Z" };

        const preview = await stack.preview({ config: rehearsal });
        const update = await stack.update({ config: rehearsal });

        assert.equal(preview.exitCode, EXIT.success, preview.error);
        const planned = (preview.preview.outputs.addins.value as Record<string, { nextActionDate: string }>)["hr-portal"];
        assert.equal(planned.nextActionDate, "2028-06-11T00:00:00.000Z", "the preview planned for 2028 (generation 3 of a 365-day lifetime)");
        assert.equal(update.ok, false);
        assert.equal(update.error, 'Config addin-credentials:planningTime is "2028-01-01T00:00:00Z": it rehearses a future run in a preview only, and an update plans for now. ' +
            "Remove it from the stack file: pulumi config rm planningTime (a pulumi preview -c planningTime=… saved it there).");
        assert.deepEqual(stack.checkpoint.resources, [], "nothing was deployed");
    });

    it("fails the preview naming the key when addins is missing", async () => {
        const result = await stack.preview({ config: {} });

        // The CLI refuses the stack before the program runs (Pulumi.yaml declares addins without a default).
        assert.equal(result.exitCode, EXIT.error);
        assert.equal(result.error, "validating stack config: Stack 'dev' is missing configuration value 'addins'");
    });

    it("writes no Key Vault secret, App Service setting or web.config fragment before generation 0 without an adopted secret, says from when, and delivers then", async () => {
        lab.emu.tenant.addLegacyServicePrincipal({ appId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", displayName: "CRM" });
        const addins = JSON.stringify([{
            name: "crm", clientId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", firstGenerationStart: "2027-01-10",
            delivery: {
                keyVault: { resourceGroupName: "rg-crm", vaultName: "kv-crm", clientSecretName: "Crm-ClientSecret", secondaryClientSecretName: "Crm-SecondaryClientSecret" },
                appService: { resourceGroupName: "rg-crm", siteName: "app-crm" },
                webConfig: true,
            },
        }]);
        const delivered = (): string[] => stack.checkpoint.resources
            .filter((r) => r.type === "azure-native:keyvault:Secret" || r.type === "azure-native:web:WebAppApplicationSettings" || r.type === "addin-credentials:index:RemoteWebDelivery")
            .map((r) => r.name).sort();
        lab.emu.clock.freeze(new Date("2027-01-05T00:00:00Z"));

        const before = await stack.up({ config: { "addin-credentials:addins": addins } });

        assert.equal(before.exitCode, EXIT.success, before.error);
        assert.deepEqual(delivered(), []);
        const crmBefore = ((before.update as RunResult).outputs.addins.value as Record<string, Record<string, unknown>>).crm;
        assert.equal(crmBefore.clientSecret ?? null, null);
        assert.equal(crmBefore.webConfigAppSettings ?? null, null, "no web.config fragment");
        const warning = "crm: nothing is delivered to the remote web (Key Vault, App Service, web.config) on this run: there is no secret yet. " +
            "Generation 0 starts 2027-01-10T00:00:00.000Z (firstGenerationStart); the first run from then on creates it and delivers its ClientSecret.";
        for (const run of [before.preview, before.update as RunResult]) {
            assert.ok(run.logs.some((l) => l.severity === "warning" && l.message === warning), run.logs.map((l) => l.message).join("\n"));
        }

        lab.emu.clock.freeze(new Date("2027-01-10T00:00:00Z"));
        const from = await stack.up({ config: { "addin-credentials:addins": addins } });

        assert.equal(from.exitCode, EXIT.success, from.error);
        assert.deepEqual(delivered(), ["crm-delivery", "crm-delivery-app-settings", "crm-delivery-client-secret", "crm-delivery-secondary-client-secret"]);
        const secret = String(((from.update as RunResult).outputs.addins.value as Record<string, Record<string, unknown>>).crm.clientSecret);
        assert.match(secret, /^[A-Za-z0-9+/]{43}=$/, "a generation's secret: base64 of 32 bytes");
        const byName = (name: string) => stack.checkpoint.resources.find((r) => r.name === name);
        assert.deepEqual((byName("crm-delivery-client-secret")?.inputs.properties as { value: string }).value, secret);
        assert.deepEqual((byName("crm-delivery-secondary-client-secret")?.inputs.properties as { value: string }).value, secret);
        assert.equal((byName("crm-delivery-app-settings")?.inputs.properties as Record<string, string>).ClientSecret, secret);
    });

    it("passes cleanup, removeKeyIds and forceCleanup through to the set's inventory, and warns of a listed keyId on no entry", async () => {
        lab.emu.tenant.addLegacyServicePrincipal({ appId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", displayName: "CRM" });
        lab.emu.clock.freeze(new Date("2026-12-02T00:00:00Z"));
        const keyId = "0b6c6d1e-7e5a-4f3c-9a51-3f1f6f0f2a10";
        const addins = JSON.stringify([{
            name: "crm", clientId: "6F1C2A57-43DE-4B5A-9A53-1D2F0C8E7B11", firstGenerationStart: "2026-12-01",
            cleanup: "unmanaged", removeKeyIds: [keyId], forceCleanup: true,
        }]);

        const up = await stack.up({ config: { "addin-credentials:addins": addins } });

        assert.equal(up.exitCode, EXIT.success, up.error);
        const inventory = stack.checkpoint.resources.find((r) => r.name === "crm-inventory");
        assert.deepEqual(
            [inventory?.inputs.clientId, inventory?.inputs.cleanup, inventory?.inputs.removeKeyIds, inventory?.inputs.forceCleanup, inventory?.inputs.declaredDisplayNames, inventory?.inputs.gracePeriodDays],
            ["6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", "unmanaged", [keyId], true, ["addin-credentials/crm/gen-0/2026-12-01"], 7],
        );
        assert.ok(up.preview.logs.some((l) => l.severity === "warning" && l.message.includes(`removeKeyIds: keyId ${keyId} is neither a key nor a password on this object`)));
    });
});

describe("program/config", () => {
    const crm = { name: "crm", clientId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", firstGenerationStart: "2026-12-01" };
    const adopting = { ...crm, adoptedKeyIds: ["7c1e2f30-9a4b-4d5e-8f60-1a2b3c4d5e6f"], adoptedSecretEndDateTime: "2027-01-01" };

    for (const [field, value, message] of [
        ["cleanup", "all", 'Config addin-credentials:addins[0] (crm).cleanup: cleanup must be one of "expired", "none", "unmanaged"; got "all".'],
        ["removeKeyIds", ["abc"], 'Config addin-credentials:addins[0] (crm).removeKeyIds: removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ["abc"].'],
        ["forceCleanup", "yes", 'Config addin-credentials:addins[0] (crm).forceCleanup: forceCleanup must be true or false; got "yes".'],
        ["clientId", "nope", 'Config addin-credentials:addins[0] (crm).clientId: clientId must be the add-in\'s client id, a GUID like 00000000-0000-0000-0000-000000000000; got "nope".'],
    ] as const) {
        it(`throws naming the entry and field when ${field} is malformed`, () => {
            assert.throws(() => parseAddIns([{ ...crm, [field]: value }]), { message });
        });
    }

    it("returns the entries typed, client ids in lower case", () => {
        assert.deepEqual(parseAddIns([{ ...crm, clientId: crm.clientId.toUpperCase() }]), [crm]);
        assert.deepEqual(parseAddIns([adopting], ["crm"]), [adopting]);
    });

    it("throws naming the key when an adopted secret's end date has no secret, or the reverse, never quoting a secret", () => {
        assert.throws(() => parseAddIns([{ ...crm, adoptedSecretEndDateTime: "2027-01-01" }], []), {
            message: 'Config addin-credentials:addins[0] (crm).adoptedSecretEndDateTime is "2027-01-01" but addin-credentials:adoptedClientSecrets has no entry "crm": ' +
                "set the secret the app uses today with pulumi config set --secret --path 'adoptedClientSecrets.crm' <secret>, or remove adoptedSecretEndDateTime.",
        });
        assert.throws(() => parseAddIns([crm], adoptedSecretNamesOf(JSON.stringify({ crm: "s3cret-value" }))), {
            message: "Config addin-credentials:adoptedClientSecrets.crm is set but addin-credentials:addins[0] (crm).adoptedKeyIds is missing: " +
                "give the keyIds of the secret the app uses today (npm run inventory lists them; --emit-config fills them in).",
        });
        assert.throws(() => parseAddIns([{ ...crm, adoptedKeyIds: ["7c1e2f30-9a4b-4d5e-8f60-1a2b3c4d5e6f"] }], adoptedSecretNamesOf(JSON.stringify({ crm: "s3cret-value" }))), {
            message: "Config addin-credentials:adoptedClientSecrets.crm is set but addin-credentials:addins[0] (crm).adoptedSecretEndDateTime is missing: " +
                "give the date the adopted secret expires (npm run inventory lists the end dates).",
        });
        assert.throws(() => parseAddIns([crm], adoptedSecretNamesOf(JSON.stringify({ hr: "s3cret-value" }))), {
            message: 'Config addin-credentials:adoptedClientSecrets names "hr", which no entry of addin-credentials:addins has; remove it, or correct the name to the add-in\'s.',
        });
        assert.throws(() => adoptedSecretNamesOf("s3cret-not-json"), (e: Error) => e.message.startsWith("Config addin-credentials:adoptedClientSecrets must be an object of add-in name to secret") && !e.message.includes("s3cret"));
    });
});
