// `npm run pulumi` (cli/pulumi.cjs): the Pulumi CLI at exactly the version of @pulumi/pulumi in
// package-lock.json, which CLI it picks (an exact-version `pulumi` on PATH, else the cached build,
// else a build), the offline environment it runs with, the plugin it installs into the home in
// use, and its refusal when it has neither Go nor a matching CLI.
import * as assert from "node:assert/strict";
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildDir, ensurePulumi, required } from "../../cli/pulumi.cjs";

const ROOT = path.join(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "cli", "pulumi.cjs");

describe("npm run pulumi", function () {
    this.timeout(1_800_000); // builds the CLI when this machine has none (about 8 minutes cold)
    let tmp: string;

    before(async () => {
        await ensurePulumi();
    });

    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-cli-"));
    });

    afterEach(() => {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** `node cli/pulumi.cjs <args>` with `env` over this process's environment. */
    function run(args: readonly string[], env: Record<string, string | undefined> = {}): SpawnSyncReturns<string> {
        return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
    }

    /** A `pulumi` script in `dir` that says `version` and echoes anything else. */
    function fakePulumi(dir: string, version: string): string {
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, "pulumi");
        fs.writeFileSync(file, `#!/bin/sh\nif [ "$1" = version ]; then echo ${version}; else echo "fake pulumi $* home=$PULUMI_HOME update-check=$PULUMI_SKIP_UPDATE_CHECK acquisition=$PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"; fi\n`);
        fs.chmodSync(file, 0o755);
        return file;
    }

    it("requires pkg/v3 and sdk/v3 in cli/go.mod at exactly the version of @pulumi/pulumi in package-lock.json", () => {
        const goMod = fs.readFileSync(path.join(ROOT, "cli", "go.mod"), "utf8");
        const version = `v${required().pulumi}`;
        assert.match(goMod, new RegExp(`^\\s+github\\.com/pulumi/pulumi/pkg/v3 ${version.replace(/\./g, "\\.")}$`, "m"));
        assert.match(goMod, new RegExp(`^\\s+github\\.com/pulumi/pulumi/sdk/v3 ${version.replace(/\./g, "\\.")}$`, "m"));
    });

    it("prints the version of @pulumi/pulumi in package-lock.json, from the cached build and its language host", () => {
        const version = run(["version"], { PULUMI_HOME: path.join(tmp, "home") });
        assert.equal(version.status, 0, version.stderr);
        assert.equal(version.stdout.trim(), `v${required().pulumi}`);
        const host = spawnSync(path.join(buildDir(), "bin", "pulumi-language-nodejs"), ["-version"], { encoding: "utf8" });
        assert.equal(host.stdout.trim(), `v${required().pulumi}`);
    });

    it("installs this project's random plugin, at @pulumi/random's version, into the PULUMI_HOME the caller sets, once", () => {
        const home = path.join(tmp, "home");
        const first = run(["plugin", "ls", "--json"], { PULUMI_HOME: home });
        assert.equal(first.status, 0, first.stderr);
        const plugins = JSON.parse(first.stdout) as { name: string; kind: string; version: string }[];
        assert.deepEqual(plugins.map((p) => `${p.kind} ${p.name} ${p.version}`), [`resource random ${required().random}`]);
        const binary = path.join(home, "plugins", `resource-random-v${required().random}`, "pulumi-resource-random");
        const installedAt = fs.statSync(binary).mtimeMs;
        const second = run(["plugin", "ls"], { PULUMI_HOME: home });
        assert.equal(second.status, 0, second.stderr);
        assert.equal(fs.statSync(binary).mtimeMs, installedAt, "installed again");
    });

    it("uses a pulumi on PATH of exactly that version, offline and with the caller's home, and passes the arguments through", () => {
        const bin = path.join(tmp, "bin");
        fakePulumi(bin, `v${required().pulumi}`);
        const out = run(["stack", "ls", "--json"], { PATH: `${bin}${path.delimiter}${process.env.PATH}`, PULUMI_HOME: path.join(tmp, "home") });
        assert.equal(out.status, 0, out.stderr);
        assert.equal(out.stdout.trim(), `fake pulumi stack ls --json home=${path.join(tmp, "home")} update-check=true acquisition=true`);
    });

    it("passes over a pulumi on PATH of another version and runs the cached build", () => {
        const bin = path.join(tmp, "bin");
        fakePulumi(bin, "v3.200.0");
        const out = run(["version"], { PATH: `${bin}${path.delimiter}${process.env.PATH}`, PULUMI_HOME: path.join(tmp, "home") });
        assert.equal(out.status, 0, out.stderr);
        assert.equal(out.stdout.trim(), `v${required().pulumi}`);
    });

    it("without Go and without a matching pulumi, fails at once saying how to get one", () => {
        const bin = path.join(tmp, "bin");
        fakePulumi(bin, "v3.200.0");
        // PATH: the fake pulumi and node only (no go); an empty cache.
        const out = run(["version"], { PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}`, ADDIN_CREDENTIALS_PULUMI_CACHE: path.join(tmp, "cache") });
        assert.equal(out.status, 1);
        assert.equal(out.stdout, "");
        assert.match(out.stderr, new RegExp(`^pulumi-cli: No Pulumi CLI v${required().pulumi.replace(/\./g, "\\.")} on PATH or in ${path.join(tmp, "cache").replace(/[/.]/g, "\\$&")}\\. Go is needed to build it \\(go 1\\.26 or later, with the Go module proxy\\): install Go from https://go\\.dev/dl, or put a \`pulumi\` of that exact version on PATH`));
        // At once: no build was started (it would leave its folder or lock) and nothing installed.
        assert.deepEqual(fs.readdirSync(path.join(tmp, "cache")), []);
    });
});
