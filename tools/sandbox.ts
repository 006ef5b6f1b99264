// `npm run sandbox -- [options]`: the credential lifecycle over years on the embedded emulator
// with a simulated clock (see tools/sandboxCore.ts for what is simulated and the scenario format).
import * as path from "node:path";
import { parseCommandLine } from "./cli";
import { checkEngineOptions, DEFAULT_SCENARIO_PATH, EngineKind, ENGINES, loadScenario, runSandbox, SandboxSummary, STRATEGIES, Strategy } from "./sandboxCore";

const USAGE = `Usage: npm run sandbox -- [options]

Simulates the pipelines' days against the embedded Graph + ACS emulator with a simulated clock:
the deploy job (\`pulumi up --yes\`: preview, then update) and, 12 hours later, the drift job
(\`pulumi preview --refresh --expect-no-changes\`), on the engine stand-in or the real Pulumi CLI;
checks the add-in every simulated hour and prints a timeline (only days on which something
happened) and a summary.

Options:
  --years <n>            simulated years (positive number, at most 20)        default 6
  --run-every <days>     days between runs (positive integer, at most 60)       default: the scenario's, else 1
  --strategy <name>      component | replace | seed                             default component
                           component: the real program (index.ts)
                           replace:   one generation, plain create-before-delete replacement
                           seed:      the manual procedure (remove everything, add a new set)
  --scenario <file>      starting state (JSON; format at the top of tools/sandboxCore.ts)
                                                                default tools/scenarios/default.json
  --engine <name>        stand-in | real                                      default stand-in
                           stand-in: the engine stand-in (engine/) in this process; every day
                                     runs its two jobs (about 0.3 s a day)
                           real:     the Pulumi CLI (npm run pulumi) in a project folder, file://
                                     backend and home of its own; a run takes 10-60 s, so only the
                                     days on which something can happen run (below); component only
  --fresh-processes      stand-in only: a new provider process for every engine run, as the
                         engine does (slow: about 0.25 s of CPU each), instead of one recycled one
  --json                 print only the summary, as JSON (no timeline, no progress)
  --help                 this text

With --engine real, a day runs (its deploy job, and its drift job 12 hours later; a "run:" line
says why) when it is the first day, when the last day that ran failed (a deploy job failed or a
drift job was red: the next day's pipeline runs again), or when one of these comes after the last
job that ran and by the day's drift job: the program's next action (the stack output
addins.<name>.nextActionDate), its currentExpiry, currentExpiry minus rotateBeforeExpiryDays; the
end of an entry on the object that the add-in's set did not create; the end + gracePeriodDays of
any entry (the inventory's cleanup, which nextActionDate does not announce). The other days are
skipped (counted as skippedDays): the plan is a pure function of the config and the clock, the
inventory's of the object and the clock, and nothing else writes to the object. Faults are injected
before each day that runs; outages make no day run (the program does not look at the add-in's
health). The add-in is checked every hour of every day with either engine. planMismatches on the
real CLI compares the resources that the preview of \`pulumi up --json\` plans to change with those
its update changed (no extra run); engineRuns counts the CLI's previews and updates.
`;

interface Args {
    years: number;
    runEvery: number | undefined;
    strategy: Strategy;
    scenario: string;
    json: boolean;
    freshProcesses: boolean;
    engine: EngineKind;
}

