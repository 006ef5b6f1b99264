// Upgrading a stack from the first landed release (commit 11204c8, version 0.1.0, which stored
// each dynamic resource's provider by value) to the current package: the old release is built
// from git history into a temporary folder and creates generation 0 with its own program, its
// own lifecycle harness and its own provider text; its state is then loaded into the engine
// stand-in, and the current program runs against the same emulator tenant for the days that
// follow. docs/UPGRADING.md describes what an operator sees; this is its evidence.
// Engine: the stand-in, because this follows the upgraded stack for years (rotations, retirement,
// a destroy with the old code); tests/cli/upgrade.test.ts runs the upgrade itself on the real CLI,
// from the same first release.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as semver from "semver";
import { credentialInventoryProvider } from "../components/credentialInventory";
import { DynamicResourceType } from "../components/dynamicProviders";
import { providerShim } from "../components/providerShim";
import { AddInCheck } from "../emulator";
import { RunResult } from "../engine/deployment";
import { serializeProvider } from "../engine/providerHost";
import { EngineStack, EXIT } from "../engine/stack";
import { Checkpoint, checkpointJson, ResourceState } from "../engine/state";
import { Props } from "../engine/wire";
import { Lab, startLab } from "../tools/lab";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");
/** The last commit of the first work that landed. */
const FIRST_RELEASE = "11204c8";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-11-26T06:00:00Z");
/** Days between generations with the defaults: ceil((1095 + 7) / 2). */
const INTERVAL = 551;
const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic/addin-credentials:";
const SET_TYPE = "addin-credentials:index:AddInCredentialSet";

/** One resource of the old harness's checkpoint (harness/lifecycle.ts `StateEntry` at 11204c8). */
interface OldStateEntry {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    id: string;
    inputs: Props;
    outputs: Props;
    secretOutputs: string[];
    deleteBeforeReplace: boolean;
    seq: number;
}

/** What the old release's driver prints: its checkpoint and each run's steps and stack outputs. */
interface OldRelease {
    state: OldStateEntry[];
    results: { steps: string[]; outputs: Record<string, { value: unknown; secret: boolean }> }[];
}

/** The add-in's stack outputs that the remote web is deployed with. */
interface AddInOutputs {
    clientSecret?: string;
    secondaryClientSecret?: string;
}

/**
 * Runs the old release's program through its own harness and provider host, in a child process
 * started from its folder, once per config; returns its state. Secrets cross over the pipe only.
 */
const OLD_DRIVER = `import { LifecycleHarness, PROGRAM_PATH } from "./harness/lifecycle";
import { startProviderHost } from "./tests/support/providerHost";

async function main(): Promise<void> {
    const runs = JSON.parse(process.argv[2]) as { config: Record<string, string> }[];
    const host = await startProviderHost({ env: {} });
    try {
        const harness = new LifecycleHarness({ programPath: PROGRAM_PATH, provider: host });
        const results = [];
        for (const r of runs) {
            const res = await harness.run({ config: r.config });
            results.push({ steps: res.steps.map((s) => s.op + " " + s.name), outputs: res.outputs });
        }
        process.stdout.write("\\n@@OLD-RELEASE@@" + JSON.stringify({ state: [...harness.state.values()], results }));
    } finally {
        await host.stop();
    }
}
main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
`;

/**
 * The old harness's checkpoint as the engine stand-in's: the same URNs, ids, inputs, outputs
 * and secret outputs. What the old harness did not record is rebuilt: the components (it kept
 * none; Pulumi's state has them, with the `{}` args the component sends), each resource's parent
 * (the component whose qualified type its URN names and whose name prefixes its own), secret
 * inputs (an input whose output of the same name is secret was secret), and the engine's
 * defaults for the rest (no dependencies: the first run's registrations write them).
 */
