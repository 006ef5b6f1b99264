// `npm run inventory`: a read-only look at add-in credentials, classified as the
// CredentialInventory resource classifies them (components/classify.ts), for people, scheduled
// pipelines and monitoring. Same Graph client and authentication as the provider
// (ADDIN_CREDENTIALS_GRAPH_URL, ADDIN_CREDENTIALS_GRAPH_TOKEN, else DefaultAzureCredential). It
// never writes.
//
//   --client-id <id>          every key and password on one add-in's Entra object
//   --all                     every add-in of the tenant (principals holding Symmetric keys), by urgency
//   --emit-config <add-ins>   the stack entries that bring the chosen add-ins under management
//
// Exit codes: 0 nothing to act on; 1 an entry will break an add-in, an add-in is down, or a
// current secret expires within --warn-days; 2 usage error, or the inventory could not be read
// (unknown client id or add-in, Graph failure).
import { parseCommandLine } from "./cli";
import { directoryClient } from "../components/graph/directoryClock";
import { graphClientOptionsFromEnv } from "../components/graph/client";
import { readCredentials } from "../components/graph/credentials";
import { TargetNotFoundErrorName } from "../components/graph/errors";
import { isGuid, resolveTarget } from "../components/graph/target";
import { DEFAULT_WARN_DAYS, formatInventoryTable, inspectCredentials } from "./inventoryReport";
import {
    countByState, emitConfig, findAddIns, formatEmittedYaml, formatTenantTable, reportAddIns, reportExitCode, selectAddIns,
} from "./tenantReport";
import { scanTenant, ScanProgress, SCAN_PAGE_SIZE } from "./tenantScan";

export { DEFAULT_WARN_DAYS };

const USAGE = `Usage: npm run inventory -- --client-id <id> [options]
       npm run inventory -- --all [options]
       npm run inventory -- --emit-config <name or client id>[,...] [options]

--client-id prints every key and password entry on the add-in's Entra object (the Legacy
service principal, or the application behind an application-backed one), classified, with the
risk each poses.

--all reads every service principal and application of the tenant (pages of ${SCAN_PAGE_SIZE}, only the
fields it needs) and lists every add-in (a principal whose credentials include a Symmetric key),
most urgent first: down (no valid Sign key), at-risk (an older valid Sign key the app may not
hold), expiring (within --warn-days), ok; with the key SharePoint signs with today and until
when, the next expiry, and which set of this project manages it.

--emit-config prints the entries of addin-credentials:addins that bring the chosen add-ins
(names, client ids or display names from --all; comma-separated or repeated) under management,
adopting the secret their remote webs use today, and the command that stores that secret.

Read-only. Uses ADDIN_CREDENTIALS_GRAPH_TOKEN (else DefaultAzureCredential) like the provider.
Progress of a tenant scan goes to stderr.

Options:
  --client-id <id>       one add-in's client id (GUID)
  --all                  every add-in of the tenant
  --emit-config <list>   stack entries for these add-ins (reads the tenant like --all)
  --graph <url>          Graph base URL without /v1.0 (overrides ADDIN_CREDENTIALS_GRAPH_URL)
  --set-name <name>      only this AddInCredentialSet's entries count as managed  default: any addin-credentials/ entry
  --warn-days <n>        exit 1 when a current secret expires within n days      default ${DEFAULT_WARN_DAYS}
  --json                 print JSON instead of a table (or YAML for --emit-config)
  --help                 this text

Exit codes: 0 fine; 1 an entry will break an add-in, an add-in is down, or a current secret
expires within --warn-days; 2 usage error, unknown client id or add-in, or Graph failure.
`;

/** Parsed command line of the one-add-in mode (`--client-id`). */
export interface InventoryArgs {
    readonly clientId: string;
    readonly graph?: string;
    readonly setName?: string;
    readonly warnDays: number;
    readonly json: boolean;
}

