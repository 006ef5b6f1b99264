// Upgrading a stack written by the first release (commit 11204c8, version 0.1.0) on the real
// Pulumi CLI (cli/): the first release's files, from git history, are the project's, and its
// program deploys with the current CLI v3.276.0 and the current node_modules (its dependency ranges
// accept them); then the same project folder takes the current repository's files (as a checkout
// of the new release would), the same backend and stack file stay, and the current program runs
// its preview and up. tests/upgrade.test.ts does the same on the engine stand-in, for three years;
// docs/UPGRADING.md says what an operator sees, and this is its evidence on the real CLI.
//
// What the real CLI makes of the first release (tested then on its own harness only):
// - Its Pulumi.yaml declares `adoptedClientSecrets` secret with the default {}. The CLI merges the
//   default into the stack's config in plain text and refuses it before the program runs, so a
//   stack that adopts no secret cannot be previewed or deployed at all; an encrypted "{}" is
//   refused too (it is a string, the key is typed object). Only a stack that set an adopted
//   secret with `pulumi config set --secret --path 'adoptedClientSecrets.<name>' …` (an object
//   with an encrypted value) passes. (Its missing `main` did no harm: its package.json's `main`
//   was index.ts; the missing `main` mattered once package.json had `exports`.)
// - On a day its run creates a generation, its preview fails: the real engine sends the preview's
//   unknown values to Check, and its inventory's Check refused the unknown `declaredKeyIds`. So
//   `pulumi up`, which previews first, never created a generation; `pulumi up --skip-preview` did.
// So the stacks the first release could deploy with the real CLI adopt a secret and were deployed
// with --skip-preview: that is the stack this test upgrades.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as semver from "semver";
import { DynamicResourceType } from "../../components/dynamicProviders";
import { providerShim } from "../../components/providerShim";
import { AddInCheck } from "../../emulator";
import { serializeProvider } from "../../engine/providerHost";
import { CliResult, CliStep, RealProject, resourceSteps, StateResource } from "../../cli/realProject";
import { runInventory } from "../../tools/inventory";
import { Lab, startLab } from "../../tools/lab";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
/** The last commit of the first work that landed (version 0.1.0). */
const FIRST_RELEASE = "11204c8";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STACK = "dev";
const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic/addin-credentials:";
/** What the project folder never takes from a release: its own stacks/, and git's folder. */
const NOT_LINKED = new Set(["stacks", ".git"]);

