/**
 * One engine run: a `pulumi preview` or the update half of a `pulumi up`, as the deployment
 * executor and step generator of pkg/resource/deploy/ run it. docs/ENGINE.md lists every rule
 * with its source; the comments below name the function each piece follows.
 *
 * The phases (deployment_executor.go `(*deploymentExecutor).Execute`):
 * 1. refresh (with `refresh: always`): every resource of the old checkpoint is Read, in parallel,
 *    before the program runs (`refresh`);
 * 2. the program runs; each registration is Checked and Diffed one at a time (the step generator
 *    is one loop) and its steps run as one chain, chains in parallel up to `parallel`
 *    (`handleSingleEvent`, step_executor.go);
 * 3. after the program has exited and every chain has finished, deletes of what it no longer
 *    declares and of replaced resources, in reverse dependency order, one antichain at a time
 *    (`performPostSteps`, step_generator.go `GenerateDeletes` / `ScheduleDeletes`).
 * A failure cancels what has not started (registrations not yet checked, chains waiting for a
 * worker, the next step of a running chain); running steps finish; no deletes run.
 */
import * as grpcProto from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Diagnostic, evaluateProgram, StackOutput } from "./program";
import { DiffAnswer, ProviderHost } from "./providerHost";
import { changedKeys, dynamicProvider, DYNAMIC_TYPE_PREFIX, EngineProvider, modelledProvider } from "./providers";
import { Checkpoint, cloneCheckpoint, ResourceState } from "./state";
import { Props, secretWire, unwrapSecrets, UNKNOWN } from "./wire";

/** The step kinds (pkg/resource/deploy/step.go `StepOp`). */
export type StepOp = "same" | "create" | "update" | "replace" | "create-replacement" | "delete-replaced" | "delete" | "refresh";

/** One step of a run. */
export interface Step {
    readonly op: StepOp;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /**
     * Whether the CLI counts it (step.Logical(), and not a default provider's): create, update,
     * replace and delete do; create-replacement, delete-replaced, same and refresh do not.
     */
    readonly logical: boolean;
    /** replace: the properties whose change forced it. */
    readonly replaces?: readonly string[];
    /** replace: the old resource was deleted before its replacement was created. */
    readonly deleteBeforeReplace?: boolean;
    /** delete / delete-replaced: the resource option retainOnDelete kept it at the provider. */
    readonly retain?: boolean;
    /** refresh: what the Read found. */
    readonly refresh?: "unchanged" | "changed" | "gone";
}

/** The record of one run. */
export interface RunResult {
    readonly kind: "preview" | "update";
    /** False when the run failed; `error` says why, as the CLI would. */
    readonly ok: boolean;
    readonly error?: string;
    /** The steps that finished, in the order they finished. */
    readonly steps: readonly Step[];
    /**
     * Steps that started and failed (the CLI shows them as "creating failed" and the like): the
     * provider call that failed the run; not in `steps`.
     */
    readonly failedSteps: readonly Step[];
    readonly outputs: Record<string, StackOutput>;
    readonly logs: readonly Diagnostic[];
    readonly consoleText: string;
    /** Where the run's wall time went, in milliseconds (for the bench; no engine output). */
    readonly timings: RunTimings;
}

/** The wall time of a run's phases, and of the serial part of the program phase. */
export interface RunTimings {
    /** Phase 1: the refresh. */
    readonly refreshMs: number;
    /** Phase 2: the program, with its registrations' steps. */
    readonly programMs: number;
    /** Phase 3: the deletes after the program. */
    readonly deletesMs: number;
    /** Of phase 2: the step generator's Check and Diff calls, which run one registration at a time. */
    readonly stepGenerationMs: number;
    /** Of phase 2: the step generator waiting for a free worker (all `parallel` chains busy). */
    readonly waitingForWorkersMs: number;
}

/** Settings of one run. */
export interface DeploymentOptions {
    readonly kind: "preview" | "update";
    readonly base: Checkpoint;
    readonly programPath: string;
    readonly project: string;
    readonly stack: string;
    readonly config: Record<string, string>;
    readonly secretKeys: readonly string[];
    readonly refresh: boolean;
    /** Steps in flight at once (--parallel). */
    readonly parallel: number;
    /** This run's dynamic provider process. */
    readonly host: ProviderHost;
    /** False for `pulumi destroy` (no program; everything is deleted). @default true */
    readonly runProgram?: boolean;
}

