/**
 * The lifecycle harness: runs the real Pulumi program repeatedly in mock mode and replays the
 * engine's step semantics between runs, so tests and the sandbox can watch what `pulumi up`
 * would do over months of simulated time without a Pulumi CLI.
 *
 * It is test infrastructure, not a second engine. What it follows, and where that is documented:
 * - Refresh before each run (`options: refresh: always` in Pulumi.yaml): every dynamic resource
 *   in state is Read; an empty id drops it from state (pulumi/pulumi sdk/nodejs/dynamic/index.ts,
 *   "read ... must return an empty id when the resource no longer exists").
 * - Steps (https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/ "Creation and deletion
 *   order", and pkg/resource/deploy/step_generator.go): a resource that is new is created; one in
 *   state is Checked and Diffed; no changes → same; changes without replaces → update; replaces →
 *   create the replacement first and delete the old one after the program finishes
 *   (create-before-delete), unless deleteBeforeReplace asks for the opposite; resources in state
 *   that the program no longer declares are deleted after the run, newest first.
 * - Secrets (sdk/nodejs/runtime/rpc.ts, pkg/resource/deploy/step_executor.go): the provider host
 *   gets plain values; an output is secret when an input of the same name was secret or the
 *   output is listed in additionalSecretOutputs.
 *
 * Dynamic resources go to Pulumi's own dynamic provider host over gRPC (see
 * tests/support/providerHost.ts). Other custom resources are modelled: `random` RandomBytes
 * makes fresh bytes on create and replaces when an input (keepers, length) changes; everything
 * else echoes its inputs as outputs and updates in place.
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as util from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";

/** The wire sentinel Pulumi uses to mark a secret value (sdk/nodejs/runtime/rpc.ts). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const PROVIDER_KEY = "__provider";
const RANDOM_BYTES_TYPE = "random:index/randomBytes:RandomBytes";

/** Plain property bag, as the provider host sees it. */
export type Props = Record<string, unknown>;

/** The ResourceProvider calls the harness needs; tests/support/providerHost.ts provides them. */
export interface DynamicProviderCalls {
    /** Check: returns the checked inputs (with `__provider`) and failures. */
    check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
    /** Diff: `changes` is true for DIFF_SOME; `replaces` lists the properties forcing replacement. */
    diff(id: string, urn: string, olds: Props, news: Props, oldInputs: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
    /** Create: the new id and outputs. */
    create(urn: string, news: Props): Promise<{ id: string; outs: Props }>;
    /** Read (refresh): `id` is "" when the resource is gone. */
    read(id: string, urn: string, props: Props, inputs: Props): Promise<{ id: string; props: Props }>;
    /** Update: the new outputs. */
    update(id: string, urn: string, olds: Props, news: Props, oldInputs: Props): Promise<{ outs: Props }>;
    /** Delete. */
    delete(id: string, urn: string, props: Props): Promise<void>;
}

/** One resource as the harness keeps it between runs (the checkpoint). */
export interface StateEntry {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    id: string;
    inputs: Props;
    outputs: Props;
    /** Output names the engine would store as secrets. */
    secretOutputs: string[];
    deleteBeforeReplace: boolean;
    /** Registration order; deletes run newest first. */
    seq: number;
}

/** What a run did to one resource. */
export interface Step {
    op: "same" | "create" | "update" | "replace" | "delete" | "refresh-gone" | "refresh-changed";
    urn: string;
    type: string;
    name: string;
    /** For replace: the inputs whose change forced it. */
    replaces?: string[];
}

/** An output of the program, resolved, with the secretness the engine would give it. */
export interface StackOutput {
    value: unknown;
    secret: boolean;
}

/** The record of one `pulumi up` (or preview). */
export interface RunResult {
    steps: Step[];
    outputs: Record<string, StackOutput>;
    /** Messages the program logged with pulumi.log (warnings and errors, in order). */
    logs: { severity: "info" | "warning" | "error"; message: string }[];
    /** Everything the program printed, for leak scans. */
    consoleText: string;
}

export interface LifecycleHarnessOptions {
    /** Absolute path of the Pulumi program (index.ts); re-required on every run. */
    programPath: string;
    /** The dynamic provider host connection. */
    provider: DynamicProviderCalls;
    /** @default "addin-credentials" */
    project?: string;
    /** @default "sandbox" */
    stack?: string;
}

/** Per-run settings. */
export interface RunOptions {
    /** Stack config, keys with their namespace ("addin-credentials:addins"); values as strings. */
    config: Record<string, string>;
    /** Keys of `config` that are secret (`pulumi config set --secret`). */
    secretKeys?: string[];
    /** Preview only: Check and Diff, no Create/Update/Delete; state is left untouched. @default false */
    preview?: boolean;
    /** Refresh first, as `options: refresh: always` does. @default true */
    refresh?: boolean;
}

/**
 * Runs the program over and over, carrying state between runs like a Pulumi backend would.
 */
export class LifecycleHarness {
    /** The checkpoint: URN → resource. */
    readonly state = new Map<string, StateEntry>();
    private seq = 0;

