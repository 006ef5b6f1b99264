// Types of cli/pulumi.cjs (a plain Node script, so that `npm run pulumi` starts without a compiler).

/** The versions this checkout needs, from package-lock.json. */
export interface RequiredVersions {
    /** @pulumi/pulumi's, which the CLI must have exactly. */
    readonly pulumi: string;
    /** @pulumi/random's: the plugin version the program asks for. */
    readonly random: string;
}

/** The CLI to run and the plugin this project provides. */
export interface PulumiCli {
    /** The `pulumi` binary. */
    readonly pulumi: string;
    /** This project's random plugin binary (RandomBytes only). */
    readonly random: string;
    readonly versions: RequiredVersions;
    /** "path": a `pulumi` of the exact version found on PATH; "cache": this project's build. */
    readonly source: "path" | "cache";
}

/** The CLI, built into the cache when neither PATH nor the cache has it. */
export function ensurePulumi(): Promise<PulumiCli>;

/** Installs the random plugin into the home of `env` (its PULUMI_HOME) unless that version is there. */
export function ensurePlugins(cli: PulumiCli, env: Record<string, string | undefined>): Promise<void>;

/** The environment the CLI runs with: offline, node first on PATH, PULUMI_HOME defaulted. */
export function pulumiEnv(base?: Record<string, string | undefined>): Record<string, string>;

export function required(): RequiredVersions;

/** The cache folder of this checkout's build. */
export function buildDir(versions?: RequiredVersions): string;