/** The steps counted by the CLI ("+ 2 to create, ~ 1 to update, ..."). */
export function countChanges(steps: readonly Step[]): Partial<Record<StepOp, number>> {
    const counts: Partial<Record<StepOp, number>> = {};
    for (const s of steps.filter((x) => x.logical)) {
        counts[s.op] = (counts[s.op] ?? 0) + 1;
    }
    return counts;
}

/** What `--expect-no-changes` fails on (engine `HasChanges` over the counted steps). */
export function hasChanges(steps: readonly Step[]): boolean {
    return steps.some((s) => s.logical);
}

/** A registration, decoded from the SDK's RegisterResourceRequest. */
interface Registration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly custom: boolean;
    readonly inputs: Props;
    readonly secretInputs: readonly string[];
    readonly dependencies: readonly string[];
    readonly propertyDependencies: Record<string, string[]>;
    readonly additionalSecretOutputs: readonly string[];
    readonly deleteBeforeReplace: boolean;
    readonly deleteBeforeReplaceDefined: boolean;
    readonly ignoreChanges: readonly string[];
    readonly replaceOnChanges: readonly string[];
    readonly retainOnDelete: boolean;
    readonly protect: boolean;
}

/** What the engine answers a registration with. */
interface Answer {
    readonly id: string;
    readonly outputs: Props;
    readonly secretOutputs: readonly string[];
}

type Plan =
    | { readonly kind: "same"; readonly old: ResourceState; readonly inputs: Props }
    | { readonly kind: "create"; readonly inputs: Props }
    | { readonly kind: "recreate"; readonly inputs: Props }
    | { readonly kind: "update"; readonly old: ResourceState; readonly inputs: Props }
    | {
          readonly kind: "replace";
          readonly old: ResourceState;
          readonly inputs: Props;
          readonly replaces: string[];
          readonly deleteBeforeReplace: boolean;
          readonly dependents: ResourceState[];
      };

/** A failure the CLI reports without a stack trace. */
export class EngineError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EngineError";
    }
}

/** Runs one deployment; returns its record and the checkpoint it leaves (for an update). */
export async function runDeployment(options: DeploymentOptions): Promise<{ result: RunResult; checkpoint: Checkpoint }> {
    return new Deployment(options).run();
}

class Deployment {
    private readonly preview: boolean;
    private readonly working: ResourceState[];
    private olds = new Map<string, ResourceState>();
    private readonly operated = new Set<string>();
    private readonly dbrDeleted = new Set<string>();
    private readonly steps: Step[] = [];
    private readonly failedSteps: Step[] = [];
    private failure: Error | undefined;
    private readonly generator = new Mutex();
    private readonly workers: Semaphore;
    private readonly dynamic: EngineProvider;
    private readonly timings = { refreshMs: 0, programMs: 0, deletesMs: 0, stepGenerationMs: 0, waitingForWorkersMs: 0 };

    constructor(private readonly options: DeploymentOptions) {
        this.preview = options.kind === "preview";
        this.working = cloneCheckpoint(options.base);
        this.workers = new Semaphore(Math.max(1, options.parallel));
        this.dynamic = dynamicProvider(options.host);
    }