/** Parses argv (without node and script); throws an Error with a usable message. */
export function parseArgs(argv: readonly string[]): Args | "help" {
    const values = parseCommandLine(argv, {
        years: { type: "string" },
        "run-every": { type: "string" },
        strategy: { type: "string" },
        scenario: { type: "string" },
        json: { type: "boolean" },
        "fresh-processes": { type: "boolean" },
        engine: { type: "string" },
    });
    if (values === "help") {
        return "help";
    }
    const args: Args = {
        years: 6, runEvery: undefined, strategy: "component", scenario: DEFAULT_SCENARIO_PATH, json: values.json ?? false, freshProcesses: values["fresh-processes"] ?? false, engine: "stand-in",
    };
    if (values.years !== undefined) {
        const n = Number(values.years);
        if (!Number.isFinite(n) || n <= 0 || n > 20) {
            throw new Error(`--years must be a number greater than 0 and at most 20; got "${values.years}".`);
        }
        args.years = n;
    }
    if (values["run-every"] !== undefined) {
        const n = Number(values["run-every"]);
        if (!Number.isInteger(n) || n < 1 || n > 60) {
            throw new Error(`--run-every must be a whole number of days from 1 to 60; got "${values["run-every"]}".`);
        }
        args.runEvery = n;
    }
    if (values.strategy !== undefined) {
        if (!(STRATEGIES as readonly string[]).includes(values.strategy)) {
            throw new Error(`--strategy must be one of ${STRATEGIES.join(", ")}; got "${values.strategy}".`);
        }
        args.strategy = values.strategy as Strategy;
    }
    if (values.scenario !== undefined) {
        args.scenario = path.resolve(values.scenario);
    }
    if (values.engine !== undefined) {
        if (!(ENGINES as readonly string[]).includes(values.engine)) {
            throw new Error(`--engine must be one of ${ENGINES.join(", ")}; got "${values.engine}".`);
        }
        args.engine = values.engine as EngineKind;
    }
    checkEngineOptions(args.engine, args.strategy, args.freshProcesses);
    return args;
}

/** The summary as an aligned two-column table. */
export function summaryTable(s: SandboxSummary): string {
    const rows: [string, string][] = [
        ["strategy", s.strategy],
        ["engine", s.engine],
        ["simulated", `${s.start.slice(0, 10)} → ${s.end.slice(0, 10)} (${s.years} y, a run every ${s.runEveryDays} d)`],
        ["runs", `${s.runs}${s.skippedDays > 0 ? ` (${s.runs - s.skippedDays} run, ${s.skippedDays} skipped: nothing could happen)` : ""}`],
        ["hourly samples", String(s.samples)],
        ["authFailures", `${s.authFailures}${s.outages.length ? ` (${s.outages.length} outage(s): ${s.outages.map((o) => `${o.from.slice(0, 10)} ${o.hours} h`).join(", ")})` : ""}`],
        ["maxCredentials", `${s.maxCredentials}${s.maxManagedCredentials !== s.maxCredentials ? ` (${s.maxManagedCredentials} managed)` : ""}`],
        ["expiredLeftOver", `${s.expiredLeftOver}${s.expiredLeftOverUnmanaged ? ` (${s.expiredLeftOverUnmanaged} unmanaged)` : ""}`],
        ["previewFailures", String(s.previewFailures)],
        ["updateFailures", String(s.updateFailures)],
        ["planMismatches", String(s.planMismatches)],
        ["driftJobRedDays", String(s.driftJobRedDays)],
        ["engineRuns", String(s.engineRuns)],
        ["graphRequests", String(s.graphRequests)],
        ["rotations", String(s.rotations)],
        ["wall time", `${s.wallSeconds} s`],
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    const lines = rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`);
    return ["", "Summary", ...lines, ...s.notes.map((n) => `  note: ${n}`)].join("\n");
}

async function main(): Promise<number> {
    let args: Args | "help";
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`sandbox: ${(e as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (args === "help") {
        process.stdout.write(USAGE);
        return 0;
    }
    const a = args;
    let scenario;
    try {
        scenario = loadScenario(a.scenario);
    } catch (e) {
        process.stderr.write(`sandbox: ${(e as Error).message}\n`);
        return 2;
    }
    const progressOnTty = process.stderr.isTTY;
    const summary = await runSandbox({
        years: a.years,
        runEveryDays: a.runEvery,
        strategy: a.strategy,
        scenario,
        freshProcesses: a.freshProcesses,
        engine: a.engine,
        onLine: a.json ? undefined : (line) => {
            if (progressOnTty) process.stderr.write("\r\x1b[K");
            process.stdout.write(`${line}\n`);
        },
        onProgress: a.json ? undefined : (fraction, at) => {
            const text = `progress ${String(Math.round(fraction * 100)).padStart(3)}%  (simulated ${at.toISOString().slice(0, 7)})`;
            process.stderr.write(progressOnTty ? `\r\x1b[K${text}` : `${text}\n`);
        },
    });
    if (a.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
        if (progressOnTty) process.stderr.write("\r\x1b[K");
        process.stdout.write(`${summaryTable(summary)}\n`);
    }
    return 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`sandbox: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
            process.exit(1);
        },
    );
}
