/**
 * This repository's Pulumi project run by the real Pulumi CLI (cli/pulumi.cjs), for the tests, the
 * sandbox and the bench: a project directory of its own (the repository's files, linked, with an
 * empty `stacks/`, so stack files the commands write never land in the repository), a `file://`
 * backend, a PULUMI_HOME and an empty passphrase, all in one temporary folder.
 *
 * Commands run exactly as written, in the project directory, with the offline environment of
 * `npm run pulumi`. `eventLog: true` adds the CLI's `--event-log` (behind PULUMI_DEBUG_COMMANDS)
 * to see the steps a run took.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePlugins, ensurePulumi, pulumiEnv, PulumiCli } from "./pulumi.cjs";

const REPOSITORY = path.resolve(__dirname, "..");
/** The project's name (Pulumi.yaml `name`). */
export const PROJECT = "addin-credentials";
/** What the project copy leaves out: its own stacks/ instead, and the repository's history. */
const NOT_LINKED = new Set(["stacks", ".git"]);

/** One step of a run, as the engine reported it. */
export interface CliStep {
    /** The engine's op: create, update, same, delete, replace, create-replacement, delete-replaced, refresh, read… */
    readonly op: string;
    readonly urn: string;
    /** The resource's type token. */
    readonly type: string;
    /** The resource's name (the URN's last part). */
    readonly name: string;
}

/** What a command did. */
export interface CliResult {
    /** The command line as run, `pulumi` first. */
    readonly command: string;
    /** The exit code; 137 after a SIGKILL, 130 after SIGINT. */
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly ms: number;
    /** With `eventLog`: the steps the run took, in the order they started (refresh steps first). */
    readonly steps?: readonly CliStep[];
    /** With `eventLog`: the steps among `steps` that failed (the engine's resOpFailedEvent). */
    readonly failedSteps?: readonly CliStep[];
    /** With `eventLog`: the engine's summary (resource changes, result). */
    readonly summary?: { readonly resourceChanges: Readonly<Record<string, number>>; readonly result: string; readonly isPreview: boolean };
}

/** Options of one command. */
export interface CliRunOptions {
    /** Text for the command's stdin. */
    readonly input?: string;
    /** Variables added to the project's environment for this command. */
    readonly env?: Readonly<Record<string, string>>;
    /** Record the run's engine events (adds --event-log). @default false */
    readonly eventLog?: boolean;
    /** Kill the command after this long. @default 180000 */
    readonly timeoutMs?: number;
}

/** A running command: its process, and its result once it exits. */
export interface RunningCommand {
    readonly child: ChildProcess;
    readonly result: Promise<CliResult>;
}

/** What {@link RealProject.create} takes. */
export interface RealProjectOptions {
    /** Variables every command gets (the Graph URL and token of the emulator, say). */
    readonly env?: Readonly<Record<string, string>>;
    /**
     * PULUMI_NODEJS_TRANSPILE_ONLY: the program is compiled without type checking (about 2 s
     * less per run; the type check is `npm run typecheck`'s job). @default false, as a user runs it
     */
    readonly transpileOnly?: boolean;
}

/** A temporary project, backend and home for the real CLI. */
export class RealProject {
    /** The project directory: run commands here. */
    readonly dir: string;
    /** The `file://` backend's folder. */
    readonly stateDir: string;
    /** PULUMI_HOME. */
    readonly home: string;
    private readonly env: Record<string, string>;
    private runs = 0;