    async run(): Promise<{ result: RunResult; checkpoint: Checkpoint }> {
        let program = { outputs: {} as Record<string, StackOutput>, logs: [] as Diagnostic[], consoleText: "" };
        let mark = performance.now();
        const phase = (name: "refreshMs" | "programMs" | "deletesMs"): void => {
            const now = performance.now();
            this.timings[name] = now - mark;
            mark = now;
        };
        if (this.options.refresh) {
            await this.refresh().catch((e: unknown) => this.fail(e));
        }
        phase("refreshMs");
        this.olds = new Map(this.working.filter((r) => !r.delete).map((r) => [r.urn, r]));
        if (this.failure === undefined && (this.options.runProgram ?? true)) {
            const evaluated = await evaluateProgram({
                programPath: this.options.programPath,
                project: this.options.project,
                stack: this.options.stack,
                preview: this.preview,
                config: this.options.config,
                secretKeys: this.options.secretKeys,
                monitor: new EngineMonitor(this),
            });
            program = evaluated;
            if (evaluated.error !== undefined) {
                this.fail(evaluated.error);
            }
        }
        phase("programMs");
        if (this.failure === undefined) {
            await this.deleteCondemned().catch((e: unknown) => this.fail(e));
        }
        phase("deletesMs");
        const result: RunResult = {
            kind: this.options.kind,
            ok: this.failure === undefined,
            ...(this.failure ? { error: this.failure.message } : {}),
            steps: this.steps,
            failedSteps: this.failedSteps,
            outputs: program.outputs,
            logs: program.logs,
            consoleText: program.consoleText,
            timings: { ...this.timings },
        };
        // A preview persists nothing (update.go previewActions); an update saves what it did,
        // also when it failed part-way (the journal records every finished step).
        return { result, checkpoint: { resources: this.preview ? this.options.base.resources : this.working } };
    }

    private fail(e: unknown): void {
        this.failure ??= e instanceof Error ? e : new Error(String(e));
    }

    /** What a registration or a chain's next step gets once an earlier step has failed. */
    private throwIfCancelled(): void {
        if (this.failure !== undefined) {
            throw new EngineError(`the deployment was cancelled after an earlier failure: ${this.failure.message}`);
        }
    }

    private providerFor(type: string): EngineProvider {
        return type.startsWith(DYNAMIC_TYPE_PREFIX) ? this.dynamic : modelledProvider(type);
    }

    // ---- 1. refresh ------------------------------------------------------------------------

    /**
     * deployment_executor.go `refresh` + step.go `(*RefreshStep).Apply`: a refresh step for every
     * resource of the old checkpoint, pending deletions included; custom resources are read with
     * their old inputs and outputs (components and resources pending replacement "never change
     * with a refresh": their step reads nothing); an empty id drops the resource and prunes the
     * dependencies of others; inputs returned by Read replace the old inputs. The provider's Diff
     * is also called with the roles swapped (for the display only). Every Read is attempted (the
     * refresh's step executor ignores errors until the end); if any failed, the run fails before
     * the program.
     */
    private async refresh(): Promise<void> {
        const targets = [...this.working];
        const errors: Error[] = [];
        const gone = new Set<ResourceState>();
        await parallelMap(targets, this.options.parallel, () => false, async (r) => {
            if (!r.custom || r.pendingReplacement) {
                this.steps.push({ ...stepOf("refresh", r), refresh: "unchanged" });
                return;
            }
            try {
                const provider = this.providerFor(r.type);
                const read = await provider.read(r.urn, r.id, r.inputs, r.outputs);
                if (read.id === "") {
                    gone.add(r);
                    this.steps.push({ ...stepOf("refresh", r), refresh: "gone" });
                    return;
                }
                const refreshed: ResourceState = { ...r, id: read.id, outputs: read.props, inputs: read.inputs ?? r.inputs };
                if (r.type.startsWith(DYNAMIC_TYPE_PREFIX)) {
                    await provider.diff(r.urn, r.id, refreshed.outputs, r.inputs, refreshed.inputs);
                }
                const changed = changedKeys(r.outputs, refreshed.outputs).length > 0 || changedKeys(r.inputs, refreshed.inputs).length > 0;
                this.working[this.working.indexOf(r)] = refreshed;
                this.steps.push({ ...stepOf("refresh", r), refresh: changed ? "changed" : "unchanged" });
            } catch (e) {
                this.failedSteps.push(stepOf("refresh", r));
                errors.push(e instanceof Error ? e : new Error(String(e)));
            }
        });
        if (gone.size > 0) {
            const goneUrns = new Set([...gone].map((r) => r.urn));
            const kept = this.working.filter((r) => !gone.has(r)).map((r) => pruneDependencies(r, goneUrns));
            this.working.splice(0, this.working.length, ...kept);
        }
        if (errors.length > 0) {
            throw new EngineError(`refresh failed: ${errors.map((e) => e.message).join("; ")}`);
        }
    }

    // ---- 2. registrations ------------------------------------------------------------------

