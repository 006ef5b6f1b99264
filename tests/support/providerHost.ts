/**
 * Runs a dynamic provider the way `pulumi up` does: in Pulumi's own dynamic provider host
 * (`@pulumi/pulumi/cmd/dynamic-provider`, a child process) over its ResourceProvider gRPC
 * interface, with the serialized provider text as the `__provider` property of every request.
 *
 * The host is started like the engine starts it: `node <host> <engine address>`; it prints the
 * port it serves on. The engine address is never dialled by the calls used here, so any
 * `host:port` does. The host is started with cwd = the repository root because it loads the
 * provider with require-from-string, which resolves the provider's `require("<package>")` calls
 * from the working directory (as the engine does, from the project directory).
 *
 * Values cross the wire as google-protobuf Structs: plain JSON objects in, plain objects out.
 * Secrets are passed unwrapped, as the engine does for this host (it declares acceptSecrets=false).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as pulumi from "@pulumi/pulumi";
import type { DynamicProviderCalls, Props } from "../../harness/lifecycle";

/** A plain property bag, as the host sees it. */
export type { Props };

/** The property holding the serialized provider. */
export const PROVIDER_KEY = "__provider";

/** Options of {@link startProviderHost}. */
export interface ProviderHostOptions {
    /** Extra environment of the host process (merged over this process's environment). @default {} */
    readonly env?: Record<string, string | undefined>;
    /** Working directory of the host (module resolution of the provider's requires). @default the repository root */
    readonly cwd?: string;
    /** Deadline of each gRPC call, in milliseconds. @default 60000 */
    readonly callTimeoutMs?: number;
}

/** Failure of a gRPC call: the host's message (what the engine would print) and the gRPC status. */
export interface ProviderCallError extends Error {
    readonly name: "ProviderCallError";
    /** The RPC that failed ("Create", ...). */
    readonly method: string;
    /** gRPC status code (2 = UNKNOWN for provider errors). */
    readonly code: number;
}

/**
 * A running dynamic provider host: the ResourceProvider calls of harness/lifecycle.ts's
 * `DynamicProviderCalls`, so the lifecycle harness drives it directly. Every `Props` passed in
 * must carry `__provider` (see {@link withProvider}).
 */
export interface ProviderHost extends DynamicProviderCalls {
    /** The port the host serves on. */
    readonly port: number;
    /** Everything the host wrote to stdout so far (its port line, the provider's console.log). */
    stdout(): string;
    /** Everything the host wrote to stderr so far (the provider's console.error, the host's error logs). */
    stderr(): string;
    /** Closes the channel and kills the host process. */
    stop(): Promise<void>;
}

/**
 * The environment that points the project's Graph client at an emulator (the variables of
 * docs/ARCHITECTURE.md), plus `extra` client settings (retry base, attempts, timeout).
 */
export function emulatorEnv(emu: { readonly url: string; readonly token: string }, extra: Record<string, string> = {}): Record<string, string> {
    return { ADDIN_CREDENTIALS_GRAPH_URL: emu.url, ADDIN_CREDENTIALS_GRAPH_TOKEN: emu.token, ...extra };
}

/** Returns `props` with `__provider` set to the serialized provider text. */
export function withProvider(providerText: string, props: Props): Props {
    return { ...props, [PROVIDER_KEY]: providerText };
}

/** A URN for a dynamic resource of the given type token, for requests that need one. */
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
    const cwd = options.cwd ?? path.resolve(__dirname, "..", "..");
    const child = spawn(process.execPath, [hostScript, "127.0.0.1:1"], {
        cwd,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));

    const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`dynamic provider host printed no port within 20 s; stderr: ${err}`)), 20_000);
        const onData = (): void => {
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) {
                clearTimeout(timer);
                child.stdout.off("data", onData);
                resolve(Number(m[1]));
            }
        };
        child.stdout.on("data", onData);
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`dynamic provider host exited with ${code} before printing its port; stderr: ${err}`));
        });
    });

    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const timeoutMs = options.callTimeoutMs ?? 60_000;

    /** Calls one unary RPC, turning errors into ProviderCallError. */
    function call<Req, Res>(
        method: string,
        fn: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => grpc.ClientUnaryCall,
        req: Req,
    ): Promise<Res> {
        return new Promise<Res>((resolve, reject) => {
            fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => {
                if (e) {
                    reject(
                        Object.assign(new Error(e.details || e.message), {
                            name: "ProviderCallError" as const,
                            method,
                            code: e.code,
                        }),
                    );
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

    return {
        port,
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
            return {
                changes: res.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME,
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
            return { id: res.getId(), props: fromStruct(res.getProperties()) };
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
        async stop() {
            client.close();
            await stopChild(child);
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
