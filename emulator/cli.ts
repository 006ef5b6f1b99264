/**
 * `npm run emulator [-- --port N] [--token T] [--tenant-id G] [--propagation-delay-ms MS]`:
 * starts the emulator on 127.0.0.1, prints its base URL, bearer token and a curl to try, and runs
 * until SIGINT/SIGTERM. Port: `--port`, else `ADDIN_CREDENTIALS_EMULATOR_PORT`, else 8450 (0 picks a free one).
 */
import { startEmulator } from "./server";

/** Parsed command line. */
interface CliOptions {
    port: number;
    token?: string;
    tenantId?: string;
    propagationDelayMs?: number;
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
    const options: CliOptions = { port: 8450 };
    const envPort = env.ADDIN_CREDENTIALS_EMULATOR_PORT;
    if (envPort !== undefined && envPort !== "") {
        options.port = Number(envPort);
    }
    for (let i = 0; i < argv.length; i += 1) {
        const [flag, inline] = argv[i].split("=", 2);
        const value = (): string => {
            const v = inline ?? argv[++i];
            if (v === undefined) {
                throw new Error(`${flag} needs a value`);
            }
            return v;
        };
        switch (flag) {
            case "--port": options.port = Number(value()); break;
            case "--token": options.token = value(); break;
            case "--tenant-id": options.tenantId = value(); break;
            case "--propagation-delay-ms": options.propagationDelayMs = Number(value()); break;
            case "--help":
            case "-h":
                console.log("usage: npm run emulator -- [--port N] [--token T] [--tenant-id GUID] [--propagation-delay-ms MS]");
                process.exit(0);
                break;
            default:
                throw new Error(`unknown option ${argv[i]}; see --help`);
        }
    }
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
        throw new Error(`port must be an integer 0-65535, got "${String(options.port)}"`);
    }
    return options;
}

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2), process.env);
    const emu = await startEmulator({ port: options.port, token: options.token, tenantId: options.tenantId, propagationDelayMs: options.propagationDelayMs });
    const lines = [
        `Emulator listening on ${emu.url}`,
        `  Graph v1.0:          ${emu.graphUrl}`,
        `  bearer token:        ${emu.token}`,
        `  tenant (ACS realm):  ${emu.tenantId}`,
        `  ACS token endpoint:  ${emu.url}/acs/${emu.tenantId}/tokens/OAuth/2`,
        `  admin / state:       ${emu.url}/_emulator/state`,
        ``,
        `Try:`,
        `  curl -s -X POST ${emu.url}/_emulator/servicePrincipals -d '{"displayName":"My add-in"}'`,
        `  curl -s -H "Authorization: Bearer ${emu.token}" "${emu.graphUrl}/servicePrincipals"`,
        ``,
        `Point the project at it:`,
        `  export ADDIN_CREDENTIALS_GRAPH_URL=${emu.url}`,
        `  export ADDIN_CREDENTIALS_GRAPH_TOKEN=${emu.token}`,
        ``,
        `Stop with Ctrl+C.`,
    ];
    console.log(lines.join("\n"));
    let stopping = false;
    const stop = (signal: string): void => {
        if (stopping) {
            return;
        }
        stopping = true;
        emu.close().then(() => {
            console.log(`Emulator stopped (${signal}).`);
            process.exit(0);
        }, (err: unknown) => {
            console.error(err);
            process.exit(1);
        });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
    console.error(`emulator: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
});
