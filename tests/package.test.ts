// The npm package as a user gets it: `npm pack`'s tarball holds the compiled components and
// nothing else, declares what its code requires, and a new Pulumi TypeScript program (a temporary
// folder, not this repository) installs it, type-checks against it and runs the component in
// mock mode. The install is offline: the package's runtime dependencies are linked from this
// repository's node_modules (npm checks their versions against the package's ranges), while the
// package's own files come from the tarball.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const CLIENT_ID = "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11";

interface PackageJson {
    name: string;
    version: string;
    main?: string;
    types?: string;
    exports: Record<string, string | { types?: string; default?: string }>;
    dependencies: Record<string, string>;
}

/** Runs a command in `cwd`; a failure says what ran and what it printed. */
async function sh(cwd: string, file: string, args: readonly string[]): Promise<string> {
    try {
        const { stdout } = await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
        return stdout;
    } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${[file, ...args].join(" ")} in ${cwd} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
    }
}

/** Every file below `dir`, as paths relative to it with forward slashes. */
function filesBelow(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
        .sort();
}

/** The package a bare module specifier names ("@scope/name/sub" → "@scope/name"); undefined for node: builtins and relative paths. */
function packageOf(specifier: string): string | undefined {
    if (specifier.startsWith(".") || specifier.startsWith("node:")) {
        return undefined;
    }
    const parts = specifier.split("/");
    return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

describe("the npm package", function () {
    this.timeout(120_000);
    let work: string;
    let tarball: string;
    let packed: string[];
    let unpacked: string;
    let manifest: PackageJson;

    before(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "addin-credentials-pack-"));
        // --ignore-scripts: `prepare` would build dist/ again; `npm test` has just built it.
        const out = JSON.parse(await sh(ROOT, "npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work])) as { filename: string; files: { path: string }[] }[];
        tarball = path.join(work, out[0].filename);
        packed = out[0].files.map((f) => f.path).sort();
        unpacked = path.join(work, "unpacked");
        fs.mkdirSync(unpacked);
        await sh(work, "tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1"]);
        manifest = JSON.parse(fs.readFileSync(path.join(unpacked, "package.json"), "utf8")) as PackageJson;
    });

    after(() => {
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("holds the compiled components with their declarations, the README and package.json, and nothing else", () => {
        // One .js and one .d.ts per source file of components/ (tsconfig.build.json compiles them).
        const sources = filesBelow(path.join(ROOT, "components")).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
        assert.ok(sources.includes("index.ts") && sources.includes("dynamicProviders.ts"), sources.join(", "));
        const expected = [
            "README.md",
            "package.json",
            ...sources.flatMap((f) => [`dist/components/${f.replace(/\.ts$/, ".js")}`, `dist/components/${f.replace(/\.ts$/, ".d.ts")}`]),
        ].sort();
        assert.deepEqual(packed, expected);
        assert.deepEqual(filesBelow(unpacked), expected, "the tarball holds what npm pack listed");
    });

    it("exports the component's entry point and the provider contract, each to a file in the tarball", () => {
        assert.equal(manifest.name, "addin-credentials");
        assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
        const targets = Object.entries(manifest.exports).flatMap(([subpath, target]) =>
            typeof target === "string" ? [[subpath, target]] : Object.values(target).map((t) => [subpath, t as string]));
        assert.deepEqual([...new Set(targets.map(([subpath]) => subpath))].sort(), [".", "./dynamic-providers", "./package.json"]);
        for (const [subpath, target] of [...targets, ["main", manifest.main ?? ""], ["types", manifest.types ?? ""]]) {
            assert.ok(fs.existsSync(path.join(unpacked, target)), `${subpath} → ${target} is not in the tarball`);
        }
    });

    it("declares as runtime dependencies exactly the packages its code requires", () => {
        const required = new Map<string, string[]>();
        for (const file of filesBelow(path.join(unpacked, "dist"))) {
            const text = fs.readFileSync(path.join(unpacked, "dist", file), "utf8");
            // Compiled CommonJS requires in .js; type imports in .d.ts (a user's tsc resolves them).
            const pattern = file.endsWith(".d.ts") ? /(?:from |import\()"([^"]+)"/g : /\brequire\("([^"]+)"\)/g;
            for (const m of text.matchAll(pattern)) {
                const pkg = packageOf(m[1]);
                if (pkg !== undefined) {
                    required.set(pkg, [...(required.get(pkg) ?? []), `${file}: ${m[1]}`]);
                }
            }
        }
        // The provider text requires the package itself by name: served by its own exports map.
        assert.deepEqual(required.get(manifest.name)?.map((r) => r.split(": ")[1]), ["addin-credentials/dynamic-providers"]);
        required.delete(manifest.name);
        assert.deepEqual([...required.keys()].sort(), Object.keys(manifest.dependencies).sort(),
            `required: ${JSON.stringify(Object.fromEntries(required))}; dependencies: ${JSON.stringify(manifest.dependencies)}`);
    });

    it("installs into a new Pulumi TypeScript program, which type-checks against it and runs the component in mock mode", async () => {
        const started = Date.now();
        const project = path.join(work, "consumer");
        fs.mkdirSync(project);
        // The runtime dependencies (and @types/node for tsc) come from this repository's
        // node_modules as links, so nothing is downloaded; npm still checks them against the
        // package's version ranges, and only the declared ones are there to be found.
        const link = (name: string): string => `file:${path.join(ROOT, "node_modules", name)}`;
        const consumerManifest = {
            name: "consumer",
            version: "1.0.0",
            private: true,
            main: "bin/index.js",
            dependencies: {
                "addin-credentials": `file:${tarball}`,
                ...Object.fromEntries(Object.keys(manifest.dependencies).map((name) => [name, link(name)])),
            },
            devDependencies: { "@types/node": link("@types/node") },
        };
        assert.ok("@pulumi/pulumi" in consumerManifest.dependencies, "the program's own import of @pulumi/pulumi is one of the package's dependencies");
        write(project, "package.json", JSON.stringify(consumerManifest, null, 2));
        write(project, "Pulumi.yaml", "name: consumer\nruntime: nodejs\ndescription: a program that uses addin-credentials\n");
        // Shaped like the TypeScript template's tsconfig: strict, CommonJS, node resolution, and no
        // skipLibCheck, so the package's declarations are type-checked too.
        write(project, "tsconfig.json", JSON.stringify({
            compilerOptions: {
                strict: true, outDir: "bin", target: "es2020", module: "commonjs", moduleResolution: "node", sourceMap: true,
                experimentalDecorators: true, noFallthroughCasesInSwitch: true, noImplicitReturns: true, forceConsistentCasingInFileNames: true,
            },
            files: ["index.ts"],
        }, null, 2));
        write(project, "index.ts", CONSUMER_PROGRAM);
        // The exports map as Node 16+ resolution reads it: the contract subpath has types too.
        write(project, "tsconfig.node16.json", JSON.stringify({
            extends: "./tsconfig.json",
            compilerOptions: { module: "node16", moduleResolution: "node16", noEmit: true },
            files: ["contract.ts"],
        }, null, 2));
        write(project, "contract.ts", CONTRACT_CHECK);
        write(project, "mock.js", MOCK_RUN);

        await sh(project, "npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"]);
        const installed = path.join(project, "node_modules", "addin-credentials");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink(), "the package is installed from the tarball, not linked to the repository");
        assert.deepEqual(filesBelow(installed), filesBelow(unpacked));

        await sh(project, process.execPath, [TSC, "--noEmit", "-p", "."]);
        await sh(project, process.execPath, [TSC, "-p", "tsconfig.node16.json"]);
        await sh(project, process.execPath, [TSC, "-p", ".", "--noCheck"]); // emit bin/index.js, checked above

        await sh(project, process.execPath, ["mock.js"]);
        const result = JSON.parse(fs.readFileSync(path.join(project, "result.json"), "utf8")) as MockRunResult;

        assert.equal(result.loadedFrom, fs.realpathSync(path.join(installed, "dist", "components", "index.js")));
        assert.deepEqual(result.resources, [
            "addin-credentials:index:AddInCredentialSet hr-portal",
            "addin-credentials:index:RemoteWebDelivery hr-portal-delivery",
            "azure-native:keyvault:Secret hr-portal-delivery-client-secret",
            "azure-native:keyvault:Secret hr-portal-delivery-secondary-client-secret",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration hr-portal-slot-a",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration hr-portal-slot-b",
            "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory hr-portal-inventory",
            "random:index/randomBytes:RandomBytes hr-portal-slot-a-bytes",
            "random:index/randomBytes:RandomBytes hr-portal-slot-b-bytes",
        ]);
        assert.deepEqual(result.outputs, {
            clientId: CLIENT_ID,
            generations: ["addin-credentials/hr-portal/gen-0/2026-11-26 slot a", "addin-credentials/hr-portal/gen-1/2028-05-30 slot b"],
            clientSecretUri: "https://kv-addins.vault.azure.net/secrets/AddIn-ClientSecret",
        });
        // The provider text stored with each dynamic resource, run as the dynamic provider host runs
        // it (require-from-string, from the project directory), reaches the installed package.
        assert.deepEqual(result.providerTexts, ["addin-credentials/dynamic-providers"]);
        assert.deepEqual(result.inventoryCheck, { failures: [], cleanup: "expired", gracePeriodDays: 7 });
        const seconds = (Date.now() - started) / 1000;
        assert.ok(seconds < 60, `the consumer's install, type-check and mock run took ${seconds} s`);
    });
});