    /**
     * One registration from the program: generate its steps (one at a time), then run its chain.
     * After a failure nothing more starts (step_executor.go `cancelDueToError` cancels the
     * deployment's context): the executor's loop takes no more registrations, so those still
     * waiting for the step generator are never checked (deployment_executor.go `Execute`), a chain
     * waiting for a free worker is dropped (`ExecuteSerial`), and a running chain stops before its
     * next step (`executeChain`).
     */
    async register(reg: Registration): Promise<Answer> {
        this.throwIfCancelled();
        const provider = reg.custom ? this.providerFor(reg.type) : undefined;
        const plan = await this.generator.run(async () => {
            this.throwIfCancelled();
            const t0 = performance.now();
            const generated = await this.generateSteps(reg, provider);
            const t1 = performance.now();
            // The executor's channel is unbuffered: generation waits for a free worker.
            await this.workers.acquire();
            this.timings.stepGenerationMs += t1 - t0;
            this.timings.waitingForWorkersMs += performance.now() - t1;
            if (this.failure !== undefined) {
                this.workers.release();
                this.throwIfCancelled();
            }
            return generated;
        }).catch((e: unknown) => {
            this.fail(e);
            throw e;
        });
        const started: { step?: Step } = {};
        try {
            return await this.execute(reg, plan, provider, started);
        } catch (e) {
            if (started.step !== undefined) {
                this.failedSteps.push(started.step);
            }
            this.fail(e);
            throw e;
        } finally {
            this.workers.release();
        }
    }

    /** Records a component's registerOutputs in its state (step_executor.go `executeRegisterResourceOutputs`). */
    registerOutputs(urn: string, outputs: Props, secretKeys: readonly string[]): void {
        const i = this.working.findIndex((r) => r.urn === urn && !r.delete);
        if (i >= 0) {
            this.working[i] = { ...this.working[i], outputs, secretOutputs: secretKeys };
        }
    }

    /**
     * step_generator.go `continueStepsFromImport` → `generateStepsFromDiff` →
     * `continueStepsFromDiff`: ignoreChanges, Check (olds = old inputs; unknowns in a preview),
     * Diff (olds = old outputs), the DIFF_UNKNOWN fallback, replace or update or same.
     */
    private async generateSteps(reg: Registration, provider: EngineProvider | undefined): Promise<Plan> {
        const old = this.olds.get(reg.urn);
        this.operated.add(reg.urn);
        if (provider === undefined) {
            // A component: no provider; its inputs (Node sends the args) are compared as they are.
            if (old === undefined) {
                return { kind: "create", inputs: reg.inputs };
            }
            return changedKeys(old.inputs, reg.inputs).length === 0 ? { kind: "same", old, inputs: reg.inputs } : { kind: "update", old, inputs: reg.inputs };
        }
        if (this.dbrDeleted.has(reg.urn)) {
            // Deleted earlier in this run as a dependent of a delete-before-replace: recreated, no Diff.
            return { kind: "recreate", inputs: await this.check(reg, provider, {}, reg.inputs) };
        }
        const news = old !== undefined && reg.ignoreChanges.length > 0 ? applyIgnoreChanges(old.inputs, reg.inputs, reg.ignoreChanges) : reg.inputs;
        const inputs = await this.check(reg, provider, old?.inputs ?? {}, news);
        if (old === undefined) {
            return { kind: "create", inputs };
        }
        let diff: DiffAnswer = await provider.diff(reg.urn, old.id, old.outputs, inputs, old.inputs);
        let changed: string[] = [];
        if (diff.changes === "unknown") {
            changed = changedKeys(old.inputs, inputs);
            diff = { ...diff, changes: changed.length > 0 ? "some" : "none" };
        }
        if (diff.changes === "none" && !old.pendingReplacement) {
            return { kind: "same", old, inputs };
        }
        const replaces = [...diff.replaces, ...changed.filter((k) => reg.replaceOnChanges.includes(k) || reg.replaceOnChanges.includes("*"))];
        if (replaces.length === 0 && !old.pendingReplacement) {
            return { kind: "update", old, inputs };
        }
        if (old.protect && reg.protect) {
            throw new EngineError(`unable to replace resource "${reg.urn}" as it is currently marked for protection`);
        }
        // A replacement is checked again with no olds and the program's own inputs.
        const fresh = await this.check(reg, provider, {}, reg.inputs);
        const deleteBeforeReplace = reg.deleteBeforeReplaceDefined ? reg.deleteBeforeReplace : diff.deleteBeforeReplace;
        const dependents = deleteBeforeReplace ? await this.dependentReplacements(old) : [];
        return { kind: "replace", old, inputs: fresh, replaces: [...new Set(replaces)], deleteBeforeReplace, dependents };
    }

