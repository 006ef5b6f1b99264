/**
 * The repository's program run as `pulumi` runs it, against the local Graph + ACS emulator instead
 * of a tenant: the emulator, the environment that points both the program's process and the
 * dynamic provider hosts at it, stacks of the engine stand-in (engine/) and projects for the real
 * Pulumi CLI (cli/). Shared by the sandbox, the bench and the tests.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { RealProject, RealProjectOptions } from "../cli/realProject";
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
    /** A new project for the real Pulumi CLI (its own folder, backend and home), pointed at the emulator. */
    newRealProject(options?: RealProjectOptions): Promise<RealProject>;
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
        newRealProject: (projectOptions = {}) => RealProject.create({ ...projectOptions, env: { ...env, ...projectOptions.env } }),
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

// ---- fixtures: directory objects and generation inputs the tests, the sandbox and the bench share ----

/** Where an add-in's credentials live: a Legacy service principal, or the application behind an app-backed one. */
export type AddInKind = "servicePrincipal" | "application";

/** A new add-in principal of `kind` in the emulator's tenant: its client id and the id of the object holding its credentials. */
export function addAddInPrincipal(emu: Emulator, kind: AddInKind, displayName = "Contoso add-in"): { appId: string; objectId: string } {
    if (kind === "servicePrincipal") {
        const sp = emu.tenant.addLegacyServicePrincipal({ displayName });
        return { appId: sp.appId, objectId: sp.id };
    }
    const app = emu.tenant.addApplication({ displayName });
    return { appId: app.appId, objectId: app.applicationId };
}

/**
 * A CredentialGeneration's inputs, before Check: a generation that started an hour before `now`
 * (whole seconds) and lasts 365 days. `keyMaterial` defaults to 32 fresh random bytes for
 * random-bytes, and is absent for entra-password.
 */
export function generationProps(
    now: Date,
    clientId: string,
    valueSource: "random-bytes" | "entra-password",
    displayName: string,
    keyMaterial: string | undefined = valueSource === "random-bytes" ? randomBytes(32).toString("base64") : undefined,
): { clientId: string; valueSource: string; keyMaterial: string | undefined; startDateTime: string; endDateTime: string; displayName: string } {
    const start = Math.floor((now.getTime() - HOUR_MS) / 1000) * 1000;
    return {
        clientId,
        valueSource,
        keyMaterial,
        startDateTime: new Date(start).toISOString(),
        endDateTime: new Date(start + 365 * 24 * HOUR_MS).toISOString(),
        displayName,
    };
}

const HOUR_MS = 3_600_000;