    constructor(private readonly options: LifecycleHarnessOptions) {}

    /** One `pulumi up` (or `pulumi preview` with `preview: true`). */
    async run(runOptions: RunOptions): Promise<RunResult> {
        const preview = runOptions.preview ?? false;
        const steps: Step[] = [];
        // A preview works on a copy of the state: its refresh is used for the plan (as
        // `pulumi preview --refresh` diffs against what it read) but never saved.
        const working = preview ? new Map([...this.state].map(([k, v]) => [k, { ...v }])) : this.state;
        if (runOptions.refresh ?? true) {
            steps.push(...(await this.refresh(working)));
        }

        const registered = new Set<string>();
        const pendingDeletes: StateEntry[] = [];
        const monitor = new HarnessMonitor(this, working, registered, pendingDeletes, steps, preview);

        const project = this.options.project ?? "addin-credentials";
        const stack = this.options.stack ?? "sandbox";
        settings.setMockOptions(monitor as unknown as MockMonitor, project, stack, preview);
        // As setMocks does (sdk/nodejs/runtime/mocks.ts): declare the monitor features the SDK
        // checks before serializing inputs; without supportsSecrets it strips secret markers.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const store = (require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> }).getStore();
        store.supportsSecrets = true;
        store.supportsResourceReferences = true;
        store.supportsOutputValues = false;
        pulumi.runtime.setAllConfig(runOptions.config, runOptions.secretKeys ?? []);

        const capture = captureConsole();
        let outputs: Record<string, StackOutput>;
        try {
            delete require.cache[require.resolve(this.options.programPath)];
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const program = require(this.options.programPath) as Record<string, unknown>;
            outputs = await resolveExports(program);
            await monitor.settled();
        } finally {
            capture.restore();
        }
        if (monitor.failure) {
            throw monitor.failure;
        }

        if (!preview) {
            // Resources no longer declared, newest first; then the replaced originals.
            const orphans = [...this.state.values()]
                .filter((r) => !registered.has(r.urn))
                .sort((a, b) => b.seq - a.seq);
            for (const orphan of orphans) {
                await this.deleteEntry(orphan);
                this.state.delete(orphan.urn);
                steps.push({ op: "delete", urn: orphan.urn, type: orphan.type, name: orphan.name });
            }
            for (const old of pendingDeletes) {
                await this.deleteEntry(old);
            }
        }
        return { steps, outputs, logs: capture.logs, consoleText: capture.text };
    }

