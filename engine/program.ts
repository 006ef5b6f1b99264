/**
 * Runs a Pulumi TypeScript program once, in this process, against a resource monitor: what the
 * Node language host does (sdk/nodejs/cmd/run/run.ts) with the SDK's mock mode standing in for
 * the gRPC connection to the engine.
 *
 * - The program module is loaded afresh each run; when it exports a function, the function is
 *   called and its (awaited) result is the stack's outputs (run.ts "If the exported value is a
 *   function, call it").
 * - An exception, a rejected exported promise, or an unhandled rejection while the program runs
 *   fails the run (run.ts installs `uncaughtException` / `unhandledRejection` handlers that report
 *   the error and make the program exit non-zero).
 * - Stack outputs are serialized as the SDK serializes them for the engine (rpc.ts
 *   serializeProperty): unknowns stay unknown (nested), secrets stay secret.
 */
import * as fs from "node:fs";
import * as util from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { containsSecret, containsUnknown, deepUnwrap } from "./wire";

/** A log line the program wrote with pulumi.log. */
export interface Diagnostic {
    readonly severity: "info" | "warning" | "error";
    readonly message: string;
}

/** A stack output as the engine receives it. */
export interface StackOutput {
    /** The value with secrets unwrapped; unknown parts are the unknown sentinel string. */
    readonly value: unknown;
    /** Whether the engine stores it as a secret. */
    readonly secret: boolean;
    /** False when any part of it is not known (only in a preview). */
    readonly known: boolean;
}

/** What one evaluation of the program produced. */
export interface ProgramResult {
    readonly outputs: Record<string, StackOutput>;
    readonly logs: Diagnostic[];
    /** Everything the program printed (for leak scans). */
    readonly consoleText: string;
    /** The program's failure, as the language host reports it; undefined when it ran to the end. */
    readonly error: Error | undefined;
}

/** What {@link evaluateProgram} needs. */
export interface EvaluateOptions {
    readonly programPath: string;
    readonly project: string;
    readonly stack: string;
    readonly preview: boolean;
    /** Config, namespaced keys ("addin-credentials:addins") to strings. */
    readonly config: Record<string, string>;
    /** Which config keys are secret. */
    readonly secretKeys: readonly string[];
    /** The monitor that receives the program's registrations. */
    readonly monitor: MockMonitor;
}

/** Loads and runs the program once; never throws for a program failure (see {@link ProgramResult.error}). */
export async function evaluateProgram(options: EvaluateOptions): Promise<ProgramResult> {
    settings.setMockOptions(options.monitor, options.project, options.stack, options.preview);
    // As setMocks does (runtime/mocks.ts): the monitor features the SDK checks before serializing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const store = (require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> }).getStore();
    store.supportsSecrets = true;
    store.supportsResourceReferences = true;
    store.supportsOutputValues = false;
    pulumi.runtime.setAllConfig({ ...options.config }, [...options.secretKeys]);

    const capture = captureConsole();
    const failures = captureFailures();
    let outputs: Record<string, StackOutput> = {};
    try {
        delete require.cache[require.resolve(options.programPath)];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        let exported: unknown = require(options.programPath);
        if (typeof exported === "function") {
            exported = await (exported as () => unknown)();
        } else if (typeof exported === "object" && exported !== null && typeof (exported as { default?: unknown }).default === "function" && Object.keys(exported).every((k) => k === "default" || k === "__esModule")) {
            exported = await (exported as { default: () => unknown }).default();
        }
        outputs = await serializeOutputs((exported ?? {}) as Record<string, unknown>);
    } catch (e) {
        failures.record(e);
    }
    try {
        // What the language host does before it exits (runtime/settings.ts `disconnect`): wait
        // until every registration the program started has been answered.
        await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        // Rejections of promises nobody awaited surface a turn later.
        await new Promise((resolve) => setImmediate(resolve));
    } finally {
        failures.restore();
        capture.restore();
    }
    return { outputs, logs: capture.logs, consoleText: capture.text, error: failures.first() };
}