function checkpointFromOldState(entries: readonly OldStateEntry[], components: readonly { type: string; name: string }[]): Checkpoint {
    const stackPrefix = entries[0].urn.split("::").slice(0, 2).join("::");
    const componentStates: ResourceState[] = components.map((c) => ({
        ...DEFAULTS, urn: `${stackPrefix}::${c.type}::${c.name}`, type: c.type, name: c.name, custom: false, id: "", inputs: {}, outputs: {},
    }));
    const parentOf = (entry: OldStateEntry): string => {
        const chain = entry.urn.split("::")[2].split("$");
        if (chain.length === 1) {
            return "";
        }
        const parentType = chain.slice(0, -1).join("$");
        const parent = componentStates
            .filter((c) => c.urn.split("::")[2] === parentType && entry.name.startsWith(`${c.name}-`))
            .sort((a, b) => b.name.length - a.name.length)[0];
        assert.ok(parent, `no component of type ${parentType} is the parent of ${entry.urn}`);
        return parent.urn;
    };
    const custom = [...entries].sort((a, b) => a.seq - b.seq).map((e): ResourceState => ({
        ...DEFAULTS,
        urn: e.urn,
        type: e.type,
        name: e.name,
        custom: e.custom,
        id: e.id,
        inputs: e.inputs,
        outputs: e.outputs,
        secretInputs: Object.keys(e.inputs).filter((k) => e.secretOutputs.includes(k)),
        secretOutputs: e.secretOutputs,
        parent: parentOf(e),
    }));
    return { resources: [...componentStates, ...custom] };
}

/**
 * The first release's dependencies that the current node_modules does not serve: absent or out
 * of its version range, and imported by one of its sources (a package it declares but never
 * imports, like @microsoft/microsoft-graph-types, need not be there).
 */
