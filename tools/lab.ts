/**
 * The repository's program run as `pulumi` runs it, against the local Graph + ACS emulator instead
 * of a tenant: the emulator, the environment that points both the program's process and the
 * dynamic provider hosts at it, and stacks of the engine stand-in (engine/). Shared by the
 * sandbox, the bench and the tests.
 */
import * as path from "node:path";
import { GraphEnvSettings, graphEnv } from "../components/graph/env";
import { Emulator, EmulatorOptions, startEmulator } from "../emulator";
import { EngineStack, EngineStackOptions, freshProcesses, HostSource, recycledProcess } from "../engine/stack";

/** The repository's Pulumi program. */
export const PROGRAM_PATH = path.resolve(__dirname, "..", "index.ts");

/** The project directory: Pulumi.yaml is there. */
const REPOSITORY_ROOT = path.dirname(PROGRAM_PATH);

/** What {@link startLab} sets up. */
export interface LabOptions {
    /** "fresh": a new provider process per run, as the engine does; "recycled": one process recycled between runs. @default "fresh" */
    readonly hosts?: "fresh" | "recycled";
    /** Graph client settings besides the emulator's URL and token. @default retry base 5 ms, 4 attempts */
    readonly client?: Omit<GraphEnvSettings, "url" | "token">;
    readonly emulator?: EmulatorOptions;
}

/** A running lab. */
export interface Lab {
    readonly emu: Emulator;
    /** The environment the program's process and the provider hosts run with. */
    readonly env: Record<string, string>;
    readonly hosts: HostSource;
    /** A new, empty stack of the repository's program (or `programPath`). */
    newStack(options?: Partial<Omit<EngineStackOptions, "hosts">>): EngineStack;
    /** Stops the hosts and the emulator, and restores this process's environment. */
    close(): Promise<void>;
}

/** Starts the emulator and points this process and the provider hosts at it. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
    const emu = await startEmulator({ port: 0, logErrors: false, ...options.emulator });
    const env = graphEnv({ url: emu.url, token: emu.token, retryBaseMs: 5, maxAttempts: 4, ...options.client });
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const hosts = options.hosts === "recycled" ? recycledProcess({ env }) : freshProcesses({ env });
    return {
        emu,
        env,
        hosts,
        // The project is this repository's (its Pulumi.yaml: name, refresh: always), whichever
        // program runs.
        newStack: (stackOptions = {}) => new EngineStack({ programPath: PROGRAM_PATH, projectDir: REPOSITORY_ROOT, ...stackOptions, hosts }),
        async close() {
            await hosts.close();
            await emu.close();
            for (const [k, v] of Object.entries(saved)) {
                if (v === undefined) delete process.env[k];
                else process.env[k] = v;
            }
        },
    };
}
