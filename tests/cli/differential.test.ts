// The engine stand-in (engine/) against the real Pulumi CLI (cli/): the same days of one stack, from
// the same stack files, against the emulator started afresh for each side, and what matters
// compared command by command: the exit status, the steps (op and URN), the Graph writes in order,
// and the credentials on the objects. docs/ENGINE.md "Differences from the real engine" lists what
// is left out of the comparison, and why.
//
// What "the steps" are on each side:
// - The real CLI reports a step as a resourcePreEvent in its --event-log; for `pulumi preview` the
//   log holds the preview's steps, for `pulumi up --yes` only the update's (not its preview's). Its
//   ops are the engine's StepOp names (pkg/resource/deploy/step.go): same, create, update, replace,
//   create-replacement, delete-replaced, delete, refresh, read, ...
// - The stand-in records the same ops under the same names (engine/deployment.ts `StepOp`):
//   `preview.steps` of a preview, `update.steps` of an up (its preview is not compared, since the
//   CLI's log does not show it). It has no `read` op (a ReadStep is a resource read with `get`,
//   which this program never does), so a `read` from the CLI shows as a difference.
// - Left out on the CLI's side: the default providers' own steps (pulumi:providers:*, which the
//   stand-in does not keep as resources) and the stack's root resource (pulumi:pulumi:Stack, which
//   the stand-in does not register: it holds the stack's outputs itself).
// - "same" is a step in both, and is compared like every other op: a SameStep the CLI reports for a
//   resource must be a `same` of the same URN in the stand-in, not a missing step.
// - A step that failed is compared apart: the CLI reports its start (resourcePreEvent) and its
//   failure (resOpFailedEvent); the stand-in lists it in `failedSteps`, not in `steps`.
// - Steps are compared as sorted lists of "op urn": both run independent chains in parallel, so
//   the order in which steps start is not fixed on either side; the order that matters to the
//   tenant is that of the Graph writes, compared as it happened.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CliResult, CliStep, RealProject, resourceSteps } from "../../cli/realProject";
import { Step } from "../../engine/deployment";
import { readProjectFile } from "../../engine/project";
import { EngineStack, EXIT } from "../../engine/stack";
import { stackConfig } from "../../engine/stackFile";
import { Lab, startLab } from "../../tools/lab";

const DAY = 86_400_000;
const T0 = Date.parse("2026-12-01T06:00:00Z");
/** Days between generations with the defaults: ceil((1095 + 7) / 2). */
const INTERVAL = 551;
const PROJECT_DIR = path.join(__dirname, "..", "..");

/** The add-ins of the script, each a Legacy service principal with this client id on both sides. */
const ADD_INS = {
    "hr-portal": { clientId: "3f2b8c1e-7d4a-4e6b-9a15-2c8d0e7f4b63", firstGenerationStart: "2026-12-01" },
    crm: { clientId: "5e8d3a17-c2f9-4b06-a4e1-0f7b9c2d6e38", firstGenerationStart: isoDate(T0 + (INTERVAL + 1) * DAY) },
} as const;
type AddInName = keyof typeof ADD_INS;

/** What the emulator holds, for a command's arrangement. */
interface Tenant {
    readonly lab: Lab;
    /** Object id of each add-in's service principal. */
    readonly objects: Readonly<Record<AddInName, string>>;
}

/** One command of the script. */
interface Command {
    readonly scenario: string;
    /** The CLI's arguments; the stand-in runs the same command. */
    readonly args: readonly string[];
    /** The emulator's clock. */
    readonly at: number;
    /** The stack file's `config:` body, or the add-ins it declares. */
    readonly stack: readonly AddInName[] | string;
    /** What happens in the tenant before the command (a key deleted by hand, a policy). */
    readonly arrange?: (tenant: Tenant) => void;
}

const PREVIEW = ["preview"];
const NO_CHANGES = ["preview", "--expect-no-changes"];
const UP = ["up", "--yes"];

const SCRIPT: readonly Command[] = [
    { scenario: "a stack file the CLI refuses", args: PREVIEW, at: T0, stack: "  addin-credentials:addins: hr-portal\n" },
    { scenario: "first deployment", args: PREVIEW, at: T0, stack: ["hr-portal"] },
    { scenario: "first deployment", args: UP, at: T0, stack: ["hr-portal"] },
    { scenario: "a no-op day", args: NO_CHANGES, at: T0 + DAY, stack: ["hr-portal"] },
    {
        scenario: "a key deleted by hand", args: NO_CHANGES, at: T0 + 2 * DAY, stack: ["hr-portal"],
        arrange: ({ lab, objects }) => {
            const holder = lab.emu.tenant.get(objects["hr-portal"]);
            assert.ok(holder);
            holder.keyCredentials = holder.keyCredentials.filter((k) => k.usage !== "Sign");
        },
    },
    { scenario: "a key deleted by hand", args: UP, at: T0 + 2 * DAY, stack: ["hr-portal"] },
    { scenario: "the rotation day", args: UP, at: T0 + INTERVAL * DAY, stack: ["hr-portal"] },
    {
        scenario: "an up that fails", args: UP, at: T0 + (INTERVAL + 1) * DAY, stack: ["hr-portal", "crm"],
        arrange: ({ lab }) => lab.emu.faults.policy({ blockSymmetricKeyAddition: true }),
    },
    {
        scenario: "the run after it", args: UP, at: T0 + (INTERVAL + 2) * DAY, stack: ["hr-portal", "crm"],
        arrange: ({ lab }) => lab.emu.faults.policy(null),
    },
    { scenario: "an add-in removed from the stack", args: UP, at: T0 + (INTERVAL + 3) * DAY, stack: ["hr-portal"] },
];

