/**
 * Pulumi's own dynamic provider host (`@pulumi/pulumi/cmd/dynamic-provider`), run as the engine
 * runs it: a child process started with `node <host> <engine address>`, which prints the port of
 * its ResourceProvider gRPC service. The engine address is never dialled by the calls used here,
 * so any `host:port` does. The working directory is the project directory, as the engine sets it:
 * the host loads each serialized provider with require-from-string, whose `require("<package>")`
 * calls resolve from there.
 *
 * Values cross the wire as google-protobuf Structs. Secrets are passed unwrapped and unknowns as
 * the SDK's sentinel string, as the engine does for this host (it declares acceptSecrets=false).
 *
 * Recycling (see docs/ENGINE.md "Provider processes"): the engine starts a fresh provider process
 * for every preview and every update. Starting one costs about 0.25 s of CPU here, too much for
 * three runs a simulated day over years, so a host started with `recyclable: true` can be
 * `recycle()`d instead: a preload (engine/recyclingPreload.cjs) drops every module and every
 * global the provider code loaded or set since the host started, so the next run's provider code
 * starts from nothing, as in a new process.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as pulumi from "@pulumi/pulumi";
import { PROVIDER_KEY, Props } from "./wire";

/** The ResourceProvider calls the engine makes of a dynamic provider host. */
export interface DynamicProviderCalls {
    /** Check: the checked inputs (with `__provider`) and failures. */
    check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
    /** Diff: `changes` is the DiffResponse's DiffChanges; `replaces` the properties forcing replacement. */
    diff(id: string, urn: string, olds: Props, news: Props, oldInputs: Props): Promise<DiffAnswer>;
    /** Create: the new id and outputs. */
    create(urn: string, news: Props): Promise<{ id: string; outs: Props }>;
    /** Read (refresh): `id` is "" when the resource is gone; `inputs` when the provider returned new ones. */
    read(id: string, urn: string, props: Props, inputs: Props): Promise<{ id: string; props: Props; inputs?: Props }>;
    /** Update: the new outputs. */
    update(id: string, urn: string, olds: Props, news: Props, oldInputs: Props): Promise<{ outs: Props }>;
    /** Delete. */
    delete(id: string, urn: string, props: Props): Promise<void>;
}

/** What a Diff answered (pulumirpc.DiffResponse, as the dynamic host fills it). */
export interface DiffAnswer {
    /** DIFF_SOME, DIFF_NONE, or DIFF_UNKNOWN when the provider's diff gave no `changes` boolean. */
    readonly changes: "some" | "none" | "unknown";
    readonly replaces: string[];
    readonly deleteBeforeReplace: boolean;
}

/** Options of {@link startProviderHost}. */
export interface ProviderHostOptions {
    /** Extra environment of the host process (merged over this process's environment). @default {} */
    readonly env?: Record<string, string | undefined>;
    /** Working directory of the host: the project directory. @default the repository root */
    readonly cwd?: string;
    /** Load engine/recyclingPreload.cjs so that {@link ProviderHost.recycle} works. @default false */
    readonly recyclable?: boolean;
}

/** Failure of a gRPC call: the host's message (what the engine would print) and the gRPC status. */
export interface ProviderCallError extends Error {
    readonly name: "ProviderCallError";
    /** The RPC that failed ("Create", ...). */
    readonly method: string;
    /** gRPC status code (2 = UNKNOWN for provider errors). */
    readonly code: number;
}

/** The `name` of every {@link ProviderCallError}. */
export const ProviderCallErrorName = "ProviderCallError";

/** A running dynamic provider host. Every `Props` passed in must carry `__provider`. */
export interface ProviderHost extends DynamicProviderCalls {
    /** The port the host serves on. */
    readonly port: number;
    /** The host's process id. */
    readonly pid: number;
    /** Everything the host wrote to stdout so far (its port line, the provider's console.log). */
    stdout(): string;
    /** Everything the host wrote to stderr so far (the provider's console.error, the host's error logs). */
    stderr(): string;
    /**
     * Forgets every module and global the provider code loaded or set (recyclable hosts only),
     * so that the next call starts like the first call of a new process. Resolves with the number
     * of modules dropped.
     */
    recycle(): Promise<number>;
    /** Closes the channel and kills the host process. */
    stop(): Promise<void>;
}