    /** Reads every dynamic resource in `working`; drops the ones the provider reports gone. */
    private async refresh(working: Map<string, StateEntry>): Promise<Step[]> {
        const steps: Step[] = [];
        for (const entry of [...working.values()]) {
            if (!isDynamic(entry.inputs)) {
                continue;
            }
            const result = await this.options.provider.read(entry.id, entry.urn, entry.outputs, entry.inputs);
            if (!result.id) {
                steps.push({ op: "refresh-gone", urn: entry.urn, type: entry.type, name: entry.name });
                working.delete(entry.urn);
                continue;
            }
            const outputs = { ...result.props, [PROVIDER_KEY]: entry.outputs[PROVIDER_KEY] ?? entry.inputs[PROVIDER_KEY] };
            if (!util.isDeepStrictEqual(stripProvider(outputs), stripProvider(entry.outputs))) {
                steps.push({ op: "refresh-changed", urn: entry.urn, type: entry.type, name: entry.name });
                entry.outputs = outputs;
            }
        }
        return steps;
    }

    /** Decides and performs the step for one registration; returns the outputs to hand back. */
    async register(
        working: Map<string, StateEntry>,
        reg: Registration,
        preview: boolean,
        pendingDeletes: StateEntry[],
        steps: Step[],
    ): Promise<{ id: string; outputs: Props; secretOutputs: string[] }> {
        const old = working.get(reg.urn);
        const stepBase = { urn: reg.urn, type: reg.type, name: reg.name };
        const secretOutputs = (outputs: Props) =>
            Object.keys(outputs).filter((k) => reg.secretInputs.includes(k) || reg.additionalSecretOutputs.includes(k));

        if (!reg.custom) {
            return { id: "", outputs: {}, secretOutputs: [] };
        }

        const dynamic = isDynamic(reg.inputs);
        let inputs = reg.inputs;
        if (dynamic) {
            const checked = await this.options.provider.check(reg.urn, old?.inputs ?? {}, reg.inputs);
            if (checked.failures.length > 0) {
                const reasons = checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
                throw new Error(`${reg.type} ${reg.name}: check failed: ${reasons}`);
            }
            inputs = { ...checked.inputs, [PROVIDER_KEY]: reg.inputs[PROVIDER_KEY] };
        }

        let op: Step["op"];
        let replaces: string[] | undefined;
        if (!old) {
            op = "create";
        } else {
            const diff = await this.diff(old, inputs, dynamic);
            if (diff.replaces.length > 0) {
                op = "replace";
                replaces = diff.replaces;
            } else {
                op = diff.changes ? "update" : "same";
            }
        }
        steps.push(replaces ? { op, ...stepBase, replaces } : { op, ...stepBase });

        if (op === "same" && old) {
            return { id: old.id, outputs: old.outputs, secretOutputs: old.secretOutputs };
        }
        if (preview) {
            // A preview shows the plan; new outputs stay what the state had, or the inputs.
            const outputs = old ? old.outputs : inputs;
            return { id: old?.id ?? "", outputs, secretOutputs: secretOutputs(outputs) };
        }

        let id: string;
        let outputs: Props;
        if (op === "update" && old) {
            outputs = dynamic
                ? (await this.options.provider.update(old.id, reg.urn, old.outputs, inputs, old.inputs)).outs
                : { ...inputs };
            id = old.id;
        } else {
            if (op === "replace" && old) {
                if (reg.deleteBeforeReplace) {
                    await this.deleteEntry(old);
                } else {
                    pendingDeletes.push(old);
                }
            }
            ({ id, outputs } = await this.createEntry(reg, inputs, dynamic));
        }
        if (dynamic) {
            outputs = { ...outputs, [PROVIDER_KEY]: inputs[PROVIDER_KEY] };
        }
        const entry: StateEntry = {
            urn: reg.urn,
            type: reg.type,
            name: reg.name,
            custom: true,
            id,
            inputs,
            outputs,
            secretOutputs: secretOutputs(outputs),
            deleteBeforeReplace: reg.deleteBeforeReplace,
            seq: ++this.seq,
        };
        working.set(reg.urn, entry);
        return { id, outputs, secretOutputs: entry.secretOutputs };
    }

