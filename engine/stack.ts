/**
 * A stack and the CLI commands the pipelines run against it: `pulumi preview`, `pulumi up`
 * (a preview, then an update), `pulumi up --skip-preview`, `pulumi destroy`. The checkpoint is
 * kept in memory between commands, as a backend keeps it; each run gets a provider process of
 * its own (pkg/engine/deployment.go: one plugin host per deployment).
 */
import * as os from "node:os";
import * as path from "node:path";
import { countChanges, hasChanges, RunResult, runDeployment, Step } from "./deployment";
import { ProjectFile, readProjectFile } from "./project";
import { ProviderHost, ProviderHostOptions, startProviderHost } from "./providerHost";
import { Checkpoint, EMPTY_CHECKPOINT } from "./state";
import { applyProjectConfig } from "./stackFile";

/** The CLI's exit statuses (pkg/cmd/pulumi/cmd/exit_codes.go; sdk/go/common/util/cmdutil/exit.go). */
export const EXIT = {
    success: 0,
    /** ExitCodeError: the generic failure (a failed preview or update). */
    error: 1,
    /** ExitNoChanges: `--expect-no-changes` and changes were proposed. */
    noChangesExpected: 7,
} as const;

/** Where a run gets its dynamic provider process. */
export interface HostSource {
    /** A provider process for one run; `release` when the run is over. */
    acquire(): Promise<{ readonly host: ProviderHost; release(): Promise<void> }>;
    /** Stops every process it holds. */
    close(): Promise<void>;
}

/**
 * A new provider process for every run, as the engine does. The next one is started while the
 * current run goes on, so a run does not wait for a process to start.
 */
export function freshProcesses(options: Omit<ProviderHostOptions, "recyclable"> = {}): HostSource {
    let next: Promise<ProviderHost> | undefined;
    const start = (): Promise<ProviderHost> => startProviderHost(options);
    return {
        async acquire() {
            const host = await (next ?? start());
            next = start();
            next.catch(() => undefined); // a failed start surfaces at the next acquire
            return { host, release: () => host.stop() };
        },
        async close() {
            const pending = next;
            next = undefined;
            await pending?.then((h) => h.stop(), () => undefined);
        },
    };
}

/**
 * One provider process for all runs, recycled between them (engine/providerHost.ts): the
 * provider code loaded in one run is dropped before the next, as if the process were new. For
 * long simulations; docs/ENGINE.md says what it does not reset.
 */
export function recycledProcess(options: Omit<ProviderHostOptions, "recyclable"> = {}): HostSource {
    let host: Promise<ProviderHost> | undefined;
    return {
        async acquire() {
            host ??= startProviderHost({ ...options, recyclable: true });
            const h = await host;
            return { host: h, release: async () => void (await h.recycle()) };
        },
        async close() {
            const h = host;
            host = undefined;
            await h?.then((x) => x.stop());
        },
    };
}

/** Settings of an {@link EngineStack}. */
export interface EngineStackOptions {
    /** Absolute path of the program (its index.ts). */
    readonly programPath: string;
    /** Where runs get provider processes. */
    readonly hosts: HostSource;
    /** The project directory, where Pulumi.yaml is. @default the program's directory */
    readonly projectDir?: string;
    /** @default the `name` in the project's Pulumi.yaml, else "project" */
    readonly project?: string;
    /** @default "dev" */
    readonly stack?: string;
    /** --parallel. @default 4 x the number of CPUs (pkg/cmd/pulumi/operations/up.go `defaultParallel`) */
    readonly parallel?: number;
    /** Refresh before each preview and update. @default the project's Pulumi.yaml `options.refresh: always` */
    readonly refresh?: boolean;
    /** The checkpoint to start from. @default an empty stack */
    readonly checkpoint?: Checkpoint;
}

/** What a command gets besides the stack: its config. */
export interface CommandRequest {
    /**
     * Stack config: namespaced keys to strings (as `pulumi config` stores them). Pulumi.yaml's
     * defaults are merged in and, before a program runs, its declarations checked, as the CLI does
     * (engine/stackFile.ts `applyProjectConfig`).
     */
    readonly config: Record<string, string>;
    /** Which of them are secret. @default [] */
    readonly secretKeys?: readonly string[];
    /** --refresh / --refresh=false. @default the stack's setting */
    readonly refresh?: boolean;
}

/** A finished command as a pipeline sees it. */
export interface CommandResult {
    /** The CLI's exit status (see {@link EXIT}). */
    readonly exitCode: number;
    /** What the CLI printed as the failure, if any. */
    readonly error?: string;
}

/** `pulumi preview`. */
export interface PreviewResult extends CommandResult {
    readonly preview: RunResult;
}

/** `pulumi up`: the preview, then (if it succeeded) the update. */
export interface UpResult extends CommandResult {
    readonly preview: RunResult;
    readonly update?: RunResult;
    /**
     * The steps the preview planned against the steps the update performed (op and URN), when
     * they differ. Undefined when they match or when the update did not run.
     */
    readonly planMismatch?: { readonly planned: readonly string[]; readonly performed: readonly string[] };
}

