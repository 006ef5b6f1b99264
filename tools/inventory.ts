// `npm run inventory -- --client-id <id> [--graph <url>] [--json] [--warn-days N] [--set-name <name>]`:
// a read-only look at every key and password on an add-in's Entra object, classified as the
// CredentialInventory resource classifies them (components/classify.ts), for scheduled pipelines
// and monitoring. Same Graph client and authentication as the provider (ADDIN_CREDENTIALS_GRAPH_URL,
// ADDIN_CREDENTIALS_GRAPH_TOKEN, else DefaultAzureCredential). It never writes.
//
// Exit codes: 0 nothing to act on; 1 an entry will break the add-in, or the current secret
// expires within --warn-days (or there is no valid Sign key at all); 2 usage error, or the
// inventory could not be read (unknown client id, Graph failure).
import { parseCommandLine } from "./cli";
import { classifyCredentials, InventoryEntry, MANAGED_DISPLAY_NAME_PREFIX, setPrefix } from "../components/classify";
import { directoryClient } from "../components/graph/directoryClock";
import { graphClientOptionsFromEnv } from "../components/graph/client";
import { readCredentials } from "../components/graph/credentials";
import { TargetNotFoundErrorName } from "../components/graph/errors";
import { isGuid, resolveTarget } from "../components/graph/target";

const DAY_MS = 86_400_000;

/** Default of `--warn-days`. */
export const DEFAULT_WARN_DAYS = 30;

const USAGE = `Usage: npm run inventory -- --client-id <id> [options]

Prints every key and password entry on the add-in's Entra object (the Legacy service principal,
or the application behind an application-backed one), classified, with the risk each poses.
Read-only. Uses ADDIN_CREDENTIALS_GRAPH_TOKEN (else DefaultAzureCredential) like the provider.

Options:
  --client-id <id>     the add-in's client id (GUID)                          required
  --graph <url>        Graph base URL without /v1.0 (overrides ADDIN_CREDENTIALS_GRAPH_URL)
  --set-name <name>    only this AddInCredentialSet's entries count as managed  default: any addin-credentials/ entry
  --warn-days <n>      exit 1 when the current secret expires within n days   default ${DEFAULT_WARN_DAYS}
  --json               print JSON instead of a table
  --help               this text

Exit codes: 0 fine; 1 an entry will break the add-in, or the current secret expires within
--warn-days; 2 usage error, unknown client id, or Graph failure.
`;

/** Parsed command line. */
export interface InventoryArgs {
    readonly clientId: string;
    readonly graph?: string;
    readonly setName?: string;
    readonly warnDays: number;
    readonly json: boolean;
}