    private async diff(old: StateEntry, news: Props, dynamic: boolean): Promise<{ changes: boolean; replaces: string[] }> {
        if (dynamic) {
            return this.options.provider.diff(old.id, old.urn, old.outputs, news, old.inputs);
        }
        const changed = Object.keys({ ...old.inputs, ...news }).filter(
            (k) => !util.isDeepStrictEqual(old.inputs[k], news[k]),
        );
        if (old.type === RANDOM_BYTES_TYPE) {
            // RandomBytes replaces on any input change (pulumi-random: keepers and length are ForceNew).
            return { changes: changed.length > 0, replaces: changed };
        }
        return { changes: changed.length > 0, replaces: [] };
    }

    private async createEntry(reg: Registration, inputs: Props, dynamic: boolean): Promise<{ id: string; outputs: Props }> {
        if (dynamic) {
            const created = await this.options.provider.create(reg.urn, inputs);
            return { id: created.id, outputs: created.outs };
        }
        if (reg.type === RANDOM_BYTES_TYPE) {
            const bytes = crypto.randomBytes(Number(inputs.length));
            return {
                id: "none",
                outputs: { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") },
            };
        }
        return { id: `${reg.name}-id`, outputs: { ...inputs } };
    }

    private async deleteEntry(entry: StateEntry): Promise<void> {
        if (isDynamic(entry.inputs)) {
            await this.options.provider.delete(entry.id, entry.urn, entry.outputs);
        }
    }
}

/** A registration as the harness needs it, decoded from the RegisterResourceRequest. */
interface Registration {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    inputs: Props;
    secretInputs: string[];
    additionalSecretOutputs: string[];
    deleteBeforeReplace: boolean;
}

/** Minimal surface of the gRPC request objects the SDK hands the monitor. */
interface RegisterResourceRequestLike {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getAdditionalsecretoutputsList(): string[];
    getDeletebeforereplace(): boolean;
}

type Callback = (err: unknown, response?: unknown) => void;

/**
 * A MockMonitor whose registerResource consults the harness, and which hands outputs back with
 * the secretness the engine would give them (mocks apply no secret rules on their own).
 */
class HarnessMonitor extends MockMonitor {
    private pending = 0;
    private waiters: (() => void)[] = [];
    failure: Error | undefined;

    constructor(
        private readonly harness: LifecycleHarness,
        private readonly working: Map<string, StateEntry>,
        private readonly registered: Set<string>,
        private readonly pendingDeletes: StateEntry[],
        private readonly steps: Step[],
        private readonly preview: boolean,
    ) {
        super({
            newResource: () => {
                throw new Error("HarnessMonitor handles registrations itself");
            },
            call: () => ({}),
        });
    }

