import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { serializeProvider } from "./support/providerHost";

const KEY = Buffer.alloc(32, 7).toString("base64");
const CLIENT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

const valid = {
    clientId: CLIENT_ID,
    valueSource: "random-bytes",
    keyMaterial: KEY,
    startDateTime: "2026-01-01T00:00:00Z",
    endDateTime: "2027-01-01T00:00:00Z",
    displayName: "addin-credentials 2026-01",
};

describe("CredentialGeneration", () => {
    const created: pulumi.runtime.MockResourceArgs[] = [];
    let mod: typeof import("../components/credentialGeneration");

    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    created.push(args);
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: (args) => args.inputs,
            },
            "addin-credentials",
            "test",
        );
        mod = await import("../components/credentialGeneration");
    });

    it("registers under the stable type token pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration", async () => {
        const gen = new mod.CredentialGeneration("gen", valid as import("../components/credentialGeneration").CredentialGenerationArgs);
        await new Promise<void>((resolve) => gen.urn.apply(() => resolve()));
        const args = created.find((a) => a.name === "gen");
        assert.ok(args);
        assert.equal(args.type, "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration");
        assert.equal(typeof args.inputs.__provider, "string");
    });

    describe("serialized provider", () => {
        it("requires no relative path and holds no secret from the environment", async () => {
            // GIVEN a token and key material in this process
            const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.test-token-value";
            process.env.ADDIN_CREDENTIALS_GRAPH_TOKEN = token;
            try {
                // WHEN the provider is serialized as pulumi.dynamic.Resource does it
                const text = await serializeProvider(mod.credentialGenerationProvider);

                // THEN the text only requires packages and built-ins, and carries no secret
                const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
                assert.deepEqual([...new Set(requires)].sort(), ["@azure/identity", "crypto"]);
                assert.ok(!text.includes(token));
                assert.ok(!text.includes(KEY));
                // The provider's helpers travel by value: the Graph client and the secrets module.
                assert.match(text, /addPassword/);
                assert.match(text, /keyMaterialFromRandomBytes|must be standard padded base64/);
            } finally {
                delete process.env.ADDIN_CREDENTIALS_GRAPH_TOKEN;
            }
        });
    });

    describe("validateGenerationInputs", () => {
        it("fills valueSource and a three-year endDateTime and normalizes dates", () => {
            const { inputs, failures } = mod.validateGenerationInputs({ ...valid, valueSource: undefined, endDateTime: undefined, startDateTime: "2026-01-01T01:00:00.000+01:00" });
            assert.deepEqual(failures, []);
            assert.equal(inputs.valueSource, "random-bytes");
            assert.equal(inputs.startDateTime, "2026-01-01T00:00:00Z");
            assert.equal(inputs.endDateTime, "2029-01-01T00:00:00Z");
        });

        it("names the input and the fix for each invalid value, never echoing keyMaterial", () => {
            const secretish = Buffer.alloc(31, 9).toString("base64");
            const { failures } = mod.validateGenerationInputs({
                clientId: "my-addin",
                valueSource: "random-bytes",
                keyMaterial: secretish,
                startDateTime: "2026-01-01T00:00:00Z",
                endDateTime: "2030-01-01T00:00:00Z",
                displayName: "",
            });
            assert.deepEqual(failures, [
                { property: "clientId", reason: `clientId must be the add-in's client id, a GUID such as 11111111-2222-3333-4444-555555555555; got "my-addin".` },
                { property: "keyMaterial", reason: "keyMaterial must be base64 of 32 bytes; got 31 bytes. Generate it with RandomBytes({ length: 32 })." },
                {
                    property: "endDateTime",
                    reason:
                        "endDateTime (2030-01-01T00:00:00Z) is more than 3 years after startDateTime (2026-01-01T00:00:00Z); " +
                        "set it to 2029-01-01T00:00:00Z or earlier (tenant app-management policies may allow less).",
                },
                { property: "displayName", reason: 'displayName must be a non-empty string of at most 256 characters, unique per generation; got "".' },
            ]);
            assert.ok(!JSON.stringify(failures).includes(secretish));
        });

        it("throws no failure for values unknown during preview", () => {
            const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
            const { failures } = mod.validateGenerationInputs({ ...valid, keyMaterial: unknown, displayName: unknown });
            assert.deepEqual(failures, []);
        });

        it("requires keyMaterial for random-bytes and forbids it for entra-password", () => {
            assert.deepEqual(mod.validateGenerationInputs({ ...valid, keyMaterial: undefined }).failures.map((f) => f.property), ["keyMaterial"]);
            const e = mod.validateGenerationInputs({ ...valid, valueSource: "entra-password" }).failures;
            assert.deepEqual(e, [
                { property: "keyMaterial", reason: 'keyMaterial must be omitted when valueSource is "entra-password": the secret is the password Entra generates.' },
            ]);
        });

        it("refuses an end before the start and an unknown valueSource", () => {
            const { failures } = mod.validateGenerationInputs({ ...valid, valueSource: "certificate", endDateTime: "2025-01-01T00:00:00Z" });
            assert.deepEqual(failures.map((f) => f.property), ["valueSource", "endDateTime"]);
        });
    });

    describe("diff", () => {
        const olds = {
            ...valid,
            valueSource: "random-bytes" as const,
            targetKind: "servicePrincipal" as const,
            objectId: "o",
            signKeyId: "s",
            verifyKeyId: "v",
            passwordKeyId: "p",
            passwordHint: "abc",
            clientSecret: KEY,
            missing: [],
            drift: [],
        };

        it("reports no change for the same inputs", async () => {
            const diff = mod.credentialGenerationProvider.diff;
            assert.ok(diff);
            assert.deepEqual(await diff("id", olds, { ...valid, valueSource: "random-bytes" }), { changes: false });
        });

        it("replaces on every input change; create-before-delete only with a new displayName", async () => {
            const diff = mod.credentialGenerationProvider.diff;
            assert.ok(diff);
            assert.deepEqual(await diff("id", olds, { ...valid, valueSource: "random-bytes", endDateTime: "2026-12-01T00:00:00Z" }), {
                changes: true,
                replaces: ["endDateTime"],
                deleteBeforeReplace: true,
            });
            assert.deepEqual(await diff("id", olds, { ...valid, valueSource: "random-bytes", displayName: "next" }), {
                changes: true,
                replaces: ["displayName"],
                deleteBeforeReplace: false,
            });
        });

        it("replaces when a value is unknown during preview", async () => {
            const diff = mod.credentialGenerationProvider.diff;
            assert.ok(diff);
            const result = await diff("id", olds, { ...valid, valueSource: "random-bytes", keyMaterial: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
            assert.deepEqual(result.replaces, ["keyMaterial"]);
        });
    });
});