function write(dir: string, file: string, text: string): void {
    fs.writeFileSync(path.join(dir, file), text);
}

/** What mock.js prints. */
interface MockRunResult {
    loadedFrom: string;
    resources: string[];
    outputs: Record<string, unknown>;
    providerTexts: string[];
    inventoryCheck: { failures: unknown[]; cleanup: unknown; gracePeriodDays: unknown };
}

/** The user's program: one add-in, planned on a day with two generations, delivered to Key Vault and web.config. */
const CONSUMER_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { AddInCredentialSet, GenerationInfo, InventoryReport, RemoteWebDelivery } from "addin-credentials";

const set = new AddInCredentialSet("hr-portal", {
    clientId: "${CLIENT_ID}",
    firstGenerationStart: "2026-11-26",
    planningTime: "2028-06-01T00:00:00Z",
});
const delivery = new RemoteWebDelivery("hr-portal-delivery", {
    clientId: set.clientId,
    clientSecret: set.clientSecret.apply((s) => s ?? ""),
    secondaryClientSecret: set.secondaryClientSecret,
    keyVault: { resourceGroupName: "rg-addins", vaultName: "kv-addins" },
    webConfig: true,
}, { parent: set });

const generations: pulumi.Output<GenerationInfo[]> = set.generations;
const inventory: pulumi.Output<InventoryReport> = set.inventory;
const daysLeft: pulumi.Output<number | undefined> = set.daysLeft;