describe(`the real Pulumi CLI: upgrading a stack written by the first release (${FIRST_RELEASE})`, function () {
    this.timeout(900_000);
    let lab: Lab;
    let release: string;
    let project: RealProject;

    before(async () => {
        lab = await startLab();
        release = fs.mkdtempSync(path.join(os.tmpdir(), "addin-credentials-0.1.0-"));
        await run("sh", ["-c", `git -C "${ROOT}" cat-file -e ${FIRST_RELEASE}^{commit} || { echo "this test needs the first release, commit ${FIRST_RELEASE}, in this clone's history: run git fetch --unshallow" >&2; exit 1; }`]);
        await run("sh", ["-c", `git -C "${ROOT}" archive ${FIRST_RELEASE} | tar -x -C "${release}"`]);
        // The first release's program runs on the current node_modules: what it needs at run time
        // is in the ranges its package.json asks for (@pulumi/pulumi ^3.276.0 among them).
        const manifest = JSON.parse(fs.readFileSync(path.join(release, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        const unserved = Object.entries(manifest.dependencies).filter(([name, range]) => {
            const installed = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string };
            return !semver.satisfies(installed.version, range);
        });
        assert.deepEqual(unserved, [], "the current node_modules serves the first release's dependencies");
        // Node resolves a module from its real path: the release's files need node_modules beside them.
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(release, "node_modules"), "dir");
    });

    beforeEach(async () => {
        lab.emu.reset();
        // Compiled without type checking (npm run typecheck checks the current program).
        project = await lab.newRealProject({ transpileOnly: true });
    });

    afterEach(() => {
        project?.close();
    });

    after(async () => {
        await lab?.close();
        if (release) {
            fs.rmSync(release, { recursive: true, force: true });
        }
    });

    it("the first release's Pulumi.yaml: the CLI refuses a stack that adopts no secret before its program runs, and an encrypted {} as well", async () => {
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        await useRelease(project, release);
        await initStack(project, [`    - name: hr-portal`, `      clientId: ${sp.appId}`, `      firstGenerationStart: "${lab.emu.clock.now().toISOString().slice(0, 10)}"`]);

        const preview = await project.pulumi(["preview"]);
        assert.equal(preview.code, 1, preview.stdout + preview.stderr);
        assert.equal(preview.stderr.trim(), "error: validating stack config: Stack 'dev' with configuration key 'adoptedClientSecrets' must be encrypted as it's secret");

        const set = await project.pulumi(["config", "set", "--secret", "adoptedClientSecrets", "{}"]);
        assert.equal(set.code, 0, set.stderr);
        const again = await project.pulumi(["up", "--yes"]);
        assert.equal(again.code, 1, again.stdout + again.stderr);
        assert.equal(again.stderr.trim(), "error: validating stack config: Stack 'dev' with configuration key 'adoptedClientSecrets' must be of type 'object'");
        assert.deepEqual(lab.emu.requests.map((r) => r.operation), [], "the program never ran");
    });

    it("a stack the first release deployed, adopting the secret in use: the current project's preview and up make one update per dynamic resource, write nothing to Graph and keep both secrets; the add-in works every hour", async () => {
        // GIVEN an add-in whose remote web uses a secret that ends in 200 days
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        // The first release plans by this machine's clock (planningTime empty): the directory's
        // clock starts there, to the second.
        const t0 = Math.floor(lab.emu.clock.now().getTime() / 1000) * 1000;
        lab.emu.clock.freeze(new Date(t0));
        const inUse = randomBytes(32).toString("base64");
        const inUseEnd = new Date(t0 + 200 * DAY).toISOString();
        const longAgo = new Date(t0 - 700 * DAY).toISOString();
        lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric" as const, usage, key: inUse, startDateTime: longAgo, endDateTime: inUseEnd })),
            passwordCredentials: [{ startDateTime: longAgo, endDateTime: inUseEnd }],
        });
        const web = new RemoteWeb(lab, sp.appId, { clientSecret: inUse });
        await web.checkHourly(t0, t0 + HOUR);

        // AND the first release's project, with a stack that adopts that secret, as its README said
        await useRelease(project, release);
        await initStack(project, [
            `    - name: hr-portal`,
            `      clientId: ${sp.appId}`,
            `      firstGenerationStart: "${new Date(t0).toISOString().slice(0, 10)}"`,
            `      adoptedSecretEndDateTime: "${inUseEnd}"`,
        ]);
        const adopt = await project.pulumi(["config", "set", "--secret", "--path", "adoptedClientSecrets.hr-portal"], { input: inUse });
        assert.equal(adopt.code, 0, adopt.stderr);

        // WHEN it deploys: `pulumi up` fails in its preview, `pulumi up --skip-preview` creates generation 0
        const refused = await project.pulumi(["up", "--yes"]);
        assert.notEqual(refused.code, 0);
        assert.match(refused.stdout, /error: pulumi-nodejs:dynamic\/addin-credentials:CredentialInventory resource 'hr-portal-inventory': property declaredKeyIds value output<string>\{\} has a problem: declaredKeyIds must be a list of keyIds\./);
        assert.deepEqual(lab.emu.requests.filter((r) => r.method !== "GET").map((r) => r.operation), [], "the refused preview wrote nothing");
        const deployed = await project.pulumi(["up", "--yes", "--skip-preview"], { eventLog: true });
        assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
        assert.deepEqual(changes(deployed.steps), [
            "create addin-credentials-dev", "create hr-portal", "create hr-portal-inventory", "create hr-portal-slot-a", "create hr-portal-slot-a-bytes",
        ]);

        // THEN the object holds the adopted secret and generation 0, the state the first release's
        // provider code by value (and no retainOnDelete), and the remote web gets generation 0 and
        // the adopted secret
        const before = entriesOf(lab, sp.id);
        assert.deepEqual(before.map((e) => e.describe), [
            "Password",
            "Password addin-credentials/hr-portal/gen-0/" + new Date(t0).toISOString().slice(0, 10),
            "Symmetric Sign",
            "Symmetric Sign addin-credentials/hr-portal/gen-0/" + new Date(t0).toISOString().slice(0, 10),
            "Symmetric Verify",
            "Symmetric Verify addin-credentials/hr-portal/gen-0/" + new Date(t0).toISOString().slice(0, 10),
        ]);
        const oldState = dynamicResources(project);
        for (const r of oldState) {
            const text = String(r.outputs?.__provider);
            assert.ok(text.length > 20_000 && !text.includes("addin-credentials/dynamic-providers"), `${nameOf(r)}: the first release stored its provider by value (${text.length} characters)`);
            assert.equal(r.retainOnDelete, undefined, `${nameOf(r)}: no retainOnDelete`);
        }
        const oldStateBytes = Buffer.byteLength(project.stateText(STACK));
        const oldSecrets = await deliveredSecrets(project);
        assert.ok(oldSecrets.secondaryClientSecret === inUse, "SecondaryClientSecret is the adopted secret");
        assert.ok(oldSecrets.clientSecret === before.find((e) => e.describe.startsWith("Symmetric Sign addin-credentials/"))?.key, "ClientSecret is generation 0");
        web.deliver(oldSecrets);
        const upgradeDay = t0 + 30 * DAY;
        await web.checkHourly(t0 + HOUR, upgradeDay);

        // WHEN the project takes the current release's files, 30 days later. (The CLI keys the
        // selected stack by Pulumi.yaml's real path, which a checkout does not change and this
        // switch does: select it again.)
        lab.emu.clock.freeze(new Date(upgradeDay));
        useRepository(project);
        const select = await project.pulumi(["stack", "select", STACK]);
        assert.equal(select.code, 0, select.stderr);

        // THEN the preview refuses the adopted secret without adoptedKeyIds, naming the fix, not the secret
        const missing = await project.pulumi(["preview"]);
        assert.notEqual(missing.code, 0);
        assert.match(missing.stdout, /Config addin-credentials:adoptedClientSecrets\.hr-portal is set but addin-credentials:addins\[0\] \(hr-portal\)\.adoptedKeyIds is missing/);
        assert.ok(!(missing.stdout + missing.stderr).includes(inUse), "the error does not print the secret");

        // AND --emit-config skips an add-in a stack already manages; the inventory of the add-in lists
        // the adopted entries as unmanaged-valid, ending on adoptedSecretEndDateTime
        let emitted = "";
        assert.equal(await runInventory(["--emit-config", sp.appId], lab.env, (s) => (emitted += s), () => undefined), 0);
        assert.match(emitted, /already managed by set "hr-portal"/);
        let listed = "";
        await runInventory(["--client-id", sp.appId, "--json"], lab.env, (s) => (listed += s), () => undefined);
        const inventory = JSON.parse(listed) as { entries: { keyId: string; classification: string; endDateTime: string }[] };
        const adoptedKeyIds = inventory.entries.filter((e) => e.classification === "unmanaged-valid" && Date.parse(e.endDateTime) === Date.parse(inUseEnd)).map((e) => e.keyId);
        assert.deepEqual([...adoptedKeyIds].sort(), before.filter((e) => !e.describe.includes("addin-credentials/")).map((e) => e.keyId).sort());
        const stackText = fs.readFileSync(project.stackFile(STACK), "utf8");
        fs.writeFileSync(project.stackFile(STACK), stackText.replace("      adoptedSecretEndDateTime:", `      adoptedKeyIds: [${adoptedKeyIds.join(", ")}]\n      adoptedSecretEndDateTime:`));

        // WHEN the drift job runs, then the deploy job
        const requestsBefore = lab.emu.requests.length;
        const drift = await project.pulumi(["preview", "--refresh", "--expect-no-changes", "--diff"], { eventLog: true });
        const up = await project.pulumi(["up", "--yes"], { eventLog: true });

        // THEN the drift job is red once, with one update per dynamic resource and nothing else
        assert.equal(drift.code, 7, drift.stdout + drift.stderr);
        assert.deepEqual(changes(drift.steps), ["update hr-portal-inventory", "update hr-portal-slot-a"]);
        // The display names the inventory's changed inputs (the engine compares them: the dynamic
        // host reports no detailed diff), and none for the generation (only __provider changed,
        // which the display hides).
        assert.match(drift.stdout, /[+] acceptOutage {12}: false/);
        assert.match(drift.stdout, /~ declaredKeyIds {10}: \[/);

        // AND the up makes exactly those updates (the default dynamic provider's config, which holds
        // the stack config, is updated too: an internal step), and writes nothing to Graph
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(changes(up.steps), ["update hr-portal-inventory", "update hr-portal-slot-a"]);
        assert.deepEqual(up.summary?.resourceChanges, { same: 3, update: 2 });
        assert.match(up.stdout, /~ {2}pulumi-nodejs:dynamic\/addin-credentials:CredentialInventory hr-portal-inventory updated \([0-9.]+s\) \[diff: \+acceptOutage,adoptedKeyIds,decommission,retiredGenerations~declaredKeyIds\]/);
        assert.deepEqual(lab.emu.requests.slice(requestsBefore).filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.operation}`), [], "the migration writes nothing to Graph");
        assert.deepEqual(entriesOf(lab, sp.id), before, "the object is unchanged");

        // AND the state holds the current provider text and retainOnDelete on the generation
        for (const r of dynamicResources(project)) {
            const type = r.type.slice(DYNAMIC_PREFIX.length) as DynamicResourceType;
            const shim = await serializeProvider(providerShim(type));
            assert.ok(r.outputs?.__provider === shim && r.inputs?.__provider === shim, `${nameOf(r)}: __provider is the installed package's shim`);
            assert.equal(r.retainOnDelete, type === "CredentialGeneration" ? true : undefined, `${nameOf(r)}: retainOnDelete as the current program registers it`);
        }
        console.log(`      state of one add-in with one generation: ${oldStateBytes} bytes written by the first release, ${Buffer.byteLength(project.stateText(STACK))} after the upgrade`);
        const migrated = dynamicResources(project).find((r) => nameOf(r) === "hr-portal-inventory") as StateResource;
        assert.deepEqual([migrated.outputs?.declaredKeyIds, migrated.outputs?.retiredGenerations, migrated.outputs?.adoptedKeyIds], [[], [], adoptedKeyIds]);

        // AND the remote web keeps its two secrets, and the next drift job is green
        const newSecrets = await deliveredSecrets(project);
        assert.ok(newSecrets.clientSecret === oldSecrets.clientSecret && newSecrets.secondaryClientSecret === oldSecrets.secondaryClientSecret, "the stack delivers the same two secrets");
        web.deliver(newSecrets);
        lab.emu.clock.freeze(new Date(upgradeDay + 12 * HOUR));
        const green = await project.pulumi(["preview", "--refresh", "--expect-no-changes"], { eventLog: true });
        assert.equal(green.code, 0, green.stdout + green.stderr);

        // AND the add-in works every hour, through the end of the adopted secret, when SharePoint
        // moves to generation 0
        await web.checkHourly(upgradeDay, t0 + 210 * DAY);
        const signKeyIds = (label: string): string | undefined => before.find((e) => e.describe === label)?.keyId;
        assert.deepEqual([...web.signers], [signKeyIds("Symmetric Sign"), signKeyIds(`Symmetric Sign addin-credentials/hr-portal/gen-0/${new Date(t0).toISOString().slice(0, 10)}`)], "SharePoint signed with the adopted key, then with generation 0");
        assert.deepEqual(web.failedHours, []);
    });
});

