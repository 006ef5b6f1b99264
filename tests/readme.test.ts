// The README's deploy walk-throughs, followed command by command on the real Pulumi CLI (cli/)
// against the emulator. The blocks marked `<!-- walkthrough: <name> -->` are read from README.md
// itself: every `pulumi …` line runs as written in a RealProject's directory (file:// backend,
// empty passphrase), its output piped into the real `jq` where the README pipes it; the YAML block
// is appended to the stack file `pulumi stack init` wrote; `npm run inventory` runs in-process.
// The commands that need the Azure CLI or a tenant are listed here, with the reason. A command the
// README gains that this file does not know fails the test, so the walk-through and its replay
// cannot drift apart.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CliResult, CliStep, RealProject, resourceSteps } from "../cli/realProject";
import { runInventory } from "../tools/inventory";
import { Lab, startLab } from "../tools/lab";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse("2026-12-01T06:00:00Z");
const GEN0 = "addin-credentials/hr-portal/gen-0/2026-12-01";

/** The fenced blocks that follow `<!-- walkthrough: name -->`, in order. */
function walkthrough(name: string): { lang: string; text: string }[] {
    const blocks = [...README.matchAll(/<!-- walkthrough: ([a-z-]+) -->\n```([a-z]+)\n([\s\S]*?)```/g)];
    return blocks.filter((m) => m[1] === name).map((m) => ({ lang: m[2], text: m[3] }));
}

const AZURE = "needs the Azure CLI and a tenant (the lab's environment already holds the emulator's token)";