    /** Resolves once no registration is in flight. */
    async settled(): Promise<void> {
        for (;;) {
            await new Promise((resolve) => setImmediate(resolve));
            if (this.pending === 0) {
                await new Promise((resolve) => setTimeout(resolve, 5));
                if (this.pending === 0) {
                    return;
                }
            }
            await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
    }

    override async registerResource(req: unknown, callback: Callback): Promise<void> {
        const request = req as RegisterResourceRequestLike;
        this.pending++;
        try {
            const raw = request.getObject()?.toJavaScript() ?? {};
            const { plain, secretKeys } = unwrapSecrets(raw);
            const urn = makeUrn(request.getParent(), request.getType(), request.getName());
            const reg: Registration = {
                urn,
                type: request.getType(),
                name: request.getName(),
                custom: request.getCustom(),
                inputs: plain,
                secretInputs: secretKeys,
                additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
                deleteBeforeReplace: request.getDeletebeforereplace(),
            };
            this.registered.add(urn);
            const result = await this.harness.register(this.working, reg, this.preview, this.pendingDeletes, this.steps);
            // MockMonitor's table: registerResourceOutputs (every ComponentResource) looks it up.
            this.resources.set(urn, { urn, id: result.id, state: {} });
            const wire: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(result.outputs)) {
                if (k === PROVIDER_KEY) {
                    continue;
                }
                wire[k] = result.secretOutputs.includes(k) ? { [SIG_KEY]: SECRET_SIG, value: v } : v;
            }
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const resproto = require("@pulumi/pulumi/proto/resource_pb");
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const structproto = require("google-protobuf/google/protobuf/struct_pb");
            const response = new resproto.RegisterResourceResponse();
            response.setUrn(urn);
            response.setId(result.id);
            response.setObject(structproto.Struct.fromJavaScript(wire));
            callback(null, response);
        } catch (err) {
            this.failure ??= err instanceof Error ? err : new Error(String(err));
            callback(err);
        } finally {
            this.pending--;
            if (this.pending === 0) {
                this.waiters.splice(0).forEach((w) => w());
            }
        }
    }
}

/**
 * The engine's URN: a child's type is qualified by its parent's whole qualified type
 * (sdk/nodejs/resource.ts createUrn; MockMonitor keeps only the last segment).
 */
function makeUrn(parent: string, type: string, name: string): string {
    const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
}

/** Strips the wire secret sentinels from top-level properties, remembering which were secret. */
function unwrapSecrets(raw: Record<string, unknown>): { plain: Props; secretKeys: string[] } {
    const plain: Props = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(raw)) {
        // A secret nested inside a property (e.g. azure-native `properties: {value: <secret>}`)
        // marks the whole property: the engine keeps nested secretness, this harness tracks it per
        // top-level property, which errs on the side of more secrecy.
        if (containsSecret(v)) {
            secretKeys.push(k);
        }
        plain[k] = deepUnwrap(v);
    }
    return { plain, secretKeys };
}

function isSecretWire(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function containsSecret(v: unknown): boolean {
    if (isSecretWire(v)) {
        return true;
    }
    if (typeof v === "object" && v !== null) {
        return Object.values(v).some(containsSecret);
    }
    return false;
}

function deepUnwrap(v: unknown): unknown {
    if (isSecretWire(v)) {
        return deepUnwrap(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(deepUnwrap);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepUnwrap(x)]));
    }
    return v;
}

function isDynamic(inputs: Props): boolean {
    return typeof inputs[PROVIDER_KEY] === "string";
}

function stripProvider(props: Props): Props {
    const { [PROVIDER_KEY]: _provider, ...rest } = props;
    return rest;
}

/** Resolves every exported Output of the program, keeping whether the engine would hold it secret. */
async function resolveExports(program: Record<string, unknown>): Promise<Record<string, StackOutput>> {
    const result: Record<string, StackOutput> = {};
    for (const [name, value] of Object.entries(program)) {
        if (name === "__esModule") {
            continue;
        }
        const output = pulumi.output(value) as pulumi.Output<unknown>;
        const secret = await pulumi.isSecret(output);
        const resolved = await new Promise<unknown>((resolve) => output.apply((v) => resolve(v)));
        result[name] = { value: resolved, secret };
    }
    return result;
}

/** Captures console output and Pulumi log lines (which go to the console when no engine runs). */
function captureConsole(): { logs: RunResult["logs"]; text: string; restore(): void } {
    const logs: RunResult["logs"] = [];
    const chunks: string[] = [];
    const originals = { log: console.log, warn: console.warn, error: console.error, info: console.info };
    const record = (args: unknown[]) => {
        const line = util.format(...args);
        chunks.push(line);
        const m = /^(info|warning|error): \[runtime\] ([\s\S]*)$/.exec(line);
        if (m) {
            logs.push({ severity: m[1] as "info" | "warning" | "error", message: m[2] });
        }
    };
    console.log = console.warn = console.error = console.info = (...args: unknown[]) => record(args);
    const capture = {
        logs,
        get text() {
            return chunks.join("\n");
        },
        restore() {
            Object.assign(console, originals);
        },
    };
    return capture;
}

/** Absolute path of this repository's Pulumi program. */
export const PROGRAM_PATH = path.resolve(__dirname, "..", "index.ts");