/** Directory of Node's on-disk compile cache for host processes (same code, faster start). */
const COMPILE_CACHE_DIR = path.join(os.tmpdir(), "addin-credentials-node-compile-cache");

/** The repository root: the project directory of this repository's program. */
const REPOSITORY_ROOT = path.resolve(__dirname, "..");

/** Returns `props` with `__provider` set to the serialized provider text. */
export function withProvider(providerText: string, props: Props): Props {
    return { ...props, [PROVIDER_KEY]: providerText };
}

/** The engine's URN of a dynamic resource of the given type token at the top of a stack. */
export function dynamicUrn(name: string, module: string, type: string, stack = "test", project = "addin-credentials"): string {
    return `urn:pulumi:${stack}::${project}::pulumi-nodejs:dynamic/${module}:${type}::${name}`;
}

/**
 * Serializes a provider exactly as `pulumi.dynamic.Resource` does for `__provider`
 * (sdk/nodejs/dynamic/index.ts `serializeFunctionMaybeSecret`): the text of a module whose
 * `handler()` returns the provider.
 */
export async function serializeProvider(provider: object): Promise<string> {
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    return serialized.text;
}

/** Starts Pulumi's dynamic provider host as a child process and connects a gRPC client to it. */
export async function startProviderHost(options: ProviderHostOptions = {}): Promise<ProviderHost> {
    const hostScript = require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js");
    const recyclable = options.recyclable ?? false;
    const nodeArgs = recyclable ? ["--require", path.join(__dirname, "recyclingPreload.cjs")] : [];
    const child = spawn(process.execPath, [...nodeArgs, hostScript, "127.0.0.1:1"], {
        cwd: options.cwd ?? REPOSITORY_ROOT,
        env: { NODE_COMPILE_CACHE: COMPILE_CACHE_DIR, ...process.env, ...options.env },
        stdio: recyclable ? ["ignore", "pipe", "pipe", "pipe"] : ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr?.setEncoding("utf8").on("data", (s: string) => (err += s));

    const port = await new Promise<number>((resolve, reject) => {
        // The timer can fire late, after this process's event loop was busy for a while (a program
        // of 1,000 add-ins evaluates here for tens of seconds, while the next run's host starts):
        // the port line may then be waiting in the pipe, and timers run before I/O is read. The
        // refusal waits one turn (setImmediate runs after the poll phase), so a host that did
        // print its port in time is not refused.
        const timer = setTimeout(() => setImmediate(() => reject(new Error(`dynamic provider host printed no port within 20 s; stderr: ${err}`))), 20_000);
        const onData = (): void => {
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) {
                clearTimeout(timer);
                child.stdout?.off("data", onData);
                child.off("exit", onExit);
                resolve(Number(m[1]));
            }
        };
        const onExit = (code: number | null): void => {
            clearTimeout(timer);
            reject(new Error(`dynamic provider host exited with ${code} before printing its port; stderr: ${err}`));
        };
        child.stdout?.on("data", onData);
        child.once("exit", onExit);
    });

    const control = recyclable ? controlChannel(child.stdio[3] as net.Socket) : undefined;
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    /**
     * Calls one unary RPC, turning errors into ProviderCallError. Without a deadline, as the engine
     * calls providers (pkg/resource/plugin/provider_plugin.go: every call runs in the plugin
     * context's request context, which only a cancellation ends; a resource's customTimeouts are
     * sent to the provider in the request, and the dynamic provider host ignores them): a call that
     * waits out a long Graph Retry-After is waited for.
     */
    function call<Req, Res>(
        method: string,
        fn: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => grpc.ClientUnaryCall,
        req: Req,
    ): Promise<Res> {
        return new Promise<Res>((resolve, reject) => {
            fn.call(client, req, new grpc.Metadata(), {}, (e, r) => {
                if (e) {
                    reject(Object.assign(new Error(e.details || e.message), { name: ProviderCallErrorName, method, code: e.code }));
                } else {
                    resolve(r);
                }
            });
        });
    }

    // The engine configures every provider before use; the dynamic host records the config.
    const configure = new provproto.ConfigureRequest();
    configure.setArgs(toStruct({}));
    configure.setAcceptsecrets(false);
    configure.setAcceptresources(false);
    await call("Configure", client.configure, configure);
    // Everything loaded so far is the host's own; the preload forgets only what comes after.
    await control?.send("mark");

    return {
        port,
        pid: child.pid ?? -1,
        async check(urn, olds, news) {
            const req = new provproto.CheckRequest();
            req.setUrn(urn);
            req.setOlds(toStruct(olds));
            req.setNews(toStruct(news));
            const res = await call("Check", client.check, req);
            return {
                inputs: fromStruct(res.getInputs()),
                failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
            };
        },
        async diff(id, urn, olds, news, oldInputs) {
            const req = new provproto.DiffRequest();
            req.setId(id);
            req.setUrn(urn);
            req.setOlds(toStruct(olds));
            req.setNews(toStruct(news));
            req.setOldInputs(toStruct(oldInputs));
            const res = await call("Diff", client.diff, req);
            const changes = res.getChanges();
            return {
                changes: changes === provproto.DiffResponse.DiffChanges.DIFF_SOME ? "some" : changes === provproto.DiffResponse.DiffChanges.DIFF_NONE ? "none" : "unknown",
                replaces: res.getReplacesList(),
                deleteBeforeReplace: res.getDeletebeforereplace(),
            };
        },
        async create(urn, news) {
            const req = new provproto.CreateRequest();
            req.setUrn(urn);
            req.setProperties(toStruct(news));
            const res = await call("Create", client.create, req);
            return { id: res.getId(), outs: fromStruct(res.getProperties()) };
        },
        async read(id, urn, props, inputs) {
            const req = new provproto.ReadRequest();
            req.setId(id);
            req.setUrn(urn);
            req.setProperties(toStruct(props));
            req.setInputs(toStruct(inputs));
            const res = await call("Read", client.read, req);
            const newInputs = res.getInputs();
            return { id: res.getId(), props: fromStruct(res.getProperties()), ...(newInputs ? { inputs: fromStruct(newInputs) } : {}) };
        },
        async update(id, urn, olds, news, oldInputs) {
            const req = new provproto.UpdateRequest();
            req.setId(id);
            req.setUrn(urn);
            req.setOlds(toStruct(olds));
            req.setNews(toStruct(news));
            req.setOldInputs(toStruct(oldInputs));
            const res = await call("Update", client.update, req);
            return { outs: fromStruct(res.getProperties()) };
        },
        async delete(id, urn, props) {
            const req = new provproto.DeleteRequest();
            req.setId(id);
            req.setUrn(urn);
            req.setProperties(toStruct(props));
            await call("Delete", client.delete, req);
        },
        stdout: () => out,
        stderr: () => err,
        async recycle() {
            if (control === undefined) {
                throw new Error("this provider host was not started with recyclable: true");
            }
            const answer = await control.send("reset");
            if (!/^\d+$/.test(answer)) {
                throw new Error(`recycling the provider host failed: ${answer}`);
            }
            return Number(answer);
        },
        async stop() {
            client.close();
            await stopChild(child);
        },
    };
}

/** One line out, one line back, over the preload's control pipe (fd 3 of the host). */
function controlChannel(socket: net.Socket): { send(command: string): Promise<string> } {
    socket.setEncoding("utf8");
    let buffered = "";
    const waiting: ((line: string) => void)[] = [];
    socket.on("data", (chunk: string) => {
        buffered += chunk;
        for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
            const line = buffered.slice(0, i);
            buffered = buffered.slice(i + 1);
            waiting.shift()?.(line);
        }
    });
    return {
        send(command) {
            return new Promise((resolve) => {
                waiting.push(resolve);
                socket.write(`${command}\n`);
            });
        },
    };
}

function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.resolve();
    }
    return new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
    });
}

/** google-protobuf Structs cannot hold `undefined`: drop such properties (as JSON does). */
function toStruct(props: Props): Struct {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)) as Record<string, never>);
}

function fromStruct(s: Struct | undefined): Props {
    return (s?.toJavaScript() ?? {}) as Props;
}