// ---- helpers -------------------------------------------------------------------------------

/** The project folder takes `source`'s files (linked), keeping its own stacks/. */
function linkProject(project: RealProject, source: string): void {
    for (const entry of fs.readdirSync(project.dir)) {
        if (entry !== "stacks") {
            fs.rmSync(path.join(project.dir, entry), { recursive: true, force: true });
        }
    }
    for (const entry of fs.readdirSync(source)) {
        if (!NOT_LINKED.has(entry)) {
            fs.symlinkSync(path.join(source, entry), path.join(project.dir, entry));
        }
    }
}

/** The first release's files in the project folder; the folder it unpacked to has node_modules. */
async function useRelease(project: RealProject, release: string): Promise<void> {
    linkProject(project, release);
    assert.ok(!fs.readFileSync(path.join(project.dir, "Pulumi.yaml"), "utf8").includes("main:"), "the first release's Pulumi.yaml names no main");
}

/** The current repository's files in the project folder, as RealProject links them. */
function useRepository(project: RealProject): void {
    linkProject(project, ROOT);
}

/** `pulumi stack init` (passphrase), then a stack file with the passphrase's salt and these `addins` lines. */
async function initStack(project: RealProject, addInLines: readonly string[]): Promise<void> {
    const init = await project.pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
    assert.equal(init.code, 0, init.stderr);
    const salt = /^encryptionsalt: .+$/m.exec(fs.readFileSync(project.stackFile(STACK), "utf8"))?.[0];
    assert.ok(salt !== undefined, "stack init writes the passphrase's salt into the stack file");
    fs.writeFileSync(project.stackFile(STACK), [salt, "config:", "  addin-credentials:addins:", ...addInLines, ""].join("\n"));
}