    /** Check; failures make the resource invalid and fail the run (step_generator.go `issueCheckErrors`). */
    private async check(reg: Registration, provider: EngineProvider, olds: Props, news: Props): Promise<Props> {
        const { inputs, failures } = await provider.check(reg.urn, olds, news);
        if (failures.length > 0) {
            const lines = failures.map((f) =>
                f.property ? `${reg.type} resource '${reg.name}': property ${f.property} has a problem: ${f.reason}` : `${reg.type} resource '${reg.name}' has a problem: ${f.reason}`,
            );
            throw new EngineError(`${lines.join("\n")}\nresource ${reg.urn} is invalid`);
        }
        return inputs;
    }

    /**
     * step_generator.go `calculateDependentReplacements`: dependents (in the old checkpoint) of a
     * resource replaced delete-before-replace whose provider would replace them if the inputs
     * that came from it were unknown.
     */
    private async dependentReplacements(root: ResourceState): Promise<ResourceState[]> {
        const replaced = new Set([root.urn]);
        const result: ResourceState[] = [];
        for (const r of this.working) {
            if (!r.custom || r.delete || r.pendingReplacement || this.operated.has(r.urn) || replaced.has(r.urn)) {
                continue;
            }
            const fromReplaced = Object.entries(r.propertyDependencies).filter(([, urns]) => urns.some((u) => replaced.has(u))).map(([k]) => k);
            if (fromReplaced.length === 0) {
                continue;
            }
            const inputs = { ...r.inputs, ...Object.fromEntries(fromReplaced.map((k) => [k, UNKNOWN])) };
            const diff = await this.providerFor(r.type).diff(r.urn, r.id, r.outputs, inputs, r.inputs);
            if (diff.replaces.length > 0) {
                replaced.add(r.urn);
                result.push(r);
            }
        }
        return result;
    }

