import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type * as delivery from "../components/remoteWebDelivery";

// How the Node SDK serializes a secret value in resource inputs (sdk/nodejs/runtime/rpc.ts
// specialSigKey / specialSecretSig). Mocks keep the wrapper in `inputs`, which is exactly what
// the engine would receive; they apply no secret marking to outputs, so outputs are checked
// with pulumi.isSecret.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Plain = string | number | boolean | null | undefined | Plain[] | { [key: string]: Plain };

interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, Plain>;
}

const CLIENT_ID = "8f3e2c1a-5b7d-4e9f-a1c3-2d4b6f8e0a1c";
const CLIENT_SECRET = "q8mP2vX9kL4nR7tY1wZ5bC3dF6gH0jK2mN4pQ7sT9uA=";
const SECONDARY_CLIENT_SECRET = "Zx1Cv2Bn3Mm4Ll5Kk6Jj7Hh8Gg9Ff0Dd1Ss2Aa3Qq4W=";
const COMPONENT = "addin-credentials:index:RemoteWebDelivery";
const VAULT = { resourceGroupName: "rg-addins-prod", vaultName: "kv-addins-prod" };
const SITE = { resourceGroupName: "rg-web-prod", siteName: "contoso-addin-web" };

function isSecretInput(value: Plain): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && value[SIG_KEY] === SECRET_SIG;
}