function nameOf(r: { urn: string }): string {
    return r.urn.slice(r.urn.lastIndexOf("::") + 2);
}

/** Every step that changes something (not same, not refresh, not read), `op name`, sorted. */
function changes(steps: readonly CliStep[] | undefined): string[] {
    return resourceSteps(steps).filter((s) => !["same", "refresh", "read"].includes(s.op)).map((s) => `${s.op} ${s.name}`).sort();
}

function dynamicResources(project: RealProject): StateResource[] {
    return project.checkpoint(STACK).resources.filter((r) => r.type.startsWith(DYNAMIC_PREFIX));
}

/** The object's keys (with their bytes) and passwords: keyId, dates and "type usage displayName", sorted. */
function entriesOf(lab: Lab, objectId: string): { keyId: string; describe: string; start: string; end: string; key?: string }[] {
    const creds = lab.emu.tenant.credentials(objectId);
    return [
        ...creds.keyCredentials.map((k) => ({ keyId: k.keyId, describe: [k.type, k.usage, k.displayName ?? ""].join(" ").trim(), start: String(k.startDateTime), end: String(k.endDateTime), key: k.key })),
        ...creds.passwordCredentials.map((p) => ({ keyId: p.keyId, describe: ["Password", p.displayName ?? ""].join(" ").trim(), start: String(p.startDateTime), end: String(p.endDateTime) })),
    ].sort((a, b) => a.describe.localeCompare(b.describe) || a.keyId.localeCompare(b.keyId));
}