    /**
     * Runs a registration's chain and answers the SDK (step.go `Apply` of each step); `started`
     * holds the step whose provider call is under way, which is the step that failed if it throws.
     */
    private async execute(reg: Registration, plan: Plan, provider: EngineProvider | undefined, started: { step?: Step }): Promise<Answer> {
        const preview = this.preview;
        switch (plan.kind) {
            case "same": {
                // SameStep: old id and outputs, new inputs.
                const state = this.stateOf(reg, plan.old.id, plan.inputs, plan.old.outputs);
                this.replaceEntry(plan.old, state);
                this.steps.push(stepOf("same", reg));
                return answerOf(state);
            }
            case "create":
            case "recreate": {
                started.step = stepOf(plan.kind === "create" ? "create" : "create-replacement", reg);
                const { id, outs } = provider ? await provider.create(reg.urn, plan.inputs, preview) : { id: "", outs: {} };
                requireId(reg, id, preview, provider);
                const state = this.stateOf(reg, id, plan.inputs, outs);
                if (plan.kind === "recreate") {
                    this.replaceEntryByUrn(reg.urn, state);
                    this.steps.push(stepOf("replace", reg), stepOf("create-replacement", reg));
                } else {
                    this.working.push(state);
                    this.steps.push(stepOf("create", reg));
                }
                return answerOf(state);
            }
            case "update": {
                // UpdateStep: the old id, even in a preview.
                started.step = stepOf("update", reg);
                const { outs } = provider
                    ? await provider.update(reg.urn, plan.old.id, plan.old.outputs, plan.inputs, plan.old.inputs, preview)
                    : { outs: plan.old.outputs };
                const state = this.stateOf(reg, plan.old.id, plan.inputs, outs);
                this.replaceEntry(plan.old, state);
                this.steps.push(stepOf("update", reg));
                return answerOf(state);
            }
            case "replace": {
                const p = provider as EngineProvider;
                const replaceStep: Step = { ...stepOf("replace", reg), replaces: plan.replaces, deleteBeforeReplace: plan.deleteBeforeReplace };
                if (!plan.deleteBeforeReplace) {
                    // CreateReplacement, then the old one is kept with Delete=true until the end.
                    started.step = stepOf("create-replacement", reg);
                    const { id, outs } = await p.create(reg.urn, plan.inputs, preview);
                    requireId(reg, id, preview, p);
                    const state = this.stateOf(reg, id, plan.inputs, outs);
                    this.replaceEntry(plan.old, { ...plan.old, delete: true }, false);
                    this.working.push(state);
                    this.steps.push(stepOf("create-replacement", reg), replaceStep);
                    return answerOf(state);
                }
                for (const dependent of [...plan.dependents].reverse()) {
                    this.throwIfCancelled();
                    started.step = stepOf("delete-replaced", dependent);
                    await this.deleteResource(dependent, true);
                    this.dbrDeleted.add(dependent.urn);
                    this.olds.delete(dependent.urn);
                    this.replaceEntry(dependent, { ...dependent, pendingReplacement: true }, false);
                    this.steps.push({ ...stepOf("delete-replaced", dependent), retain: dependent.retainOnDelete });
                }
                this.throwIfCancelled();
                if (!plan.old.pendingReplacement) {
                    started.step = stepOf("delete-replaced", reg);
                    await this.deleteResource(plan.old, true);
                    this.steps.push({ ...stepOf("delete-replaced", reg), retain: plan.old.retainOnDelete });
                }
                const pending: ResourceState = { ...plan.old, pendingReplacement: true };
                this.replaceEntry(plan.old, pending, false);
                this.throwIfCancelled();
                started.step = stepOf("create-replacement", reg);
                const { id, outs } = await p.create(reg.urn, plan.inputs, preview);
                requireId(reg, id, preview, p);
                const state = this.stateOf(reg, id, plan.inputs, outs);
                this.replaceEntry(pending, state);
                this.steps.push(replaceStep, stepOf("create-replacement", reg));
                return answerOf(state);
            }
        }
    }

    private stateOf(reg: Registration, id: string, inputs: Props, outputs: Props): ResourceState {
        // step_executor.go `continueExecuteStep`: additionalSecretOutputs, and outputs named like a
        // secret input, are secret.
        const secretOutputs = Object.keys(outputs).filter((k) => reg.additionalSecretOutputs.includes(k) || reg.secretInputs.includes(k));
        return {
            urn: reg.urn,
            type: reg.type,
            name: reg.name,
            custom: reg.custom,
            id,
            inputs,
            outputs,
            secretInputs: reg.secretInputs.filter((k) => k in inputs),
            secretOutputs,
            parent: reg.parent,
            dependencies: reg.dependencies,
            propertyDependencies: reg.propertyDependencies,
            delete: false,
            pendingReplacement: false,
            retainOnDelete: reg.retainOnDelete,
            protect: reg.protect,
        };
    }

    private replaceEntry(old: ResourceState, next: ResourceState, isLive = true): void {
        const i = this.working.indexOf(old);
        if (i >= 0) {
            this.working[i] = next;
        } else {
            this.working.push(next);
        }
        if (isLive) {
            this.olds.set(next.urn, next);
        }
    }

    private replaceEntryByUrn(urn: string, next: ResourceState): void {
        const i = this.working.findIndex((r) => r.urn === urn && !r.delete);
        if (i >= 0) {
            this.working[i] = next;
        } else {
            this.working.push(next);
        }
    }

    // ---- 3. deletes ------------------------------------------------------------------------