function dependenciesNotServed(release: string): string[] {
    const manifest = JSON.parse(fs.readFileSync(path.join(release, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const sources = fs.readdirSync(release, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\.(ts|js|cjs|mjs)$/.test(e.name))
        .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"))
        .join("\n");
    return Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(([name, range]) => {
        const file = path.join(ROOT, "node_modules", name, "package.json");
        const served = fs.existsSync(file) && semver.satisfies((JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version, range);
        const imported = new RegExp(`(from |require\\(|import\\()"${name.replace(/[/.]/g, "\\$&")}(/[^"]*)?"`).test(sources);
        return !served && imported;
    }).map(([name, range]) => `${name}@${range}`);
}

const DEFAULTS = {
    secretInputs: [], secretOutputs: [], parent: "", dependencies: [], propertyDependencies: {},
    delete: false, pendingReplacement: false, retainOnDelete: false, protect: false,
} as const;

describe(`upgrading a stack written by the first release (${FIRST_RELEASE})`, function () {
    this.timeout(300_000);
    let lab: Lab;
    let release: string;
    let sp: { id: string; appId: string };
    /** The remote web's settings, as each deploy job left them. */
    let app: { clientSecret: string; secondaryClientSecret?: string };
    const failedHours: string[] = [];
    let checkedHours = 0;
    let lastCheck: { key: string; check: AddInCheck } | undefined;

    before(async () => {
        lab = await startLab();
        release = fs.mkdtempSync(path.join(os.tmpdir(), "addin-credentials-0.1.0-"));
        await run("sh", ["-c", `git -C "${ROOT}" cat-file -e ${FIRST_RELEASE}^{commit} || { echo "the upgrade test needs the first release, commit ${FIRST_RELEASE}, in this clone's history: run git fetch --unshallow" >&2; exit 1; }`]);
        await run("sh", ["-c", `git -C "${ROOT}" archive ${FIRST_RELEASE} | tar -x -C "${release}"`]);
        assert.deepEqual(dependenciesNotServed(release), [], "the current node_modules serves what the first release imports");
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(release, "node_modules"), "dir");
        fs.writeFileSync(path.join(release, "upgradeDriver.ts"), OLD_DRIVER);
    });

    after(async () => {
        await lab?.close();
        if (release) {
            fs.rmSync(release, { recursive: true, force: true });
        }
    });

    /** The stack config; the current program plans for the directory's clock (the emulator's), the first release for planningTime. */
    const config = (): Record<string, string> => ({
        "addin-credentials:addins": JSON.stringify([{ name: "hr-portal", clientId: sp.appId, firstGenerationStart: new Date(T0).toISOString() }]),
    });
    const firstReleaseConfig = (atMs: number): Record<string, string> => ({ ...config(), "addin-credentials:planningTime": new Date(atMs).toISOString() });

    async function runOldRelease(atMs: number): Promise<OldRelease> {
        lab.emu.clock.freeze(new Date(atMs));
        const ts = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
        try {
            const { stdout } = await run(process.execPath, [ts, "upgradeDriver.ts", JSON.stringify([{ config: firstReleaseConfig(atMs) }])], {
                cwd: release,
                env: { ...process.env, ...lab.env, TS_NODE_TRANSPILE_ONLY: "true" },
                maxBuffer: 64 * 1024 * 1024,
            });
            return JSON.parse(stdout.slice(stdout.indexOf("@@OLD-RELEASE@@") + "@@OLD-RELEASE@@".length)) as OldRelease;
        } catch (e) {
            // stdout is left out: it may hold the old program's output, secrets included.
            throw new Error(`the old release's program failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
        }
    }

    /** The remote web after a deploy job: ClientSecret and SecondaryClientSecret from the stack outputs. */
    function deploy(outputs: Record<string, { value: unknown }>): void {
        const out = (outputs.addins.value as Record<string, AddInOutputs>)["hr-portal"];
        assert.ok(out.clientSecret, "the stack exports a ClientSecret");
        app = { clientSecret: out.clientSecret, secondaryClientSecret: out.secondaryClientSecret };
    }

    /**
     * Checks the add-in every hour of [fromMs, toMs) as SharePoint and the remote web would
     * (tools/sandboxCore.ts): in full whenever ACS's signing key or the app's settings changed.
     */
    async function checkHourly(fromMs: number, toMs: number): Promise<void> {
        for (let t = fromMs; t < toMs; t += HOUR) {
            lab.emu.clock.freeze(new Date(t));
            checkedHours++;
            const key = `${lab.emu.acs.activeSigningKey(sp.appId)?.keyId}|${app.clientSecret}|${app.secondaryClientSecret}`;
            if (lastCheck?.key !== key) {
                lastCheck = { key, check: await lab.emu.checkAddIn(sp.appId, app) };
            }
            if (!(lastCheck.check.contextTokenValid && lastCheck.check.accessTokenOk)) {
                failedHours.push(`${new Date(t).toISOString()}: ${lastCheck.check.reason}`);
            }
        }
    }

    /** The deploy job (`pulumi up --yes`), then the drift job 12 hours later, green. */
    async function day(stack: EngineStack, atMs: number): Promise<RunResult> {
        lab.emu.clock.freeze(new Date(atMs));
        const up = await stack.up({ config: config() });
        assert.equal(up.exitCode, EXIT.success, up.error);
        assert.equal(up.planMismatch, undefined, JSON.stringify(up.planMismatch));
        const update = up.update as RunResult;
        deploy(update.outputs);
        await checkHourly(atMs, atMs + 12 * HOUR);
        lab.emu.clock.freeze(new Date(atMs + 12 * HOUR));
        const drift = await stack.preview({ config: config(), expectNoChanges: true });
        assert.equal(drift.exitCode, EXIT.success, `the drift job after the deploy job is red: ${drift.error}`);
        return update;
    }

    /** A stack of the current program holding the state the old release wrote. */
    const stackFrom = (old: OldRelease): EngineStack =>
        lab.newStack({ stack: "sandbox", checkpoint: checkpointFromOldState(old.state, [{ type: SET_TYPE, name: "hr-portal" }]) });

    const changes = (r: RunResult) => r.steps.filter((s) => s.logical).map((s) => `${s.op} ${s.name}`).sort();
    const generationsOnObject = () => [...new Set(lab.emu.tenant.credentials(sp.id).keyCredentials.map((k) => k.displayName))].sort();
    const dynamicResources = (c: Checkpoint) => c.resources.filter((r) => r.type.startsWith(DYNAMIC_PREFIX));

    it("refreshes, migrates, rotates and retires the old release's generation with the current code, the add-in working every hour", async () => {
        sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const shimText = new Map<DynamicResourceType, string>();
        for (const type of ["CredentialGeneration", "CredentialInventory"] as const) {
            shimText.set(type, await serializeProvider(providerShim(type)));
        }

        // GIVEN the first release's program created generation 0, its state stored its provider by value
        const old = await runOldRelease(T0);
        assert.deepEqual(old.results[0].steps, ["create hr-portal-slot-a-bytes", "create hr-portal-slot-a", "create hr-portal-inventory"]);
        deploy(old.results[0].outputs);
        const oldDynamic = old.state.filter((e) => e.type.startsWith(DYNAMIC_PREFIX));
        for (const e of oldDynamic) {
            const text = String(e.outputs.__provider);
            assert.ok(!text.includes("addin-credentials/dynamic-providers") && text.length > 20_000, `${e.name}: the old release serialized its provider by value (${text.length} characters)`);
        }
        // Inputs the current code no longer sends, and inputs it sends that the old code did not know.
        const oldInventory = old.state.find((e) => e.name === "hr-portal-inventory") as OldStateEntry;
        assert.equal((oldInventory.inputs.declaredKeyIds as string[]).length, 3);
        assert.equal(oldInventory.inputs.retiredGenerations, undefined);
        assert.equal(oldInventory.inputs.adoptedKeyIds, undefined);

        const stack = stackFrom(old);
        console.log(`      the first release's state of one add-in with one generation: ${Buffer.byteLength(checkpointJson(stack.checkpoint))} bytes; ` +
            `provider text (bytes): ${JSON.stringify(Object.fromEntries(oldDynamic.map((e) => [e.name, Buffer.byteLength(String(e.outputs.__provider))])))}`);
        assert.deepEqual(stack.checkpoint.resources.map((r) => `${r.name} ${r.parent.split("::").pop()}`), [
            "hr-portal ", "hr-portal-slot-a-bytes hr-portal", "hr-portal-slot-a hr-portal", "hr-portal-inventory hr-portal",
        ]);
        // Generation 0 has propagated a day later; the add-in is checked every hour from then on.
        const upgradeDay = T0 + 30 * DAY;
        await checkHourly(T0 + DAY, upgradeDay);

        // WHEN the package is upgraded: the drift job that runs before the next deploy job is red,
        // once, with one update per dynamic resource and nothing else
        lab.emu.clock.freeze(new Date(upgradeDay));
        const driftBefore = await stack.preview({ config: config(), expectNoChanges: true });
        assert.equal(driftBefore.exitCode, EXIT.noChangesExpected, driftBefore.error);
        assert.deepEqual(changes(driftBefore.preview), ["update hr-portal-inventory", "update hr-portal-slot-a"]);
        const refreshed = driftBefore.preview.steps.filter((s) => s.op === "refresh").map((s) => `${s.name} ${s.refresh}`).sort();
        assert.deepEqual(refreshed, ["hr-portal unchanged", "hr-portal-inventory unchanged", "hr-portal-slot-a unchanged", "hr-portal-slot-a-bytes unchanged"], "the old code reads its own resources");

        // AND the deploy job: the old code refreshes, the current code plans and makes those updates
        const requestsBefore = lab.emu.requests.length;
        const secretBefore = app.clientSecret;
        const upgrade = await day(stack, upgradeDay);
        assert.deepEqual(changes(upgrade), ["update hr-portal-inventory", "update hr-portal-slot-a"]);
        const writes = lab.emu.requests.slice(requestsBefore).filter((r) => r.method !== "GET" && !r.operation.startsWith("acs."));
        assert.deepEqual(writes.map((r) => r.operation), [], "the migration writes nothing to Graph");
        assert.equal(app.clientSecret, secretBefore, "the remote web keeps its secret");

        // THEN every dynamic resource stores the current provider text, which loads the installed package
        for (const r of dynamicResources(stack.checkpoint)) {
            const type = r.type.slice(DYNAMIC_PREFIX.length) as DynamicResourceType;
            assert.equal(r.outputs.__provider, shimText.get(type), `${r.name}: outputs.__provider`);
            assert.equal(r.inputs.__provider, shimText.get(type), `${r.name}: inputs.__provider`);
            assert.equal(r.retainOnDelete, r.type.endsWith("CredentialGeneration"), `${r.name}: retainOnDelete as the current program registers it`);
        }
        const inventory = stack.checkpoint.resources.find((r) => r.name === "hr-portal-inventory") as ResourceState;
        assert.deepEqual([inventory.outputs.declaredKeyIds, inventory.outputs.retiredGenerations, inventory.outputs.adoptedKeyIds], [[], [], []]);

        // AND the rotation day and the slot replacement day run the current code only: the
        // generation the old release created is read by it, displaced, and its entries removed by
        // the current inventory (the engine's delete-replaced keeps it at the provider)
        await checkHourly(upgradeDay + 12 * HOUR, T0 + INTERVAL * DAY);
        const rotation = await day(stack, T0 + INTERVAL * DAY);
        assert.deepEqual(changes(rotation), ["create hr-portal-slot-b", "create hr-portal-slot-b-bytes", "update hr-portal-inventory"]);
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-0/2026-11-26", "addin-credentials/hr-portal/gen-1/2028-05-30"]);

        const replacementDay = T0 + 2 * INTERVAL * DAY;
        await checkHourly(T0 + INTERVAL * DAY + 12 * HOUR, replacementDay);
        const replacement = await day(stack, replacementDay);
        assert.deepEqual(changes(replacement), ["replace hr-portal-slot-a", "replace hr-portal-slot-a-bytes", "update hr-portal-inventory"]);
        assert.deepEqual(replacement.steps.filter((s) => s.op === "delete-replaced" && s.type.endsWith("CredentialGeneration")).map((s) => [s.name, s.retain]), [["hr-portal-slot-a", true]]);
        assert.ok(replacement.logs.some((l) => l.message.includes("removed key") && l.message.includes("retired: generation 0 expired")), JSON.stringify(replacement.logs));
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-1/2028-05-30", "addin-credentials/hr-portal/gen-2/2029-12-02"]);
        for (const r of dynamicResources(stack.checkpoint)) {
            assert.equal(r.outputs.__provider, shimText.get(r.type.slice(DYNAMIC_PREFIX.length) as DynamicResourceType), r.name);
        }
        await checkHourly(replacementDay + 12 * HOUR, replacementDay + 2 * DAY);

        assert.ok(checkedHours > 2 * INTERVAL * 24, `${checkedHours} hours checked`);
        assert.deepEqual(failedHours, []);
    });

    it("before the first up after the upgrade, a destroy still deletes the generation's entries, with the old code, as the first release did", async () => {
        // The old state has no retainOnDelete (the first release did not set it): the engine
        // decides a delete by the option the last registration wrote, and runs Delete with the
        // provider text stored then.
        sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const stack = stackFrom(await runOldRelease(T0));
        assert.deepEqual(generationsOnObject(), ["addin-credentials/hr-portal/gen-0/2026-11-26"]);

        lab.emu.clock.freeze(new Date(T0 + DAY));
        const destroy = await stack.destroy({ config: config() });

        assert.equal(destroy.ok, true, destroy.error);
        assert.deepEqual(destroy.steps.filter((s) => s.op === "delete" && s.type.endsWith("CredentialGeneration")).map((s) => [s.name, s.retain]), [["hr-portal-slot-a", false]]);
        assert.deepEqual(generationsOnObject(), [], "deleted by the first release's Delete");
    });

    it("a stack config of the first release that adopts a secret fails the preview until adoptedKeyIds is added, naming it", async () => {
        sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const adopted = "c2VjcmV0IHRoZSBhcHAgdXNlcyB0b2RheSwgMzIgYnl0ZXMhIQ==";
        const stack = lab.newStack({ stack: "sandbox" });
        lab.emu.clock.freeze(new Date(T0));

        const preview = await stack.preview({
            config: {
                ...config(),
                "addin-credentials:addins": JSON.stringify([{ name: "hr-portal", clientId: sp.appId, firstGenerationStart: new Date(T0).toISOString(), adoptedSecretEndDateTime: "2027-12-01T00:00:00Z" }]),
                "addin-credentials:adoptedClientSecrets": JSON.stringify({ "hr-portal": adopted }),
            },
            secretKeys: ["addin-credentials:adoptedClientSecrets"],
        });

        assert.equal(preview.exitCode, EXIT.error);
        assert.match(preview.error ?? "", /addin-credentials:addins\[0\] \(hr-portal\)\.adoptedKeyIds is missing/);
        assert.ok(!(preview.error ?? "").includes(adopted), "the error does not print the adopted secret");
    });

    it("the inventory's diff plans an update for older provider code alone, as the generation's does", async () => {
        const inputs = {
            clientId: "6f1c2a57-43de-4b5a-9a53-1d2f0c8e7b11", setName: "hr-portal", declaredDisplayNames: ["addin-credentials/hr-portal/gen-0/2026-11-26"],
            declaredKeyIds: [], retiredGenerations: [], cleanup: "expired" as const, removeKeyIds: [], forceCleanup: false, gracePeriodDays: 7, adoptedKeyIds: [], acceptOutage: false, decommission: false,
        };
        const olds = { ...inputs, targetKind: "servicePrincipal" as const, objectId: "o", entries: [], removed: [], pending: [], risks: [], removedKeyIds: [] };
        const diff = credentialInventoryProvider.diff;
        assert.ok(diff);
        const text = await serializeProvider(providerShim("CredentialInventory"));
        assert.deepEqual(await diff("id", { ...olds, __provider: text } as typeof olds, { ...inputs, __provider: text } as typeof inputs), { changes: false, replaces: [] });
        assert.deepEqual(await diff("id", { ...olds, __provider: "exports.handler = old;" } as typeof olds, { ...inputs, __provider: text } as typeof inputs), { changes: true, replaces: [] });
    });
});

describe("state size with the provider text of the installed package", function () {
    this.timeout(120_000);
    let lab: Lab;

    before(async () => {
        lab = await startLab();
    });

    after(async () => {
        await lab?.close();
    });

    it("stores under 5 KB of provider text per dynamic resource and under 30 KB of state per add-in after a rotation", async () => {
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const stack = lab.newStack();
        for (const atMs of [T0, T0 + INTERVAL * DAY]) {
            lab.emu.clock.freeze(new Date(atMs));
            const up = await stack.up({ config: {
                "addin-credentials:addins": JSON.stringify([{ name: "hr-portal", clientId: sp.appId, firstGenerationStart: new Date(T0).toISOString() }]),
            } });
            assert.equal(up.exitCode, EXIT.success, up.error);
        }
        const resources = stack.checkpoint.resources;
        assert.deepEqual(resources.map((r) => `${r.type.split(/[:$]/).pop()} ${r.name}`).sort(), [
            "AddInCredentialSet hr-portal",
            "CredentialGeneration hr-portal-slot-a", "CredentialGeneration hr-portal-slot-b",
            "CredentialInventory hr-portal-inventory",
            "RandomBytes hr-portal-slot-a-bytes", "RandomBytes hr-portal-slot-b-bytes",
        ]);
        const providerBytes = Object.fromEntries(resources.filter((r) => r.type.startsWith(DYNAMIC_PREFIX))
            .map((r) => [r.name, Buffer.byteLength(String(r.outputs.__provider))]));
        const stateBytes = Buffer.byteLength(checkpointJson(stack.checkpoint));
        console.log(`      provider text per dynamic resource (bytes): ${JSON.stringify(providerBytes)}; checkpoint of one add-in: ${stateBytes} bytes`);
        for (const [name, bytes] of Object.entries(providerBytes)) {
            assert.ok(bytes < 5 * 1024, `${name}: ${bytes} bytes of provider text`);
        }
        assert.ok(stateBytes < 30 * 1024, `${stateBytes} bytes of state for one add-in`);
    });
});