/** Parsed command line of the tenant modes (`--all`, `--emit-config`). */
export interface TenantInventoryArgs {
    readonly all: true;
    /** Add-ins to emit stack entries for; absent: the report. */
    readonly emitConfig?: string[];
    readonly graph?: string;
    readonly setName?: string;
    readonly warnDays: number;
    readonly json: boolean;
}

/** Parses argv (without node and script); throws an Error with a usable message on a usage error. */
export function parseInventoryArgs(argv: readonly string[]): InventoryArgs | TenantInventoryArgs | "help" {
    const values = parseCommandLine(argv, {
        "client-id": { type: "string" },
        all: { type: "boolean" },
        "emit-config": { type: "string", multiple: true },
        graph: { type: "string" },
        "set-name": { type: "string" },
        "warn-days": { type: "string" },
        json: { type: "boolean" },
    });
    if (values === "help") {
        return "help";
    }
    const clientId = values["client-id"];
    const emit = values["emit-config"]?.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
    const tenant = values.all === true || values["emit-config"] !== undefined;
    if (clientId !== undefined && tenant) {
        throw new Error("give either --client-id <id> (one add-in) or --all / --emit-config (the whole tenant), not both.");
    }
    if (clientId === undefined && !tenant) {
        throw new Error("--client-id is required (the add-in's client id, a GUID), or --all for every add-in of the tenant.");
    }
    if (clientId !== undefined && !isGuid(clientId)) {
        throw new Error(`--client-id must be the add-in's client id, a GUID; got "${clientId}".`);
    }
    if (emit !== undefined && emit.length === 0) {
        throw new Error("--emit-config needs the add-ins to emit: names, client ids or display names from --all, comma-separated.");
    }
    let graph: string | undefined;
    if (values.graph !== undefined) {
        if (!/^https?:\/\/[^/]/.test(values.graph)) {
            throw new Error(`--graph must be an http(s) URL such as https://graph.microsoft.com; got "${values.graph}".`);
        }
        graph = values.graph.replace(/\/+$/, "").replace(/\/v1\.0$/, "");
    }
    let warnDays = DEFAULT_WARN_DAYS;
    if (values["warn-days"] !== undefined) {
        const n = Number(values["warn-days"]);
        if (!Number.isInteger(n) || n < 0) {
            throw new Error(`--warn-days must be a whole number of days, 0 or more; got "${values["warn-days"]}".`);
        }
        warnDays = n;
    }
    const common = { graph, setName: values["set-name"], warnDays, json: values.json ?? false };
    return clientId !== undefined ? { clientId, ...common } : { all: true, ...(emit === undefined ? {} : { emitConfig: emit }), ...common };
}