async function serializeOutputs(exported: Record<string, unknown>): Promise<Record<string, StackOutput>> {
    const result: Record<string, StackOutput> = {};
    for (const [name, value] of Object.entries(exported)) {
        if (name === "__esModule" || value === undefined) {
            continue; // runtime/stack.ts: "Undefined value will not show as a stack output"
        }
        const wire = await rpc.serializeProperty(`stack output ${name}`, value, new Set(), { keepOutputValues: false });
        if (wire === undefined) {
            continue;
        }
        result[name] = { value: deepUnwrap(wire), secret: containsSecret(wire), known: !containsUnknown(wire) };
    }
    return result;
}

/** Listens for what the language host treats as a program failure. */
function captureFailures(): { record(e: unknown): void; first(): Error | undefined; restore(): void } {
    const errors: Error[] = [];
    const record = (e: unknown): void => {
        errors.push(e instanceof Error ? e : new Error(String(e)));
    };
    // Others' handlers (mocha's) would turn the program's failure into a test failure: the
    // program's failures are this run's result, so they are taken over while it runs.
    const saved = { rejection: process.listeners("unhandledRejection"), exception: process.listeners("uncaughtException") };
    process.removeAllListeners("unhandledRejection");
    process.removeAllListeners("uncaughtException");
    process.on("unhandledRejection", record);
    process.on("uncaughtException", record);
    return {
        record,
        first: () => errors[0],
        restore() {
            process.off("unhandledRejection", record);
            process.off("uncaughtException", record);
            saved.rejection.forEach((l) => process.on("unhandledRejection", l as (...args: unknown[]) => void));
            saved.exception.forEach((l) => process.on("uncaughtException", l as (...args: unknown[]) => void));
        },
    };
}

/** Captures console output and Pulumi log lines (which go to the console when no engine runs). */
function captureConsole(): { logs: Diagnostic[]; readonly text: string; restore(): void } {
    const logs: Diagnostic[] = [];
    const chunks: string[] = [];
    const originals = { log: console.log, warn: console.warn, error: console.error, info: console.info };
    const record = (args: unknown[]) => {
        const line = util.format(...args);
        chunks.push(line);
        const m = /^(info|warning|error): \[runtime\] ([\s\S]*)$/.exec(line);
        if (m) {
            logs.push({ severity: m[1] as Diagnostic["severity"], message: m[2] });
        }
    };
    console.log = console.warn = console.error = console.info = (...args: unknown[]) => record(args);
    return {
        logs,
        get text() {
            return chunks.join("\n");
        },
        restore() {
            Object.assign(console, originals);
        },
    };
}

/**
 * ts-node type-checks and emits a program each time it is required (~0.2 s). The program's text
 * does not change between the runs of one process, so the JavaScript ts-node emitted the first
 * time is reused for the same text (the module still executes afresh on every run). Returns a
 * function that restores the normal loader.
 */
export function memoizeTypeScriptCompilation(): () => void {
    type Loader = (m: NodeJS.Module, filename: string) => void;
    type CompilingModule = NodeJS.Module & { _compile(code: string, filename: string): unknown };
    const extensions = require.extensions;
    const original = extensions[".ts"] as Loader | undefined;
    if (original === undefined) {
        return () => undefined;
    }
    const cache = new Map<string, { text: string; code: string }>();
    const loader: Loader = (m, filename) => {
        const text = fs.readFileSync(filename, "utf8");
        const hit = cache.get(filename);
        const mod = m as CompilingModule;
        if (hit && hit.text === text) {
            mod._compile(hit.code, filename);
            return;
        }
        const compile = mod._compile.bind(mod);
        mod._compile = (code: string, file: string) => {
            cache.set(filename, { text, code });
            return compile(code, file);
        };
        original(m, filename);
    };
    extensions[".ts"] = loader;
    return () => {
        if (extensions[".ts"] === loader) {
            extensions[".ts"] = original;
        }
    };
}
