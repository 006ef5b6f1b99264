// A Pulumi program for the engine stand-in's own tests: the resources it declares come from the
// config key `engine-test:spec` (a JSON list), so each test states the program it needs. Its
// dynamic provider records every call it serves in the file named by ENGINE_TEST_LOG and keeps its
// "cloud" (the ids that exist) in the file named by ENGINE_TEST_WORLD, so a test can see what the
// engine asked, in which order, from which process, and can change the world between runs.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** One resource of the spec. */
export interface SpecResource {
    readonly name: string;
    /** "dynamic" (default), "random" (a RandomBytes) or "component" (a Wrapper component). */
    readonly kind?: "dynamic" | "random" | "component";
    /** The dynamic provider's behaviour is chosen by its inputs (see the provider below). */
    readonly inputs?: Record<string, unknown>;
    /** Take input `value` from this resource's output-only property `generated`. */
    readonly valueFrom?: string;
    /** dependsOn these resources. */
    readonly dependsOn?: readonly string[];
    /** Which provider code: "v1" (default) or "v2"; they differ only in the version they log. */
    readonly variant?: "v1" | "v2";
    readonly deleteBeforeReplace?: boolean;
    readonly retainOnDelete?: boolean;
    readonly protect?: boolean;
    /** Mark input `value` secret. */
    readonly secretValue?: boolean;
}

interface Call {
    readonly method: string;
    readonly label: unknown;
    readonly version: string;
    readonly pid: number;
    readonly inflight?: number;
    readonly news?: unknown;
    readonly generation?: number;
}

function makeProvider(version: string): pulumi.dynamic.ResourceProvider {
    // Everything below runs inside the dynamic provider host; state that should live for the
    // process lives on globalThis (a serialized closure is rebuilt per provider text).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = () => require("node:fs") as typeof import("node:fs");
    const state = (): { inflight: number; calls: number } => {
        const g = globalThis as { __engineTest?: { inflight: number; calls: number } };
        g.__engineTest ??= { inflight: 0, calls: 0 };
        return g.__engineTest;
    };
    const log = (entry: Omit<Call, "pid" | "version" | "generation">): void => {
        const s = state();
        s.calls++;
        fs().appendFileSync(process.env.ENGINE_TEST_LOG as string, `${JSON.stringify({ ...entry, version, pid: process.pid, generation: s.calls })}\n`);
    };
    const world = (): Record<string, boolean> => {
        const file = process.env.ENGINE_TEST_WORLD as string;
        return fs().existsSync(file) ? (JSON.parse(fs().readFileSync(file, "utf8")) as Record<string, boolean>) : {};
    };
    const save = (w: Record<string, boolean>): void => fs().writeFileSync(process.env.ENGINE_TEST_WORLD as string, JSON.stringify(w));
    const busy = async <T>(method: string, label: unknown, delayMs: unknown, fn: () => T): Promise<T> => {
        const s = state();
        s.inflight++;
        log({ method: `${method}:start`, label, inflight: s.inflight });
        await new Promise((resolve) => setTimeout(resolve, Number(delayMs ?? 0)));
        try {
            return fn();
        } finally {
            s.inflight--;
        }
    };
    return {
        async check(_olds, news) {
            log({ method: "check", label: news.label, news: { ...news, __provider: undefined } });
            if (news.failCheck) {
                return { inputs: news, failures: [{ property: "value", reason: "failCheck is set" }] };
            }
            return { inputs: news };
        },
        async diff(_id, olds, news) {
            log({ method: "diff", label: news.label, news: { ...news, __provider: undefined } });
            const mode = news.diff ?? "auto";
            if (mode === "unknown") {
                return {};
            }
            if (JSON.stringify(olds.value ?? null) === JSON.stringify(news.value ?? null)) {
                return { changes: false };
            }
            if (mode === "replace" || mode === "dbr") {
                return { changes: true, replaces: ["value"], deleteBeforeReplace: mode === "dbr" };
            }
            return { changes: true };
        },
        async create(inputs) {
            return busy("create", inputs.label, inputs.delayMs, () => {
                if (inputs.failCreate) {
                    throw new Error(`create of ${String(inputs.label)} failed: failCreate is set`);
                }
                const id = `${String(inputs.label)}-${Math.random().toString(16).slice(2, 10)}`;
                save({ ...world(), [id]: true });
                log({ method: "create", label: inputs.label });
                return { id, outs: { ...inputs, generated: `gen-${id}` } };
            });
        },
        async read(id, props) {
            return busy("read", props.label, props.delayMs, () => {
                log({ method: "read", label: props.label });
                return world()[id] ? { id, props } : { id: "" };
            });
        },
        async update(_id, olds, news) {
            log({ method: "update", label: news.label });
            return { outs: { ...news, generated: olds.generated } };
        },
        async delete(id, props) {
            const w = world();
            delete w[id];
            save(w);
            log({ method: "delete", label: props.label });
        },
    };
}

const providers = { v1: makeProvider("v1"), v2: makeProvider("v2") };

class Thing extends pulumi.dynamic.Resource {
    declare readonly generated: pulumi.Output<string>;
    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, variant: "v1" | "v2", opts?: pulumi.CustomResourceOptions) {
        super(providers[variant], name, { ...props, generated: undefined }, opts, "engine-test", "Thing");
    }
}

/** A component whose args are sent to the engine as its inputs (Node does so). */
class Wrapper extends pulumi.ComponentResource {
    constructor(name: string, args: Record<string, unknown>) {
        super("engine-test:index:Wrapper", name, args);
        this.registerOutputs({ size: Object.keys(args).length });
    }
}

const spec = new pulumi.Config("engine-test").requireObject<SpecResource[]>("spec");
const made = new Map<string, pulumi.Resource>();
const exported: Record<string, pulumi.Output<unknown>> = {};
for (const r of spec) {
    const opts: pulumi.CustomResourceOptions = {
        dependsOn: (r.dependsOn ?? []).map((d) => made.get(d) as pulumi.Resource),
        ...(r.deleteBeforeReplace === undefined ? {} : { deleteBeforeReplace: r.deleteBeforeReplace }),
        ...(r.retainOnDelete === undefined ? {} : { retainOnDelete: r.retainOnDelete }),
        ...(r.protect === undefined ? {} : { protect: r.protect }),
    };
    if (r.kind === "random") {
        const bytes = new random.RandomBytes(r.name, { length: 16, keepers: (r.inputs ?? {}) as Record<string, string> }, opts);
        made.set(r.name, bytes);
        exported[r.name] = bytes.hex;
        continue;
    }
    if (r.kind === "component") {
        made.set(r.name, new Wrapper(r.name, r.inputs ?? {}));
        continue;
    }
    const from = r.valueFrom === undefined ? undefined : (made.get(r.valueFrom) as Thing).generated;
    const value = from ?? r.inputs?.value;
    const thing = new Thing(r.name, { ...r.inputs, label: r.name, value: r.secretValue ? pulumi.secret(value) : value }, r.variant ?? "v1", opts);
    made.set(r.name, thing);
    exported[r.name] = thing.generated;
    exported[`${r.name}Id`] = thing.id;
    exported[`${r.name}Value`] = (thing as unknown as { value: pulumi.Output<unknown> }).value ?? pulumi.output(undefined);
}

export const outputs = exported;