/** Parses argv (without node and script); throws an Error with a usable message on a usage error. */
export function parseInventoryArgs(argv: readonly string[]): InventoryArgs | "help" {
    const values = parseCommandLine(argv, {
        "client-id": { type: "string" },
        graph: { type: "string" },
        "set-name": { type: "string" },
        "warn-days": { type: "string" },
        json: { type: "boolean" },
    });
    if (values === "help") {
        return "help";
    }
    const clientId = values["client-id"];
    if (clientId === undefined) {
        throw new Error("--client-id is required: the add-in's client id (GUID).");
    }
    if (!isGuid(clientId)) {
        throw new Error(`--client-id must be the add-in's client id, a GUID; got "${clientId}".`);
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
    return { clientId, graph, setName: values["set-name"], warnDays, json: values.json ?? false };
}

/** Display names that count as managed: this set's, or every addin-credentials one. Pure. */
export function managedDisplayNames(entries: readonly { displayName?: string | null }[], setName?: string): string[] {
    const prefix = setName === undefined ? `${MANAGED_DISPLAY_NAME_PREFIX}/` : setPrefix(setName);
    return [...new Set(entries.map((e) => e.displayName ?? "").filter((n) => n.startsWith(prefix)))];
}

/**
 * What needs attention, in words, and the exit code: risks, then the expiry of the newest valid
 * managed generation (or, without one, of the newest valid Sign key). Pure.
 */
export function assessInventory(entries: readonly InventoryEntry[], now: Date, warnDays: number): { exitCode: 0 | 1; problems: string[] } {
    const problems = entries.filter((e) => e.risk !== undefined).map((e) => `${e.kind} ${e.keyId}: ${e.risk}`);
    const t = now.getTime();
    const validSign = entries.filter((e) => e.kind === "key" && e.type === "Symmetric" && e.usage === "Sign" && Date.parse(e.endDateTime) > t);
    const managed = validSign.filter((e) => e.classification === "managed");
    const pool = managed.length > 0 ? managed : validSign;
    const newest = [...pool].sort((a, b) => Date.parse(b.startDateTime) - Date.parse(a.startDateTime))[0];
    if (newest === undefined) {
        problems.push("no valid Symmetric Sign key on the object: SharePoint cannot sign context tokens for this add-in.");
    } else {
        const daysLeft = Math.floor((Date.parse(newest.endDateTime) - t) / DAY_MS);
        if (daysLeft < warnDays) {
            const what = managed.length > 0 ? `the newest managed generation (${newest.displayName})` : `the newest valid Sign key ${newest.keyId}`;
            problems.push(`${what} expires on ${newest.endDateTime.slice(0, 10)}, in ${daysLeft} day(s) (--warn-days ${warnDays}).`);
        }
    }
    return { exitCode: problems.length > 0 ? 1 : 0, problems };
}

/** The classified entries as a fixed-width table (risk last, unpadded). Pure. */
export function formatInventoryTable(entries: readonly InventoryEntry[]): string {
    const header = ["keyId", "kind", "type", "usage", "display name", "start", "end", "classification", "risk"];
    const rows = entries.map((e) => [
        e.keyId,
        e.kind,
        e.type,
        e.usage || "-",
        e.displayName || "-",
        e.startDateTime.slice(0, 10) || "-",
        e.endDateTime.slice(0, 10) || "-",
        e.classification + (e.adopted ? " (adopted)" : ""),
        e.risk ?? "",
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Runs the command; returns the exit code. Writes the report to `out`, messages to `err`. */
export async function runInventory(argv: readonly string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<number> {
    let args: InventoryArgs | "help";
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
        const { client, directoryNow } = directoryClient(options);
        const target = await resolveTarget(client, args.clientId, { notFoundReads: 1 });
        const view = await readCredentials(client, target, "read credentials for inventory");
        if (view === undefined) {
            err(`inventory: ${target.label} (client id ${args.clientId}) disappeared while reading it.\n`);
            return 2;
        }
        const now = directoryNow();
        const declared = managedDisplayNames([...view.keyCredentials, ...view.passwordCredentials], args.setName);
        const entries = classifyCredentials(view, { now, setName: args.setName, declaredDisplayNames: declared, gracePeriodDays: 0 });
        const { exitCode, problems } = assessInventory(entries, now, args.warnDays);
        if (args.json) {
            out(`${JSON.stringify({ clientId: args.clientId, target: { kind: target.kind, objectId: target.objectId }, now: now.toISOString(), entries, problems, exitCode }, null, 2)}\n`);
        } else {
            out(`${target.label} (client id ${args.clientId}), directory time ${now.toISOString()}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}\n\n`);
            out(`${formatInventoryTable(entries)}\n\n`);
            out(problems.length === 0 ? "OK: no entry will break the add-in, and the current secret is not due.\n" : `${problems.map((p) => `ATTENTION: ${p}`).join("\n")}\n`);
        }
        return exitCode;
    } catch (e) {
        const error = e as Error;
        err(`inventory: ${error.name === TargetNotFoundErrorName ? error.message : `could not read the inventory: ${error.message}`}\n`);
        return 2;
    }
}

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