/** Commands the replay does not run, and why; each must appear in the walk-through that lists it. */
const NOT_REPLAYED: Record<string, RegExp> = {
    "installs the dependencies (done before the tests run)": /^npm ci$/,
    [AZURE]: /^(az |export ADDIN_CREDENTIALS_GRAPH_TOKEN="\$\(az )/,
};

/** Splits a shell command line into words (single and double quotes, no expansions). */
function words(line: string): string[] {
    return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/**
 * `… | jq <args>`, with the real jq (Debian's jq 1.6 here and on CI). jq's stdout without its
 * last newline.
 */
function jq(args: readonly string[], input: string): string {
    const run = spawnSync("jq", args, { input, encoding: "utf8" });
    assert.equal(run.error, undefined, "the README pipes into jq: install jq (apt-get install jq) to run this test");
    assert.equal(run.status, 0, `jq ${args.join(" ")} failed: ${run.stderr}`);
    return run.stdout.replace(/\n$/, "");
}

/** One command of a walk-through and how it went. */
interface Ran {
    /** The line as the README writes it, placeholders unfilled, comment dropped. */
    readonly command: string;
    /** Why it was not run. */
    readonly notReplayed?: string;
    /** How it was run: "in-process", or the `pulumi` command line when it differs from `command`. */
    readonly how?: string;
    readonly exitCode?: number;
    /** What it printed (after the README's jq, when it pipes into jq). */
    readonly stdout?: string;
    /** The CLI's run, for `pulumi` commands. */
    readonly cli?: CliResult;
}

/**
 * Every command runs with PULUMI_BACKEND_URL emptied (the CLI treats an empty value as unset), so
 * the backend is the one `pulumi login` chose, as for an operator. The README's bare `pulumi login`
 * would log into Pulumi Cloud; the line offers `file://~` as the alternative, and the replay takes
 * that choice with the project's own state folder: `pulumi login file://<state dir>`. Running it
 * (rather than listing it as not replayed) shows that the login step is what the later commands
 * need, and that it works with this CLI offline.
 */
const BACKEND_FROM_LOGIN = { PULUMI_BACKEND_URL: "" };

/** Runs a walk-through's blocks, as an operator would type them, in one RealProject. */
class Operator {
    /** The stack `pulumi stack init` made. */
    stack: string | undefined;
    readonly transcript: Ran[] = [];

    constructor(
        private readonly lab: Lab,
        private readonly placeholders: Record<string, string>,
        private readonly project?: RealProject,
    ) {}

    /** Replaces `<…>` placeholders with the lab's values; an unknown placeholder fails. */
    private fill(text: string): string {
        return text.replace(/<[^<>\n]+>/g, (p) => {
            assert.ok(p in this.placeholders, `the walk-through uses the placeholder ${p}, which this test does not fill`);
            return this.placeholders[p];
        });
    }

    /** Runs a block: YAML is appended to the stack file; shell lines run one by one (those `only` keeps). */
    async run(block: { lang: string; text: string }, only: (command: string) => boolean = () => true): Promise<void> {
        if (block.lang === "yaml") {
            assert.ok(this.project && this.stack, "the walk-through declares the stack file's config before `pulumi stack init`");
            const file = this.project.stackFile(this.stack);
            assert.ok(fs.existsSync(file), `pulumi stack init wrote no ${path.relative(this.project.dir, file)}`);
            fs.appendFileSync(file, this.fill(block.text));
            return;
        }
        assert.equal(block.lang, "sh");
        for (const raw of block.text.split("\n")) {
            const command = raw.replace(/\s{2,}#.*$/, "").trim();
            if (command !== "" && only(command)) {
                this.transcript.push(await this.command(command, raw));
            }
        }
    }

    private async command(command: string, raw: string): Promise<Ran> {
        for (const [why, pattern] of Object.entries(NOT_REPLAYED)) {
            if (pattern.test(command)) {
                return { command, notReplayed: why };
            }
        }
        const [line, pipe] = command.split(" | ");
        const pipeWords = pipe === undefined ? undefined : words(pipe);
        assert.ok(pipeWords === undefined || pipeWords[0] === "jq", `${command}: the replay pipes only into jq`);
        const filter = (stdout: string): string => (pipeWords === undefined ? stdout : jq(pipeWords.slice(1), stdout));
        const inventory = line.match(/^npm run (?:--silent )?inventory -- (.*)$/);
        if (inventory) {
            let stdout = "";
            const exitCode = await runInventory(words(this.fill(inventory[1])), this.lab.env, (s) => (stdout += s), () => undefined);
            return { command, how: "in-process", exitCode, stdout: filter(stdout) };
        }
        if (line.startsWith("pulumi ")) {
            const { args, how } = this.pulumiArgs(line, raw);
            assert.ok(this.project, `${command}: this walk-through has no project to run pulumi in`);
            // The event log (--event-log, added by RealProject) only records the engine's steps, for the assertions.
            const eventLog = line === "pulumi preview" || line === "pulumi up --yes";
            const cli = await this.project.pulumi(args, { env: BACKEND_FROM_LOGIN, eventLog });
            // stack output --show-secrets prints secrets: its stdout stays out of the message.
            const shown = line.includes("--show-secrets") ? cli.stderr : cli.stdout + cli.stderr;
            assert.equal(cli.code, 0, `${command} exited ${cli.code}: ${shown}`);
            return { command, how, exitCode: cli.code, stdout: filter(cli.stdout), cli };
        }
        assert.fail(`the README walk-through has a command this test does not know: ${command}`);
    }

    /** The arguments of a `pulumi` line this test knows, and how it runs when not exactly as written. */
    private pulumiArgs(line: string, raw: string): { args: string[]; how?: string } {
        if (line === "pulumi login") {
            assert.match(raw, /file:\/\//, "the replay logs in to a file:// backend, the choice the README's `pulumi login` line offers");
            assert.ok(this.project);
            return { args: ["login", `file://${this.project.stateDir}`], how: "pulumi login file://<state dir>" };
        }
        const init = line.match(/^pulumi stack init ([a-z0-9-]+) --secrets-provider passphrase$/);
        if (init) {
            this.stack = init[1];
            return { args: words(line).slice(1) };
        }
        const known = [
            /^pulumi config set --secret --path '[^']+' '[^']+'$/,
            /^pulumi preview$/,
            /^pulumi up --yes$/,
            /^pulumi stack output addins --show-secrets --json$/,
        ];
        assert.ok(known.some((k) => k.test(line)), `the README walk-through has a command this test does not know: ${line}`);
        return { args: words(this.fill(line)).slice(1) };
    }

    /** The first command that starts with `prefix`. */
    ran(prefix: string): Ran {
        const found = this.transcript.find((r) => r.command.startsWith(prefix));
        assert.ok(found, `${prefix} ran: ${JSON.stringify(this.transcript.map((r) => r.command))}`);
        return found;
    }

    /** Each command, with how it ran: "not replayed: <why>", "in-process", "pulumi" (as written) or the line run instead. */
    summary(): string[] {
        return this.transcript.map((r) => `${r.command}  =>  ${r.notReplayed !== undefined ? `not replayed: ${r.notReplayed}` : r.how ?? "pulumi"}`);
    }
}

/** `type name` of every resource a run creates, sorted. */
function creates(steps: readonly CliStep[] | undefined): string[] {
    return resourceSteps(steps).filter((s) => s.op === "create").map((s) => `${s.type} ${s.name}`).sort();
}

/** Every step that changes something (not same, not refresh, not read). */
function changes(steps: readonly CliStep[] | undefined): string[] {
    return resourceSteps(steps).filter((s) => !["same", "refresh", "read"].includes(s.op)).map((s) => `${s.op} ${s.name}`);
}

/** What one add-in's first preview and up create. */
const FIRST_DEPLOYMENT = [
    "addin-credentials:index:AddInCredentialSet hr-portal",
    "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration hr-portal-slot-a",
    "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory hr-portal-inventory",
    "pulumi:pulumi:Stack addin-credentials-contoso",
    "random:index/randomBytes:RandomBytes hr-portal-slot-a-bytes",
];

/** Asserts two secrets are equal without putting either into the failure (mocha prints actual and expected). */
function sameSecret(actual: string | undefined, expected: string | undefined, what: string): void {
    assert.ok(actual !== undefined && actual !== "" && actual === expected, what);
}

/** Asserts the secret is nowhere in `text` in clear: neither as printed (base64), nor hex, nor base64url. */
function onlyEncrypted(text: string, secret: string, where: string): void {
    const bytes = Buffer.from(secret, "base64");
    for (const form of [secret, bytes.toString("hex"), bytes.toString("base64url")]) {
        assert.ok(!text.includes(form), `${where} holds a client secret in clear`);
    }
}

/**
 * A RealProject pointed at the lab's emulator. The program runs transpiled only: the commands are
 * the README's, and the type check a user's `pulumi preview` adds (2 s or more per run) is
 * `npm run typecheck`'s job; tests/cli/firstDeployment.test.ts runs the program type-checked.
 */
function newProject(lab: Lab): Promise<RealProject> {
    return lab.newRealProject({ transpileOnly: true });
}

/** The next day's drift check, as the pipelines run it (pipelines/github/drift.yml). */
async function driftCheck(project: RealProject, stack: string): Promise<CliResult> {
    return project.pulumi(["preview", "--refresh", "--expect-no-changes", "--diff", "--stack", stack], { env: BACKEND_FROM_LOGIN, eventLog: true });
}

describe("README: deploying with the Pulumi CLI, replayed on the real CLI against the emulator", function () {
    this.timeout(300_000);
    let lab: Lab;
    let project: RealProject | undefined;

    before(async () => {
        lab = await startLab();
    });

    after(async () => {
        await lab?.close();
    });

    beforeEach(() => {
        lab.emu.reset();
        lab.emu.clock.freeze(new Date(NOW));
    });

    afterEach(() => {
        project?.close();
        project = undefined;
    });

    it("finds the walk-throughs in the README", () => {
        assert.deepEqual(["ownership", "new-add-in", "add-in-in-use"].map((n) => walkthrough(n).map((b) => b.lang)), [
            ["sh"], ["sh", "yaml", "sh"], ["sh", "sh"],
        ]);
    });

    it("ownership: the inventory prints the kind and id of the object the deploying identity must own", async () => {
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const operator = new Operator(lab, { "<client id>": sp.appId });
        for (const block of walkthrough("ownership")) {
            await operator.run(block);
        }

        assert.equal(operator.ran("npm run --silent inventory -- --client-id").stdout, `servicePrincipal\n${sp.id}`);
        assert.deepEqual(operator.summary(), [
            "npm run --silent inventory -- --client-id <client id> --json | jq -r '.target.kind, .target.objectId'  =>  in-process",
            `az ad sp show --id <deploying identity's client id> --query id -o tsv  =>  not replayed: ${AZURE}`,
        ]);
    });

    it("a new add-in: every command as written; the object holds exactly generation 0, whose secret is printed and works once propagated", async () => {
        // GIVEN an application-backed add-in with no credentials, and a new project
        const app = lab.emu.tenant.addApplication({ displayName: "HR portal" });
        project = await newProject(lab);
        const operator = new Operator(lab, { "<client id>": app.appId }, project);

        // WHEN the operator follows the walk-through
        for (const block of walkthrough("new-add-in")) {
            await operator.run(block);
        }

        // THEN every command ran as written, but the bare login (a file:// backend instead of
        // Pulumi Cloud) and the ones that need the Azure CLI or npm ci
        assert.deepEqual(operator.summary(), [
            "npm ci  =>  not replayed: installs the dependencies (done before the tests run)",
            "npm run inventory -- --client-id <client id>  =>  in-process",
            "pulumi login  =>  pulumi login file://<state dir>",
            "pulumi stack init contoso --secrets-provider passphrase  =>  pulumi",
            'export ADDIN_CREDENTIALS_GRAPH_TOKEN="$(az account get-access-token --resource-type ms-graph --query accessToken -o tsv)"  =>  not replayed: ' + AZURE,
            "pulumi preview  =>  pulumi",
            "pulumi up --yes  =>  pulumi",
            "pulumi stack output addins --show-secrets --json | jq -r '.[\"hr-portal\"].clientSecret'  =>  pulumi",
        ]);
        // The inventory found no valid Sign key: nothing in use, this walk-through applies.
        const inventory = operator.ran("npm run inventory -- --client-id");
        assert.match(inventory.stdout ?? "", new RegExp(`^application ${app.applicationId} \\(client id ${app.appId}\\), directory time 2026-12-01T06:00:00.000Z: 0 entries`));
        // The login chose the backend: the stack's state is in the state folder it named.
        assert.equal(operator.ran("pulumi login").cli?.stdout.trim().endsWith(`(file://${project.stateDir})`), true, operator.ran("pulumi login").cli?.stdout);
        // The preview planned generation 0, its bytes and the inventory; the update created them.
        assert.deepEqual(creates(operator.ran("pulumi preview").cli?.steps), FIRST_DEPLOYMENT);
        const up = operator.ran("pulumi up --yes").cli;
        assert.deepEqual(creates(up?.steps), FIRST_DEPLOYMENT);
        assert.deepEqual(up?.summary?.resourceChanges, { create: 5 });

        // AND the object holds exactly generation 0: Sign, Verify and Password with one display name
        const creds = lab.emu.tenant.credentials(app.applicationId);
        assert.deepEqual([...creds.keyCredentials.map((k) => `${k.type} ${k.usage} ${k.displayName}`), ...creds.passwordCredentials.map((p) => `Password ${p.displayName}`)].sort(), [
            `Password ${GEN0}`, `Symmetric Sign ${GEN0}`, `Symmetric Verify ${GEN0}`,
        ]);

        // AND the printed secret is generation 0's, and is in the state only encrypted; the stack
        // file kept the salt stack init wrote under the pasted config
        const clientSecret = operator.ran("pulumi stack output addins").stdout ?? "";
        assert.match(clientSecret, /^[A-Za-z0-9+/]{43}=$/, "the printed value is not a 32-byte base64 secret");
        sameSecret(clientSecret, creds.keyCredentials.find((k) => k.usage === "Sign")?.key, "the printed ClientSecret is not generation 0's Sign key");
        const state = project.stateText("contoso");
        onlyEncrypted(state, clientSecret, "the state file");
        assert.match(state, /"ciphertext"/);
        assert.match(fs.readFileSync(project.stackFile("contoso"), "utf8"), /^encryptionsalt: v1:\S+\nconfig:\n {2}addin-credentials:addins:\n {4}- name: hr-portal\n/);

        // AND SharePoint does not accept it before it has propagated, and does 24 hours after the
        // update, when the drift check the pipelines run the next day has nothing to do
        assert.equal((await lab.emu.checkAddIn(app.appId, { clientSecret })).accessTokenOk, false);
        lab.emu.clock.freeze(new Date(NOW + DAY));
        const check = await lab.emu.checkAddIn(app.appId, { clientSecret, secondaryClientSecret: null });
        assert.deepEqual([check.contextTokenValid, check.accessTokenOk, check.reason], [true, true, null]);
        const drift = await driftCheck(project, "contoso");
        assert.equal(drift.code, 0, drift.stdout + drift.stderr);
        assert.deepEqual(changes(drift.steps), []);
    });

    it("an add-in in use: inventory, adopt, preview, up as written; generation 0 beside the adopted secret, and the remote web works on the printed pair before, during and after SharePoint moves to generation 0", async () => {
        // GIVEN a Legacy add-in whose remote web holds a secret that ends in 200 days
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const inUse = randomBytes(32).toString("base64");
        const start = new Date(NOW - 900 * DAY).toISOString();
        const end = new Date(NOW + 200 * DAY).toISOString();
        lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric" as const, usage, key: inUse, startDateTime: start, endDateTime: end })),
            passwordCredentials: [{ startDateTime: start, endDateTime: end }],
        });
        const before = lab.emu.tenant.credentials(sp.id);
        const adopted = [...before.keyCredentials.map((k) => `${k.type} ${k.usage} ${k.keyId} ${k.endDateTime}`), ...before.passwordCredentials.map((p) => `Password ${p.keyId} ${p.endDateTime}`)];
        project = await newProject(lab);
        const operator = new Operator(lab, { "<client id>": sp.appId, "<ClientSecret from web.config>": inUse }, project);
        const [inventoryBlock, deployBlock] = walkthrough("add-in-in-use");

        // WHEN the operator runs the inventory and --emit-config, makes the stack as above (the
        // pulumi lines of the new add-in's first block), pastes the entry into the stack file (the
        // prose step between the two blocks), and runs the rest
        await operator.run(inventoryBlock);
        const inventory = operator.ran("npm run inventory -- --client-id");
        assert.equal(inventory.exitCode, 0, inventory.stdout);
        assert.equal((inventory.stdout?.match(/unmanaged-valid/g) ?? []).length, 3, inventory.stdout);
        const emitted = operator.ran("npm run --silent inventory -- --emit-config").stdout ?? "";
        assert.match(emitted, /pulumi config set --secret --path 'adoptedClientSecrets\.hr-portal' '<ClientSecret from the remote web's web\.config>'/);
        await operator.run(walkthrough("new-add-in")[0], (command) => command.startsWith("pulumi "));
        const entries = emitted.split("\n").filter((l) => l.startsWith("    ")).join("\n");
        await operator.run({ lang: "yaml", text: `config:\n  addin-credentials:addins:\n${entries}\n` });
        await operator.run(deployBlock);

        // THEN every command ran as written, but the bare login
        assert.deepEqual(operator.summary(), [
            "npm run inventory -- --client-id <client id>  =>  in-process",
            "npm run --silent inventory -- --emit-config <client id>  =>  in-process",
            "pulumi login  =>  pulumi login file://<state dir>",
            "pulumi stack init contoso --secrets-provider passphrase  =>  pulumi",
            "pulumi config set --secret --path 'adoptedClientSecrets.hr-portal' '<ClientSecret from web.config>'  =>  pulumi",
            "pulumi preview  =>  pulumi",
            "pulumi up --yes  =>  pulumi",
            "pulumi stack output addins --show-secrets --json | jq -r '.[\"hr-portal\"].clientSecret, .[\"hr-portal\"].secondaryClientSecret'  =>  pulumi",
        ]);
        assert.deepEqual(creates(operator.ran("pulumi preview").cli?.steps), FIRST_DEPLOYMENT);
        const up = operator.ran("pulumi up --yes").cli;
        assert.deepEqual(creates(up?.steps), FIRST_DEPLOYMENT);
        assert.deepEqual(up?.summary?.resourceChanges, { create: 5 });

        // AND the object holds exactly generation 0 and the adopted secret, left in place
        const creds = lab.emu.tenant.credentials(sp.id);
        const gen0 = creds.keyCredentials.filter((k) => k.displayName === GEN0);
        assert.deepEqual([...creds.keyCredentials.map((k) => (k.displayName === GEN0 ? `Symmetric ${k.usage} ${GEN0}` : `${k.type} ${k.usage} ${k.keyId} ${k.endDateTime}`)),
            ...creds.passwordCredentials.map((p) => (p.displayName === GEN0 ? `Password ${GEN0}` : `Password ${p.keyId} ${p.endDateTime}`))].sort(), [
            ...adopted, `Password ${GEN0}`, `Symmetric Sign ${GEN0}`, `Symmetric Verify ${GEN0}`,
        ].sort());

        // AND the printed pair is (generation 0, the adopted secret), and neither is in the state
        // or the stack file in clear
        const [clientSecret, secondaryClientSecret, ...more] = (operator.ran("pulumi stack output addins").stdout ?? "").split("\n");
        assert.equal(more.length, 0, "jq printed more than two lines");
        sameSecret(clientSecret, gen0.find((k) => k.usage === "Sign")?.key, "the printed ClientSecret is not generation 0's Sign key");
        sameSecret(secondaryClientSecret, inUse, "the printed SecondaryClientSecret is not the adopted secret");
        for (const secret of [clientSecret, inUse]) {
            onlyEncrypted(project.stateText("contoso"), secret, "the state file");
            onlyEncrypted(fs.readFileSync(project.stackFile("contoso"), "utf8"), secret, "the stack file");
        }
        const stackFile = fs.readFileSync(project.stackFile("contoso"), "utf8");
        assert.match(stackFile, /^encryptionsalt: v1:\S+$/m);
        assert.match(stackFile, /^ {2}addin-credentials:adoptedClientSecrets:\n {4}hr-portal:\n {6}secure: v1:\S+$/m);

        // AND the next day's drift check has nothing to do
        lab.emu.clock.freeze(new Date(NOW + DAY));
        const drift = await driftCheck(project, "contoso");
        assert.equal(drift.code, 0, drift.stdout + drift.stderr);
        assert.deepEqual(changes(drift.steps), []);

        // AND the remote web, given the pair, works at the hours around generation 0's propagation
        // and SharePoint's move from the adopted secret to generation 0 (the day it ends)
        const failed: string[] = [];
        const endMs = Date.parse(end);
        for (const t of [NOW, NOW + HOUR, NOW + DAY + HOUR, endMs - HOUR, endMs, endMs + HOUR, endMs + DAY]) {
            lab.emu.clock.freeze(new Date(t));
            const check = await lab.emu.checkAddIn(sp.appId, { clientSecret, secondaryClientSecret });
            if (!(check.contextTokenValid && check.accessTokenOk)) {
                failed.push(`${new Date(t).toISOString()}: ${check.reason}`);
            }
        }
        assert.deepEqual(failed, []);
        // and generation 0 alone works once SharePoint signs with it
        lab.emu.clock.freeze(new Date(endMs + HOUR));
        const alone = await lab.emu.checkAddIn(sp.appId, { clientSecret, secondaryClientSecret: null });
        assert.deepEqual([alone.contextTokenValid, alone.accessTokenOk, alone.reason], [true, true, null]);
    });
});