/** ClientSecret and SecondaryClientSecret of hr-portal from the stack's outputs (never printed). */
async function deliveredSecrets(project: RealProject): Promise<{ clientSecret: string; secondaryClientSecret?: string }> {
    const output: CliResult = await project.pulumi(["stack", "output", "addins", "--show-secrets", "--json"]);
    assert.equal(output.code, 0, output.stderr);
    const addIn = (JSON.parse(output.stdout) as Record<string, { clientSecret?: string; secondaryClientSecret?: string }>)["hr-portal"];
    assert.ok(typeof addIn?.clientSecret === "string" && addIn.clientSecret !== "", "the stack outputs a ClientSecret");
    return { clientSecret: addIn.clientSecret, secondaryClientSecret: addIn.secondaryClientSecret };
}

/** The remote web: the secrets the last deploy job gave it, checked as SharePoint and TokenHelper would. */
class RemoteWeb {
    readonly failedHours: string[] = [];
    /** The keyIds SharePoint signed with, over the hours checked. */
    readonly signers = new Set<string>();
    private last: { key: string; check: AddInCheck } | undefined;

    constructor(private readonly lab: Lab, private readonly appId: string, private secrets: { clientSecret: string; secondaryClientSecret?: string }) {}

    deliver(secrets: { clientSecret: string; secondaryClientSecret?: string }): void {
        this.secrets = secrets;
    }

    /** Every hour of [fromMs, toMs): in full whenever ACS's signing key or the settings changed. */
    async checkHourly(fromMs: number, toMs: number): Promise<void> {
        for (let t = fromMs; t < toMs; t += HOUR) {
            this.lab.emu.clock.freeze(new Date(t));
            const signer = this.lab.emu.acs.activeSigningKey(this.appId)?.keyId;
            if (signer !== undefined) {
                this.signers.add(signer);
            }
            const key = `${signer}|${this.secrets.clientSecret}|${this.secrets.secondaryClientSecret}`;
            if (this.last?.key !== key) {
                this.last = { key, check: await this.lab.emu.checkAddIn(this.appId, { clientSecret: this.secrets.clientSecret, secondaryClientSecret: this.secrets.secondaryClientSecret ?? null }) };
            }
            if (!(this.last.check.contextTokenValid && this.last.check.accessTokenOk)) {
                this.failedHours.push(`${new Date(t).toISOString()}: ${this.last.check.reason}`);
            }
        }
    }
}