export const clientId = set.clientId;
export const generationNames = generations.apply((gs) => gs.map((g) => g.displayName + " slot " + g.slot));
export const risks = inventory.apply((i) => i.risks);
export const days = daysLeft;
export const clientSecretUri = delivery.clientSecretUri;
export const webConfig = delivery.webConfigAppSettings;
`;

/** Type-checks the provider contract subpath under Node 16 resolution. */
const CONTRACT_CHECK = `import { providers } from "addin-credentials/dynamic-providers";
import type * as pulumi from "@pulumi/pulumi";

export const generation: pulumi.dynamic.ResourceProvider = providers.CredentialGeneration;
export const inventory: pulumi.dynamic.ResourceProvider = providers.CredentialInventory;
`;

/** Runs the compiled program with Pulumi's mocks and prints what it registered (no secret). */
const MOCK_RUN = `"use strict";
const crypto = require("node:crypto");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const resources = [];
const providerTexts = new Map();
pulumi.runtime.setMocks({
    newResource: (args) => {
        resources.push(args.type + " " + args.name);
        if (typeof args.inputs.__provider === "string") {
            providerTexts.set(args.type, args.inputs.__provider);
        }
        if (args.type === "random:index/randomBytes:RandomBytes") {
            return { id: "none", state: { ...args.inputs, base64: crypto.createHash("sha256").update(args.name).digest("base64") } };
        }
        if (args.type.endsWith(":CredentialGeneration")) {
            const tag = args.name.slice(-1);
            return { id: "obj/generation/" + tag, state: { ...args.inputs, signKeyId: "sign-" + tag, verifyKeyId: "verify-" + tag, passwordKeyId: "password-" + tag } };
        }
        if (args.type.endsWith(":CredentialInventory")) {
            return { id: "obj/credentialInventory/" + args.inputs.setName, state: { ...args.inputs, entries: [], removed: [], pending: [], risks: [] } };
        }
        return { id: args.name + "-id", state: args.inputs };
    },
    call: () => ({}),
}, "consumer", "dev", false);

const value = (o) => new Promise((resolve) => pulumi.output(o).apply(resolve));

(async () => {
    const program = require("./bin/index.js");
    const outputs = {
        clientId: await value(program.clientId),
        generations: await value(program.generationNames),
        clientSecretUri: await value(program.clientSecretUri),
    };
    await value(program.risks);
    await value(program.webConfig);
    await new Promise((resolve) => setTimeout(resolve, 50));

    // The dynamic provider host loads the stored text with require-from-string, resolving from its
    // working directory (the project); do the same and call the inventory's check through it.
    const requireFromString = require(require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] }));
    const inventoryText = providerTexts.get("pulumi-nodejs:dynamic/addin-credentials:CredentialInventory");
    const provider = requireFromString(inventoryText).handler();
    const checked = await provider.check({}, { clientId: "${CLIENT_ID}", setName: "hr-portal", declaredDisplayNames: [] });
    const required = [...new Set([...providerTexts.values()].flatMap((t) => [...t.matchAll(/require\\("([^"]+)"\\)/g)].map((m) => m[1])))];

    // pulumi.log writes to stdout when no engine runs: the result goes to a file.
    require("node:fs").writeFileSync("result.json", JSON.stringify({
        loadedFrom: require.resolve("addin-credentials"),
        resources: resources.sort(),
        outputs,
        providerTexts: required,
        inventoryCheck: { failures: checked.failures, cleanup: checked.inputs.cleanup, gracePeriodDays: checked.inputs.gracePeriodDays },
    }, null, 2));
})().catch((e) => {
    console.error(e);
    process.exit(1);
});
`;
