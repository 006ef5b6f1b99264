// `npm run pulumi -- <args>`: the Pulumi CLI at exactly the version of @pulumi/pulumi in
// package-lock.json, run offline. docs/REAL-CLI.md says what is built and why.
//
// Which CLI: a `pulumi` on PATH whose `pulumi version` is exactly that version (a real install
// brings Pulumi's own language host and dynamic provider plugin); else the build cached in
// $ADDIN_CREDENTIALS_PULUMI_CACHE (default ~/.cache/addin-credentials/pulumi); else it builds one
// there from the Go module proxy (Go 1.26 or later needed; about 8 minutes on 2 cores, once).
//
// How it runs: with no update check and no plugin download (PULUMI_SKIP_UPDATE_CHECK,
// PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION), the node running this script first on PATH (the
// language host and the dynamic provider plugin start `node`), and PULUMI_HOME, the backend and the
// passphrase as the caller sets them (PULUMI_HOME defaults to a home of this project's own in the
// cache, so a stand-in plugin never lands in ~/.pulumi). The plugin it provides, RandomBytes of
// `random` at the version of @pulumi/random in package-lock.json, is installed into that home when
// the home has no `random` of that version. Every argument is passed through; the exit code is the
// CLI's.
//
// Also a module: tests and tools call `ensurePulumi()` and `pulumiEnv()`.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CLI_DIR = __dirname;

/** The version of an npm package as package-lock.json pins it. */
function lockedVersion(name) {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    const entry = lock.packages?.[`node_modules/${name}`];
    if (entry?.version === undefined) {
        throw new Error(`package-lock.json pins no version of ${name}`);
    }
    return entry.version;
}

/** What this checkout needs: the CLI's version (that of @pulumi/pulumi) and random's. */
function required() {
    return { pulumi: lockedVersion("@pulumi/pulumi"), random: lockedVersion("@pulumi/random") };
}

/** The Go sources of the build (go.mod, go.sum, every .go file): a change to any makes a new cache entry. */
function buildInputs() {
    return fs.readdirSync(CLI_DIR, { recursive: true })
        .map((f) => String(f).split(path.sep).join("/"))
        .filter((f) => f === "go.mod" || f === "go.sum" || f.endsWith(".go"))
        .sort();
}

function cacheRoot() {
    return process.env.ADDIN_CREDENTIALS_PULUMI_CACHE || path.join(os.homedir(), ".cache", "addin-credentials", "pulumi");
}

/** The cache entry for this checkout: `<cache>/v<version>-<hash of the build inputs>`. */
function buildDir(versions = required()) {
    const hash = crypto.createHash("sha256");
    for (const file of buildInputs()) {
        hash.update(`${file}\n`).update(fs.readFileSync(path.join(CLI_DIR, file)));
    }
    hash.update(`random ${versions.random}\n`);
    return path.join(cacheRoot(), `v${versions.pulumi}-${hash.digest("hex").slice(0, 12)}`);
}

/** The cached build's files. */
function buildFiles(dir) {
    return {
        pulumi: path.join(dir, "bin", "pulumi"),
        languageHost: path.join(dir, "bin", "pulumi-language-nodejs"),
        dynamicProvider: path.join(dir, "bin", "pulumi-resource-pulumi-nodejs"),
        random: path.join(dir, "plugins", "pulumi-resource-random"),
    };
}

function isFile(file) {
    try {
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

function log(message) {
    process.stderr.write(`pulumi-cli: ${message}\n`);
}

/** The version a `pulumi` binary prints, or undefined when it cannot be run. */
function versionOf(binary) {
    const result = spawnSync(binary, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeout: 30_000 });
    return result.status === 0 ? result.stdout.trim() : undefined;
}

/** A `pulumi` on PATH that is exactly the required version, if there is one. */
function pulumiOnPath(version) {
    for (const dir of (process.env.PATH || "").split(path.delimiter)) {
        const candidate = path.join(dir, "pulumi");
        if (dir !== "" && isFile(candidate) && versionOf(candidate) === `v${version}`) {
            return candidate;
        }
    }
    return undefined;
}

/** Runs a command, its output to our stderr; rejects naming it when it fails. */
function run(command, args, options) {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
        child.on("error", reject);
        child.on("exit", (code, signal) =>
            code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)));
    });
}

function goVersion() {
    const result = spawnSync("go", ["version"], { encoding: "utf8" });
    return result.status === 0 ? result.stdout.trim() : undefined;
}

const NO_GO =
    "Go is needed to build it (go 1.26 or later, with the Go module proxy): install Go from https://go.dev/dl, " +
    "or put a `pulumi` of that exact version on PATH (https://www.pulumi.com/docs/install/; its own language host and plugins come with it).";

/**
 * Builds the CLI, the Node language host and the random plugin into `dir` (through a temporary
 * folder renamed at the end, so a build that stops half way leaves nothing that looks finished).
 */
