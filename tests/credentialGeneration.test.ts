import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { serializeProvider } from "../engine/providerHost";

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
        it("is a small text that loads the implementation from the installed package and holds no secret from the environment", async () => {
            // GIVEN a token and key material in this process
            const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.test-token-value";
            process.env.ADDIN_CREDENTIALS_GRAPH_TOKEN = token;
            try {
                // WHEN the provider is serialized as pulumi.dynamic.Resource does it
                const { providerShim, DYNAMIC_PROVIDERS_MODULE } = await import("../components/providerShim");
                const text = await serializeProvider(providerShim("CredentialGeneration"));

                // THEN the text requires the package by name only, carries no copy of the code and no secret
                const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
                assert.deepEqual([...new Set(requires)], [DYNAMIC_PROVIDERS_MODULE]);
                assert.match(text, /"CredentialGeneration"/);
                assert.doesNotMatch(text, /addPassword/);
                assert.ok(text.length < 5000, `${text.length} bytes`);
                assert.ok(!text.includes(token));
                assert.ok(!text.includes(KEY));
            } finally {
                delete process.env.ADDIN_CREDENTIALS_GRAPH_TOKEN;
            }
        });
    });

    describe("validateGenerationInputs", () => {
        it("fills valueSource and an endDateTime 1095 days (the longest lifetime) after the start and normalizes dates", () => {
            const { inputs, failures } = mod.validateGenerationInputs({ ...valid, valueSource: undefined, endDateTime: undefined, startDateTime: "2026-01-01T01:00:00.000+01:00" });
            assert.deepEqual(failures, []);
            assert.equal(inputs.valueSource, "random-bytes");
            assert.equal(inputs.startDateTime, "2026-01-01T00:00:00Z");
            assert.equal(inputs.endDateTime, "2028-12-31T00:00:00Z");
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
                        "endDateTime (2030-01-01T00:00:00Z) is more than 1095 days after startDateTime (2026-01-01T00:00:00Z); " +
                        "set it to 2028-12-31T00:00:00Z or earlier (tenant app-management policies may allow less).",
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

        it("replaces (create before delete) only for a new identity: clientId or displayName", async () => {
            const diff = mod.credentialGenerationProvider.diff;
            assert.ok(diff);
            assert.deepEqual(await diff("id", olds, { ...valid, valueSource: "random-bytes", displayName: "next" }), { changes: true, replaces: ["displayName"] });
            assert.deepEqual(await diff("id", olds, { ...valid, valueSource: "random-bytes", clientId: "22222222-2222-3333-4444-555555555555" }), { changes: true, replaces: ["clientId"] });
            assert.deepEqual(await diff("id", olds, { ...valid, valueSource: "random-bytes", clientId: valid.clientId.toUpperCase() }), { changes: false }, "GUIDs are case-insensitive");
        });

        it("repairs in place (an update, no replacement) for new dates, drift found by read, or older provider code", async () => {
            const diff = mod.credentialGenerationProvider.diff;
            assert.ok(diff);
            const news = { ...valid, valueSource: "random-bytes" as const };
            assert.deepEqual(await diff("id", olds, { ...news, endDateTime: "2026-12-01T00:00:00Z" }), { changes: true });
            assert.deepEqual(await diff("id", { ...olds, missing: ["password"] }, news), { changes: true });
            assert.deepEqual(await diff("id", { ...olds, drift: ["sign: usage is Verify, expected Sign"] }, news), { changes: true });
            assert.deepEqual(await diff("id", { ...olds, __provider: "old text" } as typeof olds, { ...news, __provider: "new text" } as typeof news), { changes: true });
        });

        it("records a new keyMaterial as asked for without asking again: the generation keeps the value it has", async () => {
            const diff = mod.credentialGenerationProvider.diff;
            assert.ok(diff);
            const other = Buffer.alloc(32, 9).toString("base64");
            const news = { ...valid, valueSource: "random-bytes" as const, keyMaterial: other };
            assert.deepEqual(await diff("id", olds, news), { changes: true });
            assert.deepEqual(await diff("id", { ...olds, requestedKeyMaterial: other }, news), { changes: false });
        });

        it("plans an update when a repairable value is unknown during preview", async () => {
            const diff = mod.credentialGenerationProvider.diff;
            assert.ok(diff);
            const result = await diff("id", olds, { ...valid, valueSource: "random-bytes", keyMaterial: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
            assert.deepEqual(result, { changes: true });
        });
    });
});