    /**
     * step_generator.go `GenerateDeletes` + `ScheduleDeletes`, deployment_executor.go
     * `performPostSteps`: resources replaced create-before-delete (delete-replaced, not counted)
     * and resources the program no longer declares (delete, counted); dependents first, by the
     * old checkpoint's dependency graph, one antichain at a time, each in parallel. A preview
     * plans them without calling the provider.
     */
    private async deleteCondemned(): Promise<void> {
        const condemned = this.working.filter((r) => r.delete || !this.operated.has(r.urn));
        const remaining = new Set(condemned);
        const layers: ResourceState[][] = [];
        while (remaining.size > 0) {
            const urns = new Set([...remaining].map((r) => r.urn));
            let layer = [...remaining].filter((r) => !dependenciesOf(r).some((u) => urns.has(u) && u !== r.urn));
            if (layer.length === 0) {
                layer = [...remaining]; // a cycle cannot come from the SDK; do not loop forever
            }
            layers.push(layer);
            layer.forEach((r) => remaining.delete(r));
        }
        for (const layer of layers.reverse()) {
            const errors: Error[] = [];
            // A failed delete cancels the deployment: deletes of the layer still waiting for a
            // worker are dropped, and no later layer starts (deployment_executor.go `performPostSteps`).
            await parallelMap(layer, this.options.parallel, () => errors.length > 0, async (r) => {
                try {
                    if (!r.pendingReplacement) {
                        await this.deleteResource(r, r.delete);
                    }
                    const i = this.working.indexOf(r);
                    if (i >= 0) {
                        this.working.splice(i, 1);
                    }
                    this.steps.push({ ...stepOf(r.delete ? "delete-replaced" : "delete", r), retain: r.retainOnDelete });
                } catch (e) {
                    this.failedSteps.push(stepOf(r.delete ? "delete-replaced" : "delete", r));
                    errors.push(e instanceof Error ? e : new Error(String(e)));
                }
            });
            if (errors.length > 0) {
                throw new EngineError(errors.map((e) => e.message).join("; "));
            }
        }
    }

    /** step.go `(*DeleteStep).Apply`: protect refuses (even in a preview); retainOnDelete skips the provider. */
    private async deleteResource(r: ResourceState, replacing: boolean): Promise<void> {
        if (!replacing && r.protect) {
            throw new EngineError(`resource "${r.urn}" cannot be deleted because it is protected`);
        }
        if (this.preview || !r.custom || r.retainOnDelete) {
            return;
        }
        await this.providerFor(r.type).delete(r.urn, r.id, r.inputs, r.outputs);
    }
}

/**
 * The resource monitor the program's SDK talks to: a MockMonitor (so the SDK's mock mode runs
 * the program in this process) whose registerResource asks the deployment, and which answers with
 * the outputs the engine would send (secret markers and unknown sentinels included).
 */
class EngineMonitor extends MockMonitor {
    constructor(private readonly deployment: Deployment) {
        super({
            newResource: () => {
                throw new Error("EngineMonitor handles registrations itself");
            },
            call: () => ({}),
        });
    }

    override async registerResource(req: unknown, callback: (err: unknown, response?: unknown) => void): Promise<void> {
        const request = req as grpcProto.RegisterResourceRequest;
        try {
            const reg = decodeRegistration(request);
            const answer = await this.deployment.register(reg);
            this.resources.set(reg.urn, { urn: reg.urn, id: answer.id, state: {} });
            const wire: Props = {};
            for (const [k, v] of Object.entries(answer.outputs)) {
                wire[k] = answer.secretOutputs.includes(k) ? secretWire(v) : v;
            }
            const response = new grpcProto.RegisterResourceResponse();
            response.setUrn(reg.urn);
            response.setId(answer.id);
            response.setObject(Struct.fromJavaScript(JSON.parse(JSON.stringify(wire)) as Record<string, never>));
            callback(null, response);
        } catch (err) {
            callback(err);
        }
    }

    override registerResourceOutputs(req: unknown, callback: (err: unknown, response?: unknown) => void): void {
        const request = req as grpcProto.RegisterResourceOutputsRequest;
        const raw = (request.getOutputs()?.toJavaScript() ?? {}) as Props;
        const { plain, secretKeys } = unwrapSecrets(raw);
        this.deployment.registerOutputs(request.getUrn(), plain, secretKeys);
        super.registerResourceOutputs(req, callback);
    }
}