async function build(dir, versions) {
    const go = goVersion();
    if (go === undefined) {
        throw new Error(`No Pulumi CLI v${versions.pulumi} on PATH or in ${cacheRoot()}. ${NO_GO}`);
    }
    const files = buildFiles(dir);
    const partial = `${dir}.partial-${process.pid}`;
    const out = buildFiles(partial);
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(out.pulumi), { recursive: true });
    fs.mkdirSync(path.dirname(out.random), { recursive: true });
    const stamp = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${versions.pulumi}`;
    const started = Date.now();
    log(`building the Pulumi CLI v${versions.pulumi} from the Go module proxy with ${go} into ${dir}`);
    log("a cold build takes about 8 minutes on 2 cores and a few GB of Go caches; later runs reuse it");
    const heartbeat = setInterval(() => log(`still building (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
    try {
        const options = { cwd: CLI_DIR };
        await run("go", ["build", "-o", out.pulumi, "-ldflags", stamp, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"], options);
        log(`built pulumi (${Math.round((Date.now() - started) / 1000)} s); now the Node language host and the random plugin`);
        await run("go", ["build", "-o", out.languageHost, "-ldflags", stamp, "./language-nodejs"], options);
        await run("go", ["build", "-o", out.random, "-ldflags", `-X main.Version=${versions.random}`, "./resource-random"], options);
    } finally {
        clearInterval(heartbeat);
    }
    // Pulumi's dynamic provider plugin is a script that ships in @pulumi/pulumi; the CLI looks for it
    // next to itself.
    fs.copyFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs"), out.dynamicProvider);
    fs.chmodSync(out.dynamicProvider, 0o755);
    fs.writeFileSync(path.join(partial, "build.json"), JSON.stringify({ ...versions, go, seconds: Math.round((Date.now() - started) / 1000), at: new Date().toISOString() }, null, 2));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
    log(`done in ${Math.round((Date.now() - started) / 1000)} s: ${files.pulumi}`);
}

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function alive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Builds `dir` unless it is there, one process at a time (a lock folder holding the builder's pid). */
async function buildOnce(dir, versions) {
    const lock = `${dir}.lock`;
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    for (;;) {
        if (isFile(path.join(dir, "build.json"))) {
            return;
        }
        try {
            fs.mkdirSync(lock);
        } catch {
            const pid = Number(fs.readFileSync(path.join(lock, "pid"), { encoding: "utf8", flag: "a+" }) || 0);
            if (pid !== 0 && !alive(pid)) {
                fs.rmSync(lock, { recursive: true, force: true });
            } else {
                await sleep(2_000);
            }
            continue;
        }
        fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
        try {
            if (!isFile(path.join(dir, "build.json"))) {
                await build(dir, versions);
            }
        } finally {
            fs.rmSync(lock, { recursive: true, force: true });
        }
    }
}

/**
 * The CLI to run, built when needed: `{ pulumi, random, version, source }`, `source` saying where
 * it came from ("path" or "cache"); `random` is the plugin binary this project provides (built
 * when the cache has none).
 */
async function ensurePulumi() {
    const versions = required();
    const dir = buildDir(versions);
    const files = buildFiles(dir);
    const onPath = pulumiOnPath(versions.pulumi);
    if (onPath === undefined || !isFile(files.random)) {
        await buildOnce(dir, versions);
    }
    return { pulumi: onPath ?? files.pulumi, random: files.random, versions, source: onPath === undefined ? "cache" : "path" };
}

/** The environment the CLI runs with (see the header); `base` is the caller's. */
function pulumiEnv(base = process.env) {
    const env = { ...base };
    env.PULUMI_SKIP_UPDATE_CHECK = "true";
    env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
    env.PULUMI_HOME = base.PULUMI_HOME || path.join(cacheRoot(), "home");
    env.PATH = [path.dirname(process.execPath), base.PATH].filter(Boolean).join(path.delimiter);
    return env;
}

/** Installs this project's random plugin into the home of `env` unless it has that version. */
async function ensurePlugins(cli, env) {
    const installed = path.join(env.PULUMI_HOME, "plugins", `resource-random-v${cli.versions.random}`, "pulumi-resource-random");
    if (!isFile(installed)) {
        const result = spawnSync(cli.pulumi, ["plugin", "install", "resource", "random", cli.versions.random, "--file", cli.random], { env, encoding: "utf8" });
        if (result.status !== 0) {
            throw new Error(`could not install the random plugin into ${env.PULUMI_HOME}: ${result.stderr || result.error}`);
        }
    }
}

async function main(args) {
    const cli = await ensurePulumi();
    const env = pulumiEnv();
    fs.mkdirSync(env.PULUMI_HOME, { recursive: true });
    await ensurePlugins(cli, env);
    const child = spawn(cli.pulumi, args, { stdio: "inherit", env });
    for (const signal of ["SIGINT", "SIGTERM"]) {
        process.on(signal, () => child.kill(signal));
    }
    child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
}

module.exports = { ensurePulumi, ensurePlugins, pulumiEnv, required, buildDir };

if (require.main === module) {
    main(process.argv.slice(2)).catch((err) => {
        log(err instanceof Error ? err.message : String(err));
        process.exit(1);
    });
}