/** A stack, its checkpoint, and the CLI's commands. */
export class EngineStack {
    private current: Checkpoint;
    private readonly projectFile: ProjectFile;
    private readonly project: string;
    private readonly stackName: string;
    private readonly refreshDefault: boolean;
    private readonly parallel: number;

    constructor(private readonly options: EngineStackOptions) {
        const projectFile = readProjectFile(options.projectDir ?? path.dirname(options.programPath));
        this.project = options.project ?? projectFile.name ?? "project";
        this.projectFile = { ...projectFile, name: this.project };
        this.stackName = options.stack ?? "dev";
        this.refreshDefault = options.refresh ?? projectFile.refreshAlways;
        this.parallel = options.parallel ?? os.availableParallelism() * 4;
        this.current = options.checkpoint ?? EMPTY_CHECKPOINT;
    }

    /** The checkpoint as the backend holds it now. */
    get checkpoint(): Checkpoint {
        return this.current;
    }

    /** `pulumi preview [--expect-no-changes]`. Persists nothing. */
    async preview(request: CommandRequest & { readonly expectNoChanges?: boolean }): Promise<PreviewResult> {
        const preview = await this.run("preview", request);
        if (!preview.ok) {
            return { exitCode: EXIT.error, error: preview.error, preview };
        }
        if (request.expectNoChanges && hasChanges(preview.steps)) {
            // backenderr.go `NoChangesExpectedError`; the CLI prints the counts in its summary.
            return { exitCode: EXIT.noChangesExpected, error: `no changes were expected for preview but changes were proposed\nResources: ${describeChanges(preview.steps)}`, preview };
        }
        return { exitCode: EXIT.success, preview };
    }

    /**
     * `pulumi up --yes`: a full preview (refresh included), and only if it succeeded the update,
     * which refreshes, runs the program and computes its steps again (pkg/backend/apply.go
     * `PreviewThenPromptThenExecute`; the preview's plan is not enforced without --strict).
     */
    async up(request: CommandRequest): Promise<UpResult> {
        const preview = await this.run("preview", request);
        if (!preview.ok) {
            return { exitCode: EXIT.error, error: preview.error, preview };
        }
        const update = await this.run("update", request);
        const planned = planOf(preview.steps);
        const performed = planOf(update.steps);
        const matches = update.ok && planned.length === performed.length && planned.every((s, i) => s === performed[i]);
        return {
            exitCode: update.ok ? EXIT.success : EXIT.error,
            ...(update.ok ? {} : { error: update.error }),
            preview,
            update,
            ...(matches || !update.ok ? {} : { planMismatch: { planned, performed } }),
        };
    }

    /** `pulumi up --skip-preview --yes`: the update alone. */
    async update(request: CommandRequest): Promise<RunResult> {
        return this.run("update", request);
    }

    /** `pulumi destroy --yes`: no program; every resource deleted, dependents first. */
    async destroy(request: CommandRequest): Promise<RunResult> {
        return this.run("update", request, false);
    }

    private async run(kind: "preview" | "update", request: CommandRequest, runProgram = true): Promise<RunResult> {
        let config: Record<string, string>;
        try {
            // pkg/cmd/pulumi/operations: before the engine starts; destroy does not validate.
            config = applyProjectConfig(this.projectFile, this.stackName, request.config, request.secretKeys ?? [], runProgram);
        } catch (e) {
            return refusedRun(kind, e instanceof Error ? e.message : String(e));
        }
        const lease = await this.options.hosts.acquire();
        try {
            const { result, checkpoint } = await runDeployment({
                kind,
                base: this.current,
                programPath: this.options.programPath,
                project: this.project,
                stack: this.stackName,
                config,
                secretKeys: request.secretKeys ?? [],
                refresh: request.refresh ?? this.refreshDefault,
                parallel: this.parallel,
                host: lease.host,
                runProgram,
            });
            this.current = checkpoint;
            return result;
        } finally {
            await lease.release();
        }
    }
}

/** The steps of a run that a preview plans and an update performs, as "op urn", sorted. */
export function planOf(steps: readonly Step[]): string[] {
    return steps.filter((s) => s.op !== "refresh").map((s) => `${s.op} ${s.urn}`).sort();
}

/** "2 to create, 1 to update" as the CLI summarizes counted steps. */
export function describeChanges(steps: readonly Step[]): string {
    return Object.entries(countChanges(steps)).map(([op, n]) => `${n} to ${op}`).join(", ");
}

/** A run that never started: the CLI refused before the engine ran (the stack's config). */
function refusedRun(kind: "preview" | "update", error: string): RunResult {
    return {
        kind,
        ok: false,
        error,
        steps: [],
        failedSteps: [],
        outputs: {},
        logs: [],
        consoleText: "",
        timings: { refreshMs: 0, programMs: 0, deletesMs: 0, stepGenerationMs: 0, waitingForWorkersMs: 0 },
    };
}
