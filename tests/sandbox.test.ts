// `npm run sandbox` in short: years of simulated runs against the emulator, through the real
// program (component) and the naive replacement it is compared with. Weekly runs keep it quick;
// the add-in is still checked every simulated hour.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { parseArgs } from "../tools/sandbox";
import { loadScenario, runSandbox } from "../tools/sandboxCore";

describe("npm run sandbox", function () {
    this.timeout(120_000);

    it("component: no failed hourly check over 4 years, at most six entries, nothing expired left, two rotations", async () => {
        // Runs every 14 days (the add-in is still checked hourly): each run now also refreshes,
        // checks and diffs the inventory through the provider host, and weekly runs took too long.
        const lines: string[] = [];
        const s = await runSandbox({ years: 4, runEveryDays: 14, strategy: "component", onLine: (l) => lines.push(l) });

        assert.equal(s.authFailures, 0, JSON.stringify(s.outages));
        // The default scenario seeds three unmanaged entries (the adopted secret, valid until
        // 2027-12-01) beside generation 0: six entries while they overlap. The default cleanup
        // ("expired") removes the adopted set after its end + grace (2027-12-08), long before
        // generation 1 is created (551 days after the start, 2028-05-30), so there are never more
        // than six, and nothing expired is left over, seeded or not.
        assert.ok(s.maxManagedCredentials <= 6, `maxManagedCredentials ${s.maxManagedCredentials}`);
        assert.ok(s.maxCredentials <= 6, `maxCredentials ${s.maxCredentials}`);
        assert.equal(s.expiredLeftOver, 0);
        assert.equal(s.expiredLeftOverUnmanaged, 0);
        assert.ok(s.rotations >= 2, `rotations ${s.rotations}`);
        assert.equal(s.outages.length, 0);
        assert.ok(s.graphRequests > 0);
        // The timeline names secrets, never shows them (not even a prefix).
        const secretLines = lines.filter((l) => /(start|deploy): .*ClientSecret/.test(l));
        assert.ok(secretLines.length >= 3, lines.join("\n"));
        for (const l of secretLines) {
            assert.match(l, /ClientSecret (secret #\d+|\(none\)), SecondaryClientSecret (secret #\d+|\(none\))$/);
        }
    });

    it('component on the seed\'s scenario (cleanup "unmanaged"): service restored within 24 h of the first run, nothing expired left', async () => {
        const s = await runSandbox({ years: 0.5, runEveryDays: 7, strategy: "component", scenario: loadScenario(path.join(__dirname, "..", "tools", "scenarios", "seed.json")) });

        // The add-in is down at the start (its secret expired yesterday). The first run adds a
        // generation and removes the lingering older Sign key; SharePoint signs with the new key
        // once it has propagated (24 h), and nothing breaks it afterwards.
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

    it("rejects bad options with a message naming the option", () => {
        assert.throws(() => parseArgs(["--years", "0"]), /--years must be/);
        assert.throws(() => parseArgs(["--run-every", "1.5"]), /--run-every must be/);
        assert.throws(() => parseArgs(["--strategy", "yolo"]), /--strategy must be one of component, replace, seed/);
        assert.throws(() => parseArgs(["--scenario"]), /--scenario needs a value/);
        assert.throws(() => parseArgs(["--fast"]), /unknown option "--fast"/);
        assert.equal(parseArgs(["--help"]), "help");
        assert.deepEqual(parseArgs(["--years=2", "--run-every", "3", "--strategy", "seed", "--json", "--scenario", "tools/scenarios/seed.json"]), {
            years: 2, runEvery: 3, strategy: "seed", scenario: path.resolve("tools/scenarios/seed.json"), json: true,
        });
    });
});