    private constructor(private readonly root: string, readonly cli: PulumiCli, options: RealProjectOptions) {
        this.dir = path.join(root, "project");
        this.stateDir = path.join(root, "state");
        this.home = path.join(root, "home");
        for (const dir of [this.dir, path.join(this.dir, "stacks"), this.stateDir, this.home]) {
            fs.mkdirSync(dir, { recursive: true });
        }
        for (const entry of fs.readdirSync(REPOSITORY)) {
            if (!NOT_LINKED.has(entry)) {
                fs.symlinkSync(path.join(REPOSITORY, entry), path.join(this.dir, entry));
            }
        }
        this.env = pulumiEnv({
            ...process.env,
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.stateDir}`,
            PULUMI_CONFIG_PASSPHRASE: "",
            ...(options.transpileOnly === true ? { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } : {}),
            ...options.env,
        });
    }

    /** A new project in a new temporary folder, the CLI built first if needed. */
    static async create(options: RealProjectOptions = {}): Promise<RealProject> {
        const cli = await ensurePulumi();
        const project = new RealProject(fs.mkdtempSync(path.join(os.tmpdir(), "addin-credentials-cli-")), cli, options);
        await ensurePlugins(cli, project.env);
        return project;
    }

    /** Starts `pulumi <args>` in the project directory. */
    start(args: readonly string[], options: CliRunOptions = {}): RunningCommand {
        const eventLog = options.eventLog === true ? path.join(this.root, `events-${++this.runs}.jsonl`) : undefined;
        const fullArgs = eventLog === undefined ? [...args] : [...args, "--event-log", eventLog];
        const env = { ...this.env, ...(eventLog === undefined ? {} : { PULUMI_DEBUG_COMMANDS: "true" }), ...options.env };
        const started = Date.now();
        const child = spawn(this.cli.pulumi, fullArgs, { cwd: this.dir, env, stdio: ["pipe", "pipe", "pipe"] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => stdout.push(d));
        child.stderr.on("data", (d: Buffer) => stderr.push(d));
        child.stdin.end(options.input ?? "");
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000);
        const result = new Promise<CliResult>((resolve, reject) => {
            child.on("error", reject);
            child.on("close", (code, signal) => {
                clearTimeout(timer);
                const events = eventLog === undefined ? undefined : readEvents(eventLog);
                resolve({
                    command: ["pulumi", ...args].join(" "),
                    code: code ?? (signal === "SIGKILL" ? 137 : signal === "SIGINT" ? 130 : 1),
                    stdout: Buffer.concat(stdout).toString("utf8"),
                    stderr: Buffer.concat(stderr).toString("utf8"),
                    ms: Date.now() - started,
                    ...(events === undefined ? {} : stepsOf(events)),
                });
            });
        });
        return { child, result };
    }

    /** Runs `pulumi <args>` in the project directory and waits for it. */
    pulumi(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
        return this.start(args, options).result;
    }

    /** The stack file of `stack` (stacks/Pulumi.<stack>.yaml in the project directory). */
    stackFile(stack: string): string {
        return path.join(this.dir, "stacks", `Pulumi.${stack}.yaml`);
    }

    /** The text of the stack's state file as the backend wrote it. */
    stateText(stack: string): string {
        return fs.readFileSync(path.join(this.stateDir, ".pulumi", "stacks", PROJECT, `${stack}.json`), "utf8");
    }

    /** The stack's latest checkpoint: its resources as the backend stored them. */
    checkpoint(stack: string): Checkpoint {
        const doc = JSON.parse(this.stateText(stack)) as { checkpoint: { latest?: Partial<Checkpoint> } };
        // A destroyed stack's checkpoint has no `resources` at all.
        return { ...doc.checkpoint.latest, resources: doc.checkpoint.latest?.resources ?? [] };
    }

    /** Removes the temporary folder. */
    close(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

/** A checkpoint's parts the tests read. */
export interface Checkpoint {
    readonly resources: readonly StateResource[];
    readonly pending_operations?: readonly { readonly resource: StateResource; readonly type: string }[];
}

/** A resource as the backend stores it. */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly id?: string;
    readonly custom: boolean;
    readonly delete?: boolean;
    readonly inputs?: Record<string, unknown>;
    readonly outputs?: Record<string, unknown>;
    readonly retainOnDelete?: boolean;
}

interface StepMetadata {
    readonly op: string;
    readonly urn: string;
    readonly type: string;
}

interface EngineEvent {
    readonly resourcePreEvent?: { readonly metadata: StepMetadata };
    readonly resOpFailedEvent?: { readonly metadata: StepMetadata };
    readonly summaryEvent?: CliResult["summary"];
}

/** The steps of resources the program declares: without the default providers' own steps. */
export function resourceSteps(steps: readonly CliStep[] | undefined): CliStep[] {
    return (steps ?? []).filter((s) => !s.type.startsWith("pulumi:providers:"));
}

function readEvents(file: string): EngineEvent[] {
    if (!fs.existsSync(file)) {
        return [];
    }
    return fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as EngineEvent);
}

function stepsOf(events: readonly EngineEvent[]): Pick<CliResult, "steps" | "failedSteps" | "summary"> {
    const step = (m: StepMetadata): CliStep => ({ op: m.op, urn: m.urn, type: m.type, name: m.urn.slice(m.urn.lastIndexOf("::") + 2) });
    const steps = events.flatMap((e) => e.resourcePreEvent === undefined ? [] : [step(e.resourcePreEvent.metadata)]);
    const failedSteps = events.flatMap((e) => e.resOpFailedEvent === undefined ? [] : [step(e.resOpFailedEvent.metadata)]);
    const summary = events.find((e) => e.summaryEvent !== undefined)?.summaryEvent;
    return { steps, failedSteps, ...(summary === undefined ? {} : { summary }) };
}