function decodeRegistration(request: grpcProto.RegisterResourceRequest): Registration {
    const raw = (request.getObject()?.toJavaScript() ?? {}) as Props;
    const { plain, secretKeys } = unwrapSecrets(raw);
    const propertyDependencies: Record<string, string[]> = {};
    request.getPropertydependenciesMap().forEach((deps, key) => {
        propertyDependencies[key] = deps.getUrnsList();
    });
    const parent = request.getParent();
    const dependencies = [...new Set([...request.getDependenciesList(), ...Object.values(propertyDependencies).flat()])];
    return {
        urn: makeUrn(parent, request.getType(), request.getName()),
        type: request.getType(),
        name: request.getName(),
        parent,
        custom: request.getCustom(),
        inputs: plain,
        secretInputs: secretKeys,
        dependencies,
        propertyDependencies,
        additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
        deleteBeforeReplace: request.getDeletebeforereplace(),
        deleteBeforeReplaceDefined: request.getDeletebeforereplacedefined(),
        ignoreChanges: request.getIgnorechangesList(),
        replaceOnChanges: request.getReplaceonchangesList(),
        retainOnDelete: request.getRetainondelete() ?? false,
        protect: request.getProtect() ?? false,
    };
}

/**
 * The engine's URN: a child's type is qualified by its parent's whole qualified type
 * (sdk/nodejs/resource.ts createUrn; MockMonitor keeps only the last segment).
 */
function makeUrn(parent: string, type: string, name: string): string {
    const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${settings.getStack()}::${settings.getProject()}::${qualified}::${name}`;
}

function stepOf(op: StepOp, r: { urn: string; type: string; name: string }): Step {
    const logical = op === "create" || op === "update" || op === "replace" || op === "delete";
    return { op, urn: r.urn, type: r.type, name: r.name, logical };
}

function answerOf(state: ResourceState): Answer {
    return { id: state.id, outputs: state.outputs, secretOutputs: state.secretOutputs };
}

/** step.go CreateStep: outside a preview a provider must return an id. */
function requireId(reg: Registration, id: string, preview: boolean, provider: EngineProvider | undefined): void {
    if (!preview && provider !== undefined && id === "") {
        throw new EngineError(`provider did not return an ID from Create for ${reg.urn}`);
    }
}

function dependenciesOf(r: ResourceState): string[] {
    return [...r.dependencies, ...Object.values(r.propertyDependencies).flat(), ...(r.parent ? [r.parent] : [])];
}

function pruneDependencies(r: ResourceState, gone: ReadonlySet<string>): ResourceState {
    if (!dependenciesOf(r).some((u) => gone.has(u))) {
        return r;
    }
    return {
        ...r,
        dependencies: r.dependencies.filter((u) => !gone.has(u)),
        propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, urns]) => [k, urns.filter((u) => !gone.has(u))])),
    };
}

/** step_generator.go `processIgnoreChanges`: top-level property names take their old value. */
function applyIgnoreChanges(olds: Props, news: Props, paths: readonly string[]): Props {
    const result = { ...news };
    for (const path of paths) {
        if (path in olds) {
            result[path] = olds[path];
        } else {
            delete result[path];
        }
    }
    return result;
}

/** Runs `fn` on every item, at most `limit` at a time; once `stop()` is true, no more start. */
async function parallelMap<T>(items: readonly T[], limit: number, stop: () => boolean, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length && !stop()) {
            const item = items[next++];
            await fn(item);
        }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}

/** One holder at a time, in arrival order. */
class Mutex {
    private tail: Promise<void> = Promise.resolve();

    async run<T>(fn: () => Promise<T>): Promise<T> {
        const previous = this.tail;
        let release: () => void = () => undefined;
        this.tail = new Promise<void>((resolve) => (release = resolve));
        await previous;
        try {
            return await fn();
        } finally {
            release();
        }
    }
}

/** At most `size` holders at a time. */
class Semaphore {
    private free: number;
    private readonly waiting: (() => void)[] = [];

    constructor(size: number) {
        this.free = size;
    }

    async acquire(): Promise<void> {
        if (this.free > 0) {
            this.free--;
            return;
        }
        await new Promise<void>((resolve) => this.waiting.push(resolve));
    }

    release(): void {
        const next = this.waiting.shift();
        if (next) {
            next();
        } else {
            this.free++;
        }
    }
}
