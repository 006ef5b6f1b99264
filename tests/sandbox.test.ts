// `npm run sandbox` in short: years of simulated pipeline days against the emulator (the deploy
// job's pulumi up, preview then update, and the drift job 12 hours later), through the real
// program (component), the naive replacement and the seed's manual procedure it is compared with,
// on the engine stand-in and (`--engine real`) on the real Pulumi CLI. Runs are a week or two
// apart to keep the suite quick; the add-in is still checked every hour.
// Engine: both. The stand-in for the years, the strategies compared with the component and the
// scenarios, which are hundreds of runs; the real CLI (--engine real) for the days the two must
// agree on, with the stand-in's summary and timeline required to match.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { parseArgs } from "../tools/sandbox";
import { loadScenario, runSandbox, SandboxSummary } from "../tools/sandboxCore";

const engineHealthy = (s: SandboxSummary) => [s.previewFailures, s.updateFailures, s.planMismatches, s.driftJobRedDays];

describe("npm run sandbox", function () {
    this.timeout(240_000);

    it("component: every preview succeeds and plans what its update does, the drift job stays green, no failed hourly check over 4 years, at most six entries", async () => {
        const lines: string[] = [];
        const s = await runSandbox({ years: 4, runEveryDays: 14, strategy: "component", onLine: (l) => lines.push(l) });

        assert.deepEqual(engineHealthy(s), [0, 0, 0, 0], lines.join("\n"));
        assert.equal(s.engineRuns, 3 * s.runs, "a preview and an update for the deploy job, a preview for the drift job, every day");
        assert.equal(s.authFailures, 0, JSON.stringify(s.outages));
        // The default scenario seeds three unmanaged entries (the adopted secret, valid until
        // 2027-12-01) beside generation 0: six entries while they overlap. The inventory removes
        // them after their end + grace, long before generation 1 is created (2028-05-30).
        assert.ok(s.maxManagedCredentials <= 6, `maxManagedCredentials ${s.maxManagedCredentials}`);
        assert.ok(s.maxCredentials <= 6, `maxCredentials ${s.maxCredentials}`);
        assert.equal(s.expiredLeftOver, 0);
        assert.ok(s.rotations >= 2, `rotations ${s.rotations}`);
        // The timeline names secrets, never shows them (not even a prefix), and says why each entry went.
        const secretLines = lines.filter((l) => /(start|deploy): .*ClientSecret/.test(l));
        assert.ok(secretLines.length >= 3, lines.join("\n"));
        for (const l of secretLines) {
            assert.match(l, /ClientSecret (secret #\d+|\(none\)), SecondaryClientSecret (secret #\d+|\(none\))$/);
        }
        const removals = lines.filter((l) => l.includes("Entra: removed"));
        assert.ok(removals.length >= 2, lines.join("\n"));
        for (const l of removals) {
            assert.match(l, /, because the inventory: (expired on|retired: generation \d+ expired)/);
        }
        // Quiet on days when nothing happened: far fewer timeline lines than days.
        assert.ok(lines.length < s.runs, `${lines.length} lines for ${s.runs} days`);
    });

    it("gives the same summary with a fresh provider process per run as with one recycled process", async () => {
        const options = { years: 0.1, runEveryDays: 7, strategy: "component" as const };
        const recycled = await runSandbox(options);
        const fresh = await runSandbox({ ...options, freshProcesses: true });

        const comparable = ({ wallSeconds: _w, ...rest }: SandboxSummary) => rest;
        assert.deepEqual(comparable(fresh), comparable(recycled));
    });

    it('component on the seed\'s scenario (cleanup "unmanaged"): service restored within 24 h of the first run, nothing expired left', async () => {
        const s = await runSandbox({ years: 0.5, runEveryDays: 7, strategy: "component", scenario: loadScenario(path.join(__dirname, "..", "tools", "scenarios", "seed.json")) });

        // The add-in is down at the start (its secret expired yesterday). The first run adds a
        // generation and removes the lingering older Sign key; SharePoint signs with the new key
        // once it has propagated (24 h), and nothing breaks it afterwards.
        assert.deepEqual(engineHealthy(s), [0, 0, 0, 0]);
        assert.equal(s.outages.length, 1, JSON.stringify(s.outages));
        assert.equal(s.outages[0].from, "2026-11-26T06:00:00.000Z");
        assert.ok(s.outages[0].hours <= 24, `outage of ${s.outages[0].hours} h`);
        assert.equal(s.expiredLeftOver, 0);
        assert.ok(s.maxCredentials <= 6, `maxCredentials ${s.maxCredentials}`);
    });

    it("replace: a plain create-before-delete replacement breaks the add-in at its rotation", async () => {
        const s = await runSandbox({ years: 3, runEveryDays: 14, strategy: "replace" });

        assert.ok(s.authFailures > 0, "expected failed hourly checks");
        assert.ok(s.authFailures <= 24 * s.outages.length, `authFailures ${s.authFailures} over ${s.outages.length} outage(s)`);
        assert.equal(s.rotations, 1);
    });

    it("seed: the manual procedure acts only after the secret expired and the add-in failed, then waits out the propagation", async () => {
        const lines: string[] = [];
        const s = await runSandbox({ years: 1.2, runEveryDays: 1, strategy: "seed", onLine: (l) => lines.push(l) });

        // The adopted secret ends 2027-12-01T00:00Z; the operator notices at the next daily run
        // (06:00) and the new key needs 24 h: 30 failed hours.
        assert.deepEqual(s.outages.map((o) => [o.from, o.hours]), [["2027-12-01T00:00:00.000Z", 30]]);
        assert.equal(s.engineRuns, 0, "the seed's procedure is manual: no pulumi");
        assert.ok(lines.some((l) => /^2027-12-01 {2}operator: the add-in has been failing since 2027-12-01T00:00Z; following the seed/.test(l)), lines.join("\n"));
        assert.ok(lines.some((l) => /^2027-12-01 {2}Entra: removed 3 × unmanaged, because the seed's procedure removes every credential of the object$/.test(l)), lines.join("\n"));
    });

    it("rejects bad options with a message naming the option", () => {
        assert.throws(() => parseArgs(["--years", "0"]), /--years must be/);
        assert.throws(() => parseArgs(["--run-every", "1.5"]), /--run-every must be/);
        assert.throws(() => parseArgs(["--strategy", "yolo"]), /--strategy must be one of component, replace, seed/);
        assert.throws(() => parseArgs(["--scenario"]), /--scenario needs a value/);
        assert.throws(() => parseArgs(["--fast"]), /unknown option "--fast"/);
        assert.equal(parseArgs(["--help"]), "help");
        assert.deepEqual(parseArgs(["--years=2", "--run-every", "3", "--strategy", "seed", "--json", "--scenario", "tools/scenarios/seed.json", "--fresh-processes"]), {
            years: 2, runEvery: 3, strategy: "seed", scenario: path.resolve("tools/scenarios/seed.json"), json: true, freshProcesses: true, engine: "stand-in",
        });
        assert.throws(() => parseArgs(["--engine", "cloud"]), /^Error: --engine must be one of stand-in, real; got "cloud"\.$/);
        assert.equal((parseArgs(["--engine", "real", "--years", "1"]) as { engine: string }).engine, "real");
    });

    it("throws when --engine real is asked of another strategy than component, or with --fresh-processes", async () => {
        assert.throws(() => parseArgs(["--engine", "real", "--strategy", "replace"]), {
            message: "--engine real runs the repository's program (index.ts) on the Pulumi CLI, so only --strategy component; got --strategy replace " +
                "(its program, tools/strategies/replaceProgram.ts, is not a Pulumi project of its own). Run it with --engine stand-in.",
        });
        assert.throws(() => parseArgs(["--engine", "real", "--fresh-processes"]), {
            message: "--fresh-processes applies to the engine stand-in only: the Pulumi CLI starts its own provider processes for every run. Leave it out with --engine real.",
        });
        // The same check guards the programmatic entry, before anything starts.
        await assert.rejects(runSandbox({ engine: "real", strategy: "seed", years: 0.1 }), /only --strategy component; got --strategy seed \(the seed's procedure runs no Pulumi\)/);
    });
});

describe("npm run sandbox -- --engine real", function () {
    // A real `pulumi up` takes 10 to 60 s on a loaded 2-core machine; this runs 4 days (12 engine runs).
    this.timeout(1_500_000);

    it("runs on the Pulumi CLI only the days on which something happens, and agrees with the stand-in across the adopted secret's end and the first rotation", async () => {
        // GIVEN the default scenario (an adopted secret valid until 2027-12-01, generation 0 from
        // 2026-11-26, generation 1 on 2028-05-30) with weekly deploy jobs over 1.55 years
        const options = { years: 1.55, runEveryDays: 7, strategy: "component" as const };
        const realLines: string[] = [];
        const standInLines: string[] = [];

        // WHEN it runs on the real CLI, and on the stand-in
        const real = await runSandbox({ ...options, engine: "real", onLine: (l) => realLines.push(l) });
        const standIn = await runSandbox({ ...options, engine: "stand-in", onLine: (l) => standInLines.push(l) });

        // THEN what the stand-in test asserts holds on the real CLI
        assert.deepEqual(engineHealthy(real), [0, 0, 0, 0], realLines.join("\n"));
        assert.equal(real.authFailures, 0, JSON.stringify(real.outages));
        assert.equal(real.rotations, 1, realLines.join("\n"));
        assert.equal(real.expiredLeftOver, 0);
        assert.ok(real.maxCredentials <= 6, `maxCredentials ${real.maxCredentials}`);
        // AND only four days ran, each for the reason the sandbox gives: the first; the adopted
        // secret's end (the plan's next action); its removal 7 days later, which the inventory does
        // and nextActionDate does not announce; generation 1. Each a pulumi up and a drift job.
        assert.deepEqual(realLines.filter((l) => /^\S+ {2}run: /.test(l)), [
            "2026-11-26  run: the first day",
            "2027-12-02  run: nextActionDate 2027-12-01T00:00Z: the adopted secret expires (adoptedSecretEndDateTime) and is no longer delivered",
            "2027-12-09  run: an entry (unmanaged) ended gracePeriodDays (7) ago, 2027-12-08T00:00Z: the inventory's cleanup",
            "2028-06-01  run: nextActionDate 2028-05-30T06:00Z: generation 1 is created in slot b; generation 0 expires 544 days later",
        ]);
        assert.equal(real.runs - real.skippedDays, 4);
        assert.equal(real.engineRuns, 3 * 4, "a preview and an update for the deploy job, a preview for the drift job, on each day run");

        // AND its summary is the stand-in's but for the fields that legitimately differ: engine;
        // engineRuns and skippedDays (the stand-in runs every one of the 81 days, the CLI only the
        // 4 on which something happens); graphRequests (every run refreshes over Graph, so fewer
        // runs send fewer requests); wallSeconds (a CLI run costs 10-60 s, a stand-in day 0.3 s);
        // notes (the real engine adds its own). Everything measured on the add-in and the object
        // (authFailures, outages, samples, fullChecks, maxCredentials, expiredLeftOver, rotations)
        // and every failure count must agree.
        const comparable = ({ engine: _e, engineRuns: _r, skippedDays: _s, graphRequests: _g, wallSeconds: _w, notes: _n, ...rest }: SandboxSummary) => rest;
        assert.deepEqual(comparable(real), comparable(standIn));
        assert.deepEqual([real.engine, real.skippedDays, standIn.engine, standIn.skippedDays, standIn.engineRuns], ["real", 77, "stand-in", 0, 3 * 81]);
        // AND the timelines record the same changes on the same days (within a day, the order of
        // steps run in parallel may differ), but for the first line (which engine), the real
        // engine's "run:" lines, and the root stack resource's create on the first day: the CLI
        // counts pulumi:pulumi:Stack as a resource, which the stand-in does not model.
        const changesByDay = (lines: readonly string[]) => {
            const byDay: Record<string, string[]> = {};
            for (const l of lines.slice(1).filter((x) => !/^\S+ {2}(run: |pulumi: create Stack )/.test(x))) {
                (byDay[l.slice(0, 10)] ??= []).push(l);
            }
            return Object.fromEntries(Object.entries(byDay).map(([day, ls]) => [day, ls.sort()]));
        };
        assert.deepEqual(changesByDay(realLines), changesByDay(standInLines));
        assert.ok(realLines.includes("2026-11-26  pulumi: create Stack addin-credentials-sandbox"), realLines.join("\n"));
    });
});