// The value inside a secret wrapper, recursively; what the provider (and the mock state) sees.
function reveal(value: Plain): Plain {
    if (Array.isArray(value)) {
        return value.map(reveal);
    }
    if (typeof value === "object" && value !== null) {
        if (isSecretInput(value)) {
            return reveal(value.value);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
}

function unwrap<T>(output: pulumi.Output<T> | undefined): Promise<T> {
    assert.ok(output !== undefined, "expected an output, got undefined");
    return new Promise((resolve) => output.apply(resolve));
}

describe("RemoteWebDelivery", () => {
    let mod: typeof delivery;
    let registered: Registered[] = [];
    let warnings: string[] = [];
    const realWarn = console.warn;

    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    const inputs = args.inputs as Record<string, Plain>;
                    registered.push({ type: args.type, name: args.name, inputs });
                    const state = reveal(inputs) as Record<string, Plain>;
                    if (args.type === "azure-native:keyvault:Secret") {
                        // What ARM returns: the versionless and versioned URIs (never the value).
                        const uri = `https://${String(state.vaultName)}.vault.azure.net/secrets/${String(state.secretName)}`;
                        state.properties = { secretUri: uri, secretUriWithVersion: `${uri}/0123456789abcdef0123456789abcdef` };
                    }
                    return { id: `${args.name}-id`, state };
                },
                call: (args) => args.inputs,
            },
            "addin-credentials",
            "test",
            false,
        );
        mod = await import("../components/remoteWebDelivery");
    });

    beforeEach(() => {
        registered = [];
        warnings = [];
        // Without an engine, pulumi.log.warn writes to console.warn (sdk/nodejs/log/index.ts).
        console.warn = (message: string) => warnings.push(message);
    });

    afterEach(() => {
        console.warn = realWarn;
    });

    // Builds the component and waits until every child has been registered with the mock monitor.
    async function build(name: string, args: delivery.RemoteWebDeliveryArgs): Promise<delivery.RemoteWebDelivery> {
        const component = new mod.RemoteWebDelivery(name, args);
        await unwrap(component.urn);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return component;
    }

    function children(): Registered[] {
        return registered.filter((r) => r.type !== COMPONENT);
    }

    describe("keyVault", () => {
        it("writes ClientSecret and SecondaryClientSecret as two secret vault secrets when both are given", async () => {
            const d = await build("contoso", {
                clientId: CLIENT_ID,
                clientSecret: pulumi.secret(CLIENT_SECRET),
                secondaryClientSecret: pulumi.secret(SECONDARY_CLIENT_SECRET),
                keyVault: VAULT,
            });

            assert.deepEqual(
                registered.map((r) => [r.type, r.name]),
                [
                    [COMPONENT, "contoso"],
                    ["azure-native:keyvault:Secret", "contoso-client-secret"],
                    ["azure-native:keyvault:Secret", "contoso-secondary-client-secret"],
                ],
            );
            const [primary, secondary] = children();
            assert.deepEqual(reveal(primary.inputs), {
                resourceGroupName: "rg-addins-prod",
                vaultName: "kv-addins-prod",
                secretName: "AddIn-ClientSecret",
                properties: { value: CLIENT_SECRET },
            });
            assert.deepEqual(reveal(secondary.inputs), {
                resourceGroupName: "rg-addins-prod",
                vaultName: "kv-addins-prod",
                secretName: "AddIn-SecondaryClientSecret",
                properties: { value: SECONDARY_CLIENT_SECRET },
            });
            assert.ok(isSecretInput(primary.inputs.properties), "ClientSecret vault secret properties must be secret");
            assert.ok(isSecretInput(secondary.inputs.properties), "SecondaryClientSecret vault secret properties must be secret");

            assert.equal(await unwrap(d.clientSecretUri), "https://kv-addins-prod.vault.azure.net/secrets/AddIn-ClientSecret");
            assert.equal(await unwrap(d.secondaryClientSecretUri), "https://kv-addins-prod.vault.azure.net/secrets/AddIn-SecondaryClientSecret");
            assert.equal(
                await unwrap(d.clientSecretReference),
                "@Microsoft.KeyVault(SecretUri=https://kv-addins-prod.vault.azure.net/secrets/AddIn-ClientSecret)",
            );
            assert.equal(
                await unwrap(d.secondaryClientSecretReference),
                "@Microsoft.KeyVault(SecretUri=https://kv-addins-prod.vault.azure.net/secrets/AddIn-SecondaryClientSecret)",
            );
            // URIs reveal no secret, so callers can print them.
            assert.equal(await pulumi.isSecret(d.clientSecretUri!), false);
            assert.equal(await pulumi.isSecret(d.clientSecretReference!), false);
            assert.equal(d.appSettingNames, undefined);
            assert.equal(d.webConfigAppSettings, undefined);
            assert.deepEqual(warnings, []);
        });

        it("writes only the ClientSecret vault secret when secondaryClientSecret is omitted", async () => {
            const d = await build("solo", { clientId: CLIENT_ID, clientSecret: pulumi.secret(CLIENT_SECRET), keyVault: VAULT });

            assert.deepEqual(
                children().map((r) => [r.type, r.name]),
                [["azure-native:keyvault:Secret", "solo-client-secret"]],
            );
            assert.equal(d.secondaryClientSecretUri, undefined);
            assert.equal(d.secondaryClientSecretReference, undefined);
        });

        it("uses the given secret names when clientSecretName and secondaryClientSecretName are set", async () => {
            await build("named", {
                clientId: CLIENT_ID,
                clientSecret: pulumi.secret(CLIENT_SECRET),
                secondaryClientSecret: pulumi.secret(SECONDARY_CLIENT_SECRET),
                keyVault: { ...VAULT, clientSecretName: "Contoso-ClientSecret", secondaryClientSecretName: "Contoso-SecondaryClientSecret" },
            });

            assert.deepEqual(
                children().map((r) => r.inputs.secretName),
                ["Contoso-ClientSecret", "Contoso-SecondaryClientSecret"],
            );
        });

        it("marks the vault secret secret even when clientSecret is passed as a plain string", async () => {
            await build("plain", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, keyVault: VAULT });

            assert.ok(isSecretInput(children()[0].inputs.properties));
        });

        it("writes ClientSecret into SecondaryClientSecret when secondaryClientSecret resolves to undefined", async () => {
            // GIVEN the first generation: the credential set has no previous secret yet
            const noPrevious: pulumi.Output<string | undefined> = pulumi.secret(pulumi.output(undefined));
            // WHEN delivering
            await build("first", { clientId: CLIENT_ID, clientSecret: pulumi.secret(CLIENT_SECRET), secondaryClientSecret: noPrevious, keyVault: VAULT });
            // THEN the secondary vault secret exists (stable across generations) and holds ClientSecret
            assert.deepEqual(
                children().map((r) => [r.name, reveal(r.inputs.properties)]),
                [
                    ["first-client-secret", { value: CLIENT_SECRET }],
                    ["first-secondary-client-secret", { value: CLIENT_SECRET }],
                ],
            );
        });
    });

    describe("appService", () => {
        it("writes the three settings and otherSettings as one secret collection and warns about replacement", async () => {
            const d = await build("web", {
                clientId: CLIENT_ID,
                clientSecret: pulumi.secret(CLIENT_SECRET),
                secondaryClientSecret: pulumi.secret(SECONDARY_CLIENT_SECRET),
                appService: {
                    ...SITE,
                    otherSettings: { WEBSITE_RUN_FROM_PACKAGE: "1", SharePointSiteUrl: pulumi.output("https://contoso.sharepoint.com/sites/hr") },
                },
            });

            assert.deepEqual(
                registered.map((r) => [r.type, r.name]),
                [
                    [COMPONENT, "web"],
                    ["azure-native:web:WebAppApplicationSettings", "web-app-settings"],
                ],
            );
            const [settings] = children();
            assert.deepEqual(reveal(settings.inputs), {
                resourceGroupName: "rg-web-prod",
                name: "contoso-addin-web",
                properties: {
                    WEBSITE_RUN_FROM_PACKAGE: "1",
                    SharePointSiteUrl: "https://contoso.sharepoint.com/sites/hr",
                    ClientId: CLIENT_ID,
                    ClientSecret: CLIENT_SECRET,
                    SecondaryClientSecret: SECONDARY_CLIENT_SECRET,
                },
            });
            assert.ok(isSecretInput(settings.inputs.properties), "app settings properties must be secret");
            assert.deepEqual(d.appSettingNames, ["ClientId", "ClientSecret", "SecondaryClientSecret", "SharePointSiteUrl", "WEBSITE_RUN_FROM_PACKAGE"]);
            assert.deepEqual(warnings, [
                'warning: [runtime] App Service site "contoso-addin-web": its app settings are replaced as a whole; after this update it ' +
                    "holds only ClientId, ClientSecret, SecondaryClientSecret, SharePointSiteUrl, WEBSITE_RUN_FROM_PACKAGE. Any other " +
                    "setting is removed: list the ones to keep in delivery.appService.otherSettings.",
            ]);
        });

        it("writes only ClientId and ClientSecret when secondaryClientSecret and otherSettings are omitted", async () => {
            const d = await build("bare", { clientId: CLIENT_ID, clientSecret: pulumi.secret(CLIENT_SECRET), appService: SITE });

            assert.deepEqual(reveal(children()[0].inputs.properties), { ClientId: CLIENT_ID, ClientSecret: CLIENT_SECRET });
            assert.deepEqual(d.appSettingNames, ["ClientId", "ClientSecret"]);
        });

        it("writes Key Vault references instead of values when useKeyVaultReferences is true with keyVault", async () => {
            await build("refs", {
                clientId: CLIENT_ID,
                clientSecret: pulumi.secret(CLIENT_SECRET),
                secondaryClientSecret: pulumi.secret(SECONDARY_CLIENT_SECRET),
                keyVault: VAULT,
                appService: { ...SITE, otherSettings: { WEBSITE_RUN_FROM_PACKAGE: "1" }, useKeyVaultReferences: true },
            });

            assert.deepEqual(
                children().map((r) => [r.type, r.name]),
                [
                    ["azure-native:keyvault:Secret", "refs-client-secret"],
                    ["azure-native:keyvault:Secret", "refs-secondary-client-secret"],
                    ["azure-native:web:WebAppApplicationSettings", "refs-app-settings"],
                ],
            );
            const settings = children()[2];
            assert.deepEqual(reveal(settings.inputs.properties), {
                WEBSITE_RUN_FROM_PACKAGE: "1",
                ClientId: CLIENT_ID,
                ClientSecret: "@Microsoft.KeyVault(SecretUri=https://kv-addins-prod.vault.azure.net/secrets/AddIn-ClientSecret)",
                SecondaryClientSecret: "@Microsoft.KeyVault(SecretUri=https://kv-addins-prod.vault.azure.net/secrets/AddIn-SecondaryClientSecret)",
            });
            // otherSettings may hold connection strings: the collection stays secret either way.
            assert.ok(isSecretInput(settings.inputs.properties));
        });

        it("writes values, not references, when keyVault is given but useKeyVaultReferences is omitted", async () => {
            await build("both", { clientId: CLIENT_ID, clientSecret: pulumi.secret(CLIENT_SECRET), keyVault: VAULT, appService: SITE });

            assert.deepEqual(reveal(children()[1].inputs.properties), { ClientId: CLIENT_ID, ClientSecret: CLIENT_SECRET });
        });
    });

    describe("webConfig", () => {
        it("outputs the exact secret <appSettings> fragment and creates no resource when webConfig is true", async () => {
            const d = await build("iis", {
                clientId: CLIENT_ID,
                clientSecret: pulumi.secret(CLIENT_SECRET),
                secondaryClientSecret: pulumi.secret(SECONDARY_CLIENT_SECRET),
                webConfig: true,
            });

            assert.deepEqual(children(), []);
            assert.equal(
                await unwrap(d.webConfigAppSettings),
                "<appSettings>\n" +
                    `  <add key="ClientId" value="${CLIENT_ID}" />\n` +
                    `  <add key="ClientSecret" value="${CLIENT_SECRET}" />\n` +
                    `  <add key="SecondaryClientSecret" value="${SECONDARY_CLIENT_SECRET}" />\n` +
                    "</appSettings>",
            );
            assert.equal(await pulumi.isSecret(d.webConfigAppSettings!), true);
            assert.equal(d.clientSecretUri, undefined);
            assert.equal(d.appSettingNames, undefined);
        });

        it("marks the fragment secret even when clientSecret is passed as a plain string", async () => {
            const d = await build("iis-plain", { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, webConfig: true });

            assert.equal(await pulumi.isSecret(d.webConfigAppSettings!), true);
            assert.equal(
                await unwrap(d.webConfigAppSettings),
                `<appSettings>\n  <add key="ClientId" value="${CLIENT_ID}" />\n  <add key="ClientSecret" value="${CLIENT_SECRET}" />\n</appSettings>`,
            );
        });
    });

    describe("webConfigAppSettingsXml", () => {
        it("escapes the XML special characters when a value contains them", () => {
            assert.equal(
                mod.webConfigAppSettingsXml(CLIENT_ID, `a&b<c>d"e'f`, "x\ty\nz\r"),
                "<appSettings>\n" +
                    `  <add key="ClientId" value="${CLIENT_ID}" />\n` +
                    '  <add key="ClientSecret" value="a&amp;b&lt;c&gt;d&quot;e&apos;f" />\n' +
                    '  <add key="SecondaryClientSecret" value="x&#x9;y&#xA;z&#xD;" />\n' +
                    "</appSettings>",
            );
        });
    });

    describe("validation", () => {
        const base = { clientId: CLIENT_ID, clientSecret: pulumi.secret(CLIENT_SECRET) };
        const cases: [string, delivery.RemoteWebDeliveryArgs, string][] = [
            [
                "no delivery target is set",
                { ...base, webConfig: false },
                'RemoteWebDelivery "bad": nothing to deliver (no keyVault, no appService, webConfig false); set at least one of keyVault, appService or webConfig: true.',
            ],
            [
                "clientId is not a GUID",
                { ...base, clientId: "contoso-addin", webConfig: true },
                'RemoteWebDelivery "bad": clientId must be a GUID (the add-in\'s client id); got "contoso-addin".',
            ],
            [
                "clientSecret is an empty string",
                { clientId: CLIENT_ID, clientSecret: "", webConfig: true },
                'RemoteWebDelivery "bad": clientSecret is empty; pass the add-in\'s current client secret.',
            ],
            [
                "keyVault.clientSecretName has an underscore",
                { ...base, keyVault: { ...VAULT, clientSecretName: "AddIn_ClientSecret" } },
                'RemoteWebDelivery "bad": keyVault.clientSecretName must be 1-127 letters, digits or dashes (Key Vault\'s rule); got "AddIn_ClientSecret".',
            ],
            [
                "keyVault.secondaryClientSecretName is empty",
                { ...base, keyVault: { ...VAULT, secondaryClientSecretName: "" } },
                'RemoteWebDelivery "bad": keyVault.secondaryClientSecretName must be 1-127 letters, digits or dashes (Key Vault\'s rule); got "".',
            ],
            [
                "both vault secret names are the same but for case",
                { ...base, keyVault: { ...VAULT, clientSecretName: "AddIn-Secret", secondaryClientSecretName: "addin-secret" } },
                'RemoteWebDelivery "bad": keyVault.clientSecretName and keyVault.secondaryClientSecretName are both "AddIn-Secret"; give them different names.',
            ],
            [
                "appService.useKeyVaultReferences is true without keyVault",
                { ...base, appService: { ...SITE, useKeyVaultReferences: true } },
                'RemoteWebDelivery "bad": appService.useKeyVaultReferences is true, which needs keyVault (the vault the references point to); set keyVault or drop useKeyVaultReferences.',
            ],
            [
                "appService.otherSettings sets clientsecret",
                { ...base, appService: { ...SITE, otherSettings: { clientsecret: "x" } } },
                'RemoteWebDelivery "bad": appService.otherSettings must not set "clientsecret"; ClientId, ClientSecret and SecondaryClientSecret are written by this component.',
            ],
            [
                "appService.otherSettings has an empty name",
                { ...base, appService: { ...SITE, otherSettings: { " ": "x" } } },
                'RemoteWebDelivery "bad": appService.otherSettings has an empty setting name " "; remove it.',
            ],
        ];

        for (const [when, args, message] of cases) {
            it(`throws when ${when}`, () => {
                assert.throws(() => mod.validateRemoteWebDeliveryArgs("bad", args), { message });
            });
        }

        it("throws from the constructor before creating any child", async () => {
            assert.throws(() => new mod.RemoteWebDelivery("bad", { ...base, appService: { ...SITE, useKeyVaultReferences: true } }), {
                message:
                    'RemoteWebDelivery "bad": appService.useKeyVaultReferences is true, which needs keyVault (the vault the references point to); set keyVault or drop useKeyVaultReferences.',
            });
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.deepEqual(children(), []);
        });

        it("never includes a secret in its errors", () => {
            for (const [, args] of cases) {
                const withPlainSecret = { ...args, clientSecret: args.clientSecret === "" ? "" : CLIENT_SECRET, secondaryClientSecret: SECONDARY_CLIENT_SECRET };
                assert.throws(
                    () => mod.validateRemoteWebDeliveryArgs("bad", withPlainSecret),
                    (err: Error) => !err.message.includes(CLIENT_SECRET) && !err.message.includes(SECONDARY_CLIENT_SECRET),
                );
            }
        });
    });
});
