// The README's deploy walk-throughs, followed command by command against the emulator. The blocks
// marked `<!-- walkthrough: <name> -->` are read from README.md itself: each shell line is run the
// way the CLI would run it (npm run inventory in-process, pulumi preview / up / config set /
// stack output through the engine stand-in), and the commands that need the Pulumi CLI's backend,
// the Azure CLI or a tenant are listed here by name. A command the README gains that this file
// does not know fails the test, so the walk-through and its replay cannot drift apart.
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineStack, EXIT, UpResult } from "../engine/stack";
import { setConfigPath, stackFileConfig } from "../engine/stackFile";
import { runInventory } from "../tools/inventory";
import { Lab, startLab } from "../tools/lab";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
const PROJECT = "addin-credentials";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse("2026-12-01T06:00:00Z");

/** The fenced blocks that follow `<!-- walkthrough: name -->`, in order. */
function walkthrough(name: string): { lang: string; text: string }[] {
    const blocks = [...README.matchAll(/<!-- walkthrough: ([a-z-]+) -->\n```([a-z]+)\n([\s\S]*?)```/g)];
    return blocks.filter((m) => m[1] === name).map((m) => ({ lang: m[2], text: m[3] }));
}

/** Commands the replay cannot run, and why; each must appear in the walk-through that lists it. */
const NOT_REPLAYED: Record<string, RegExp> = {
    "installs the dependencies (done before the tests run)": /^npm ci$/,
    "logs in to a Pulumi backend": /^pulumi login$/,
    "needs the Azure CLI and a tenant (the lab's environment already holds the emulator's token)": /^(az |export ADDIN_CREDENTIALS_GRAPH_TOKEN="\$\(az )/,
};

/** `jq -r 'path, path'` for paths of fields (`.a.b`, `.["a-b"].c`): one line per path. */
function jq(value: unknown, program: string): string {
    return program.split(/,\s*/).map((p) => {
        let node = value;
        for (const m of p.matchAll(/\.(?:\["([^"]+)"\]|([A-Za-z_][A-Za-z0-9_]*))/g)) {
            node = (node as Record<string, unknown> | undefined)?.[m[1] ?? m[2]];
        }
        return typeof node === "string" ? node : JSON.stringify(node ?? null);
    }).join("\n");
}

/** Splits a shell command line into words (single and double quotes, no expansions). */
function words(line: string): string[] {
    return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** One replayed command and what it printed. */
interface Ran {
    readonly command: string;
    readonly notReplayed?: string;
    readonly exitCode?: number;
    readonly stdout?: string;
}

/** Runs a walk-through's blocks, as an operator would type them, in one state. */
class Operator {
    stack: EngineStack | undefined;
    stackFile = "";
    config: Record<string, string> = {};
    readonly secretKeys: string[] = [];
    lastUp: UpResult | undefined;
    readonly transcript: Ran[] = [];

    constructor(private readonly lab: Lab, private readonly placeholders: Record<string, string>) {}

    /** Replaces `<…>` placeholders with the lab's values; an unknown placeholder fails. */
    private fill(text: string): string {
        return text.replace(/<[^<>\n]+>/g, (p) => {
            assert.ok(p in this.placeholders, `the walk-through uses the placeholder ${p}, which this test does not fill`);
            return this.placeholders[p];
        });
    }

    async run(block: { lang: string; text: string }): Promise<void> {
        if (block.lang === "yaml") {
            this.stackFile = this.fill(block.text);
            this.config = { ...this.config, ...stackFileConfig(this.stackFile, PROJECT) };
            return;
        }
        assert.equal(block.lang, "sh");
        for (const raw of block.text.split("\n")) {
            const command = raw.replace(/\s{2,}#.*$/, "").trim();
            if (command !== "") {
                this.transcript.push(await this.command(command));
            }
        }
    }

    private async command(command: string): Promise<Ran> {
        for (const [why, pattern] of Object.entries(NOT_REPLAYED)) {
            if (pattern.test(command)) {
                return { command, notReplayed: why };
            }
        }
        const [line, jqProgram] = command.split(/ \| jq -r /);
        const filter = (stdout: string): string => (jqProgram === undefined ? stdout : jq(JSON.parse(stdout), words(jqProgram)[0]));
        let m: RegExpMatchArray | null;
        if ((m = line.match(/^npm run (?:--silent )?inventory -- (.*)$/))) {
            let stdout = "";
            const exitCode = await runInventory(words(this.fill(m[1])), this.lab.env, (s) => (stdout += s), () => undefined);
            return { command, exitCode, stdout: filter(stdout) };
        }
        if ((m = line.match(/^pulumi stack init ([a-z0-9-]+) --secrets-provider \S+$/))) {
            this.stack = this.lab.newStack({ stack: m[1] });
            return { command, exitCode: EXIT.success };
        }
        if ((m = line.match(/^pulumi config set --secret --path (.+)$/))) {
            const [pathSpec, value] = words(this.fill(m[1]));
            this.config = setConfigPath(this.config, PROJECT, pathSpec, value);
            this.secretKeys.push(`${PROJECT}:${pathSpec.split(".")[0]}`);
            return { command, exitCode: EXIT.success };
        }
        const stack = this.stack;
        assert.ok(stack, `${command}: no stack yet`);
        if (line === "pulumi preview") {
            const preview = await stack.preview({ config: this.config, secretKeys: this.secretKeys });
            assert.equal(preview.exitCode, EXIT.success, `${command}: ${preview.error}`);
            return { command, exitCode: preview.exitCode };
        }
        if (line === "pulumi up --yes") {
            this.lastUp = await stack.up({ config: this.config, secretKeys: this.secretKeys });
            assert.equal(this.lastUp.exitCode, EXIT.success, `${command}: ${this.lastUp.error}`);
            return { command, exitCode: this.lastUp.exitCode };
        }
        if (line === "pulumi stack output addins --show-secrets --json") {
            const outputs = this.lastUp?.update?.outputs;
            assert.ok(outputs, `${command}: no update has run`);
            return { command, exitCode: EXIT.success, stdout: filter(JSON.stringify(outputs.addins.value)) };
        }
        assert.fail(`the README walk-through has a command this test does not know: ${command}`);
    }

    ran(prefix: string): Ran {
        const found = this.transcript.find((r) => r.command.startsWith(prefix));
        assert.ok(found, `${prefix} ran: ${JSON.stringify(this.transcript.map((r) => r.command))}`);
        return found;
    }
}

describe("README: deploying with the Pulumi CLI, replayed against the emulator", function () {
    this.timeout(120_000);
    let lab: Lab;

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

        const inventory = operator.ran("npm run --silent inventory -- --client-id");
        assert.equal(inventory.stdout, `servicePrincipal\n${sp.id}`);
        assert.deepEqual(operator.transcript.filter((r) => r.notReplayed).map((r) => r.command), [
            "az ad sp show --id <deploying identity's client id> --query id -o tsv",
        ]);
    });

    it("a new add-in: the first up adds generation 0, whose secret SharePoint accepts once propagated", async () => {
        const app = lab.emu.tenant.addApplication({ displayName: "HR portal" });
        const operator = new Operator(lab, { "<client id>": app.appId });
        for (const block of walkthrough("new-add-in")) {
            await operator.run(block);
        }

        // The inventory finds no valid Sign key: nothing in use, this walk-through applies.
        const inventory = operator.ran("npm run inventory -- --client-id");
        assert.match(inventory.stdout ?? "", new RegExp(`^application ${app.applicationId} \\(client id ${app.appId}\\), directory time 2026-12-01T06:00:00.000Z: 0 entries`));
        assert.deepEqual(operator.transcript.filter((r) => r.notReplayed).map((r) => r.command), [
            "npm ci",
            "pulumi login",
            'export ADDIN_CREDENTIALS_GRAPH_TOKEN="$(az account get-access-token --resource-type ms-graph --query accessToken -o tsv)"',
        ]);
        const created = operator.lastUp?.update?.steps.filter((s) => s.op === "create").map((s) => s.name).sort();
        assert.deepEqual(created, ["hr-portal", "hr-portal-inventory", "hr-portal-slot-a", "hr-portal-slot-a-bytes"]);
        assert.deepEqual(lab.emu.tenant.credentials(app.applicationId).keyCredentials.map((k) => [k.usage, k.displayName]), [
            ["Sign", "addin-credentials/hr-portal/gen-0/2026-12-01"], ["Verify", "addin-credentials/hr-portal/gen-0/2026-12-01"],
        ]);

        // The printed secret is generation 0's; SharePoint signs with it after 24 h, not before.
        const clientSecret = operator.ran("pulumi stack output addins").stdout ?? "";
        assert.match(clientSecret, /^[A-Za-z0-9+/]{43}=$/);
        assert.equal((await lab.emu.checkAddIn(app.appId, { clientSecret })).accessTokenOk, false);
        lab.emu.clock.freeze(new Date(NOW + DAY));
        const check = await lab.emu.checkAddIn(app.appId, { clientSecret });
        assert.deepEqual([check.contextTokenValid, check.accessTokenOk], [true, true], check.reason ?? undefined);
    });

    it("an add-in in use: inventory, adopt, preview, up; the remote web works on the printed pair before, during and after SharePoint moves to generation 0", async () => {
        // GIVEN a Legacy add-in whose remote web holds a secret that ends in 200 days
        const sp = lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const inUse = randomBytes(32).toString("base64");
        const start = new Date(NOW - 900 * DAY).toISOString();
        const end = new Date(NOW + 200 * DAY).toISOString();
        lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({ type: "Symmetric" as const, usage, key: inUse, startDateTime: start, endDateTime: end })),
            passwordCredentials: [{ startDateTime: start, endDateTime: end }],
        });
        const operator = new Operator(lab, { "<client id>": sp.appId, "<ClientSecret from web.config>": inUse });
        operator.stack = lab.newStack({ stack: "contoso" });
        const [inventoryBlock, deployBlock] = walkthrough("add-in-in-use");

        // WHEN the operator runs the inventory and --emit-config, pastes the entry into the stack
        // file (the prose step between the two blocks), and runs the rest
        await operator.run(inventoryBlock);
        const inventory = operator.ran("npm run inventory -- --client-id");
        assert.equal(inventory.exitCode, 0, inventory.stdout);
        assert.equal((inventory.stdout?.match(/unmanaged-valid/g) ?? []).length, 3, inventory.stdout);
        const emitted = operator.ran("npm run --silent inventory -- --emit-config").stdout ?? "";
        assert.match(emitted, /pulumi config set --secret --path 'adoptedClientSecrets\.hr-portal' '<ClientSecret from the remote web's web\.config>'/);
        const entries = emitted.split("\n").filter((l) => l.startsWith("    ")).join("\n");
        await operator.run({ lang: "yaml", text: `config:\n  addin-credentials:addins:\n${entries}\n` });
        await operator.run(deployBlock);

        // THEN generation 0 is beside the adopted secret, and the printed pair is (generation 0, adopted)
        const entriesNow = lab.emu.tenant.credentials(sp.id).keyCredentials.map((k) => k.displayName ?? "adopted");
        assert.deepEqual(entriesNow.sort(), ["addin-credentials/hr-portal/gen-0/2026-12-01", "addin-credentials/hr-portal/gen-0/2026-12-01", "adopted", "adopted"]);
        const [clientSecret, secondaryClientSecret] = (operator.ran("pulumi stack output addins").stdout ?? "").split("\n");
        assert.equal(secondaryClientSecret, inUse);
        assert.notEqual(clientSecret, inUse);
        assert.deepEqual(operator.transcript.filter((r) => r.notReplayed), []);

        // and the remote web, given the pair, works at the hours around SharePoint's move from the
        // adopted secret to generation 0 (the day it ends)
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
    });
});