/** What one command did, in the terms both sides share. */
interface Observed {
    readonly command: string;
    readonly exit: number;
    /** "op urn" of the steps that finished, sorted. */
    readonly steps: readonly string[];
    /** "op urn" of the steps that failed. */
    readonly failedSteps: readonly string[];
    /** "METHOD operation status" of every non-GET Graph request, in order. */
    readonly writes: readonly string[];
    /** Each add-in's credentials, keyIds and secrets left out. */
    readonly objects: Readonly<Record<string, readonly string[]>>;
    /** What the command printed as its failure (the stand-in's error; the CLI's whole output). */
    readonly failure: string;
    readonly ms: number;
}

describe("the engine stand-in against the real Pulumi CLI", function () {
    this.timeout(900_000);
    let lab: Lab;
    let standIn: Observed[];
    let real: Observed[];

    before(async () => {
        lab = await startLab();
        standIn = await runScript(lab, standInSide(lab));
        real = await runScript(lab, await realSide(lab));
        printTimings(standIn, real);
    });

    after(async () => {
        await lab?.close();
    });

    it("runs every command of the script on both sides", () => {
        assert.deepEqual(real.map((o) => o.command), SCRIPT.map(describeCommand));
        assert.deepEqual(standIn.map((o) => o.command), SCRIPT.map(describeCommand));
    });

    SCRIPT.forEach((command, i) => {
        it(`${command.scenario}: ${command.args.join(" ")} does what the CLI does`, () => {
            const [mine, theirs] = [standIn[i], real[i]];
            const compared = (o: Observed) => ({ exit: o.exit, steps: o.steps, failedSteps: o.failedSteps, writes: o.writes, objects: o.objects });
            assert.deepEqual(compared(mine), compared(theirs), `the CLI printed:\n${theirs.failure}\nthe stand-in: ${mine.failure}`);
            if (mine.exit !== 0) {
                // The stand-in's error is the line the CLI prints after "error: " (object and request ids aside).
                const [firstLine, cliOutput] = [withoutIds(mine.failure.split("\n")[0]), withoutIds(theirs.failure)];
                assert.ok(firstLine !== "" && cliOutput.includes(`error: ${firstLine}`), `the CLI printed:\n${theirs.failure}\nthe stand-in: ${mine.failure}`);
            }
        });
    });

    it("the script exercises what it says: the refusal, the drift, the failure, the repair and the removal", () => {
        const by = (scenario: string, args: readonly string[]) => standIn[SCRIPT.findIndex((c) => c.scenario === scenario && c.args === args)];
        assert.match(by("a stack file the CLI refuses", PREVIEW).failure, /^validating stack config: Stack 'dev' with configuration key 'addins' must be of type 'array<object>'/);
        assert.equal(by("a no-op day", NO_CHANGES).exit, EXIT.success);
        assert.equal(by("a key deleted by hand", NO_CHANGES).exit, EXIT.noChangesExpected);
        assert.ok(by("a key deleted by hand", UP).writes.length > 0, "the repair writes the key back");
        assert.ok(by("the rotation day", UP).steps.some((s) => s.startsWith("create ") && s.endsWith("::hr-portal-slot-b")), "generation 1 in slot b");
        assert.notEqual(by("an up that fails", UP).exit, EXIT.success);
        assert.ok(by("an up that fails", UP).writes.some((w) => / 4\d\d$/.test(w)), "Graph refused a write");
        assert.equal(by("the run after it", UP).exit, EXIT.success);
        assert.ok(by("an add-in removed from the stack", UP).steps.some((s) => s.startsWith("delete ") && s.endsWith("::crm-slot-a")));
    });
});

/** One side of the comparison: runs a command, says what it returned. */
interface Side {
    readonly name: string;
    run(command: Command, stackText: string): Promise<{ exit: number; steps: readonly string[]; failedSteps: readonly string[]; failure: string }>;
    close(): void;
}