/** Runs the command; returns the exit code. Writes the report to `out`, messages and progress to `err`. */
export async function runInventory(argv: readonly string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<number> {
    let args: InventoryArgs | TenantInventoryArgs | "help";
    try {
        args = parseInventoryArgs(argv);
    } catch (e) {
        err(`inventory: ${(e as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (args === "help") {
        out(USAGE);
        return 0;
    }
    try {
        const options = graphClientOptionsFromEnv(args.graph === undefined ? env : { ...env, ADDIN_CREDENTIALS_GRAPH_URL: args.graph });
        return "clientId" in args ? await oneAddIn(args, options, out, err) : await wholeTenant(args, options, out, err);
    } catch (e) {
        const error = e as Error;
        err(`inventory: ${error.name === TargetNotFoundErrorName || error.name === SelectionErrorName ? error.message : `could not read the inventory: ${error.message}`}\n`);
        return 2;
    }
}

type Options = ReturnType<typeof graphClientOptionsFromEnv>;

/** `--client-id`: one add-in's entries. */
async function oneAddIn(args: InventoryArgs, options: Options, out: (s: string) => void, err: (s: string) => void): Promise<number> {
    const { client, directoryNow } = directoryClient(options);
    const target = await resolveTarget(client, args.clientId, { notFoundReads: 1 });
    const view = await readCredentials(client, target, "read credentials for inventory");
    if (view === undefined) {
        err(`inventory: ${target.label} (client id ${args.clientId}) disappeared while reading it.\n`);
        return 2;
    }
    const now = directoryNow();
    const { entries, problems, exitCode } = inspectCredentials(view, now, args);
    if (args.json) {
        out(`${JSON.stringify({ clientId: args.clientId, target: { kind: target.kind, objectId: target.objectId }, now: now.toISOString(), entries, problems, exitCode }, null, 2)}\n`);
    } else {
        out(`${target.label} (client id ${args.clientId}), directory time ${now.toISOString()}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}\n\n`);
        out(`${formatInventoryTable(entries)}\n\n`);
        out(problems.length === 0 ? "OK: no entry will break the add-in, and the current secret is not due.\n" : `${problems.map((p) => `ATTENTION: ${p}`).join("\n")}\n`);
    }
    return exitCode;
}

/** `--all` and `--emit-config`: the tenant scan, then the report or the stack entries. */
async function wholeTenant(args: TenantInventoryArgs, options: Options, out: (s: string) => void, err: (s: string) => void): Promise<number> {
    const { client, directoryNow } = directoryClient(options);
    const started = Date.now();
    const progress = (p: ScanProgress): void => err(`inventory: ${p.collection}: page ${p.pages}, ${p.objects.toLocaleString("en-US")} read\n`);
    const scan = await scanTenant(client, progress);
    const now = directoryNow();
    const found = findAddIns(scan.servicePrincipals, scan.applications);
    const reports = reportAddIns(found.addIns, now, args);
    const requests = scan.pages.servicePrincipals + scan.pages.applications;
    err(`inventory: read ${scan.servicePrincipals.length.toLocaleString("en-US")} service principals and ${scan.applications.length.toLocaleString("en-US")} applications in ${requests} requests, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    if (args.emitConfig !== undefined) {
        let chosen: ReturnType<typeof selectAddIns>;
        try {
            chosen = selectAddIns(reports, args.emitConfig);
        } catch (e) {
            throw Object.assign(e as Error, { name: SelectionErrorName });
        }
        const config = emitConfig(chosen, now);
        out(args.json ? `${JSON.stringify({ now: now.toISOString(), entries: config.addIns.map((a) => a.entry), ...config }, null, 2)}\n` : formatEmittedYaml(config));
        return 0;
    }

    const counts = countByState(reports);
    const exitCode = reportExitCode(reports);
    if (args.json) {
        out(`${JSON.stringify({
            now: now.toISOString(),
            scanned: { servicePrincipals: scan.servicePrincipals.length, applications: scan.applications.length, requests, pages: scan.pages },
            counts, addIns: reports, applicationsWithoutPrincipal: found.applicationsWithoutPrincipal, exitCode,
        }, null, 2)}\n`);
        return exitCode;
    }
    out(`Tenant at directory time ${now.toISOString()}: ${scan.servicePrincipals.length.toLocaleString("en-US")} service principals, ` +
        `${scan.applications.length.toLocaleString("en-US")} applications; ${reports.length} add-in(s) hold Symmetric keys.\n\n`);
    if (reports.length > 0) {
        out(`${formatTenantTable(reports)}\n\n`);
    }
    for (const a of found.applicationsWithoutPrincipal) {
        out(`note: application ${a.objectId} "${a.displayName}" (client id ${a.appId}) holds Symmetric keys but has no service principal in this tenant; nothing signs in with it here.\n`);
    }
    out(exitCode === 0
        ? "OK: no add-in is down, at risk or due.\n"
        : `ATTENTION: ${counts.down} down, ${counts["at-risk"]} at risk, ${counts.expiring} expiring within ${args.warnDays} day(s); ${counts.ok} ok.\n`);
    out("Onboard one: npm run inventory -- --emit-config <name or client id>\n");
    return exitCode;
}

/** Name of the error for an --emit-config selector that matches no add-in (exit 2, message as is). */
const SelectionErrorName = "AddInSelectionError";

if (require.main === module) {
    runInventory(process.argv.slice(2), process.env, (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`inventory: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exitCode = 2;
        },
    );
}