/** Runs the whole script on a side, against a freshly reset emulator with the script's add-ins. */
async function runScript(lab: Lab, side: Side): Promise<Observed[]> {
    lab.emu.reset();
    const objects = Object.fromEntries(Object.entries(ADD_INS).map(([name, a]) => [name, lab.emu.tenant.addLegacyServicePrincipal({ appId: a.clientId, displayName: name }).id])) as Record<AddInName, string>;
    const observed: Observed[] = [];
    try {
        for (const command of SCRIPT) {
            lab.emu.clock.freeze(new Date(command.at));
            command.arrange?.({ lab, objects });
            const before = lab.emu.requests.length;
            const started = performance.now();
            const { exit, steps, failedSteps, failure } = await side.run(command, stackFileText(command.stack));
            const ms = performance.now() - started;
            observed.push({
                command: describeCommand(command),
                exit,
                steps,
                failedSteps,
                writes: lab.emu.requests.slice(before).filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.operation} ${String(r.status)}`),
                objects: Object.fromEntries(Object.entries(objects).map(([name, id]) => [name, credentialsOf(lab, id)])),
                failure,
                ms,
            });
        }
    } finally {
        side.close();
    }
    return observed;
}

/** The stand-in, from the same stack file (engine/stackFile.ts `stackConfig`: Pulumi.yaml merged and checked as the CLI does). */
function standInSide(lab: Lab): Side {
    const project = readProjectFile(PROJECT_DIR);
    const stack: EngineStack = lab.newStack({ stack: "dev" });
    return {
        name: "stand-in",
        async run(command, text) {
            let config: Record<string, string>;
            try {
                config = stackConfig(text, project, "dev");
            } catch (e) {
                return { exit: EXIT.error, steps: [], failedSteps: [], failure: (e as Error).message };
            }
            if (command.args[0] === "preview") {
                const result = await stack.preview({ config, expectNoChanges: command.args.includes("--expect-no-changes") });
                return { exit: result.exitCode, steps: described(result.preview.steps), failedSteps: described(result.preview.failedSteps), failure: result.error ?? "" };
            }
            const result = await stack.up({ config });
            const run = result.update ?? result.preview;
            return { exit: result.exitCode, steps: described(run.steps), failedSteps: described(run.failedSteps), failure: result.error ?? "" };
        },
        close: () => undefined,
    };
}

/** The real CLI, in a project of its own: `pulumi stack init dev`, then each command with its stack file. */
async function realSide(lab: Lab): Promise<Side> {
    // Transpile-only: the type check is `npm run typecheck`'s job, and the stand-in does not do it either.
    const project: RealProject = await lab.newRealProject({ transpileOnly: true });
    const init = await project.pulumi(["stack", "init", "dev", "--secrets-provider", "passphrase"]);
    assert.equal(init.code, 0, init.stderr);
    const salt = fs.readFileSync(project.stackFile("dev"), "utf8");
    return {
        name: "real CLI",
        async run(command, text) {
            fs.writeFileSync(project.stackFile("dev"), `${salt}${text}`);
            const result: CliResult = await project.pulumi(command.args, { eventLog: true });
            const failed = described(resourceSteps(result.failedSteps));
            const steps = described(resourceSteps(result.steps).filter((s) => s.type !== "pulumi:pulumi:Stack")).filter((s) => !failed.includes(s));
            return { exit: result.code, steps, failedSteps: failed, failure: result.code === 0 ? "" : result.stdout + result.stderr };
        },
        close: () => project.close(),
    };
}

function described(steps: readonly (Step | CliStep)[]): string[] {
    return steps.map((s) => `${s.op} ${s.urn}`).sort();
}

/** The stack file's text after the CLI's salt line: the add-ins' entries, or a body as given. */
function stackFileText(stack: Command["stack"]): string {
    if (typeof stack === "string") {
        return `config:\n${stack}`;
    }
    const entries = stack.map((name) => [`    - name: ${name}`, `      clientId: ${ADD_INS[name].clientId}`, `      firstGenerationStart: "${ADD_INS[name].firstGenerationStart}"`].join("\n"));
    return ["config:", "  addin-credentials:addins:", ...entries, ""].join("\n");
}

/** An object's credentials without what is random (keyIds, key bytes, secret texts), sorted. */
function credentialsOf(lab: Lab, objectId: string): string[] {
    const creds = lab.emu.tenant.credentials(objectId);
    return [
        ...creds.keyCredentials.map((k) => `${k.type}/${k.usage} ${k.displayName ?? ""} ${k.startDateTime}..${k.endDateTime} added ${k.createdDateTime}`),
        ...creds.passwordCredentials.map((p) => `Password ${p.displayName ?? ""} ${p.startDateTime}..${p.endDateTime} added ${p.createdDateTime}`),
    ].sort();
}

/** Masks GUIDs (object ids, Graph request ids), which differ between the two sides' tenants. */
function withoutIds(text: string): string {
    return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>");
}

function describeCommand(command: Command): string {
    return `${isoDate(command.at)} pulumi ${command.args.join(" ")}`;
}

function printTimings(standIn: readonly Observed[], real: readonly Observed[]): void {
    const rows = standIn.map((o, i) => `  ${o.command.padEnd(48)} real CLI ${(real[i].ms / 1000).toFixed(1).padStart(5)} s   stand-in ${Math.round(o.ms).toString().padStart(5)} ms`);
    console.log(["  wall time of each command (one run, this machine):", ...rows].join("\n"));
}

function isoDate(ms: number): string {
    return new Date(ms).toISOString().slice(0, 10);
}
