// The scenarios of tools/scenarios/, through `npm run sandbox`: the planner's promise for gaps
// between runs, emergency rotations, onboarding, and the configurations it must refuse. Each runs
// over the part of the timeline where the scenario's risk lies (the adopted secret's end on
// 2027-12-01, the first rotations); `npm run sandbox -- --scenario <file>` runs any of them for the
// default six years.
// Engine: the stand-in, because each scenario is a year or more of daily runs (hundreds of engine
// runs); tests/sandbox.test.ts runs the default scenario on the real CLI too and requires the same
// summary and timeline.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loadScenario, runSandbox, SandboxOptions, SandboxSummary } from "../tools/sandboxCore";

const scenario = (name: string) => loadScenario(path.join(__dirname, "..", "tools", "scenarios", `${name}.json`));
const engineHealthy = (s: SandboxSummary) => [s.previewFailures, s.updateFailures, s.planMismatches, s.driftJobRedDays];

async function run(name: string, options: SandboxOptions): Promise<{ summary: SandboxSummary; lines: string[] }> {
    const lines: string[] = [];
    const summary = await runSandbox({ strategy: "component", scenario: scenario(name), onLine: (l) => lines.push(l), ...options });
    return { summary, lines };
}

/** The add-in's adopted secret (three entries) beside at most two generations of three. */
const MAX_ENTRIES_WITH_ADOPTED = 9;
const MAX_MANAGED_ENTRIES = 6;

describe("sandbox scenarios (tools/scenarios)", function () {
    this.timeout(240_000);

    // Gaps between runs: a run may come up to rotateBeforeExpiryDays minus the propagation time
    // late without a failed hour. With a 365-day lifetime generations are 186 days apart, so
    // 1.1 years hold the adopted secret's end and two rotations; with 1,095 days the first
    // rotation is on 2028-05-30, inside 1.55 years.
    for (const [name, years, rotations] of [
        ["every-14-days-365", 1.1, 2],
        ["every-7-days-365", 1.1, 2],
        ["every-14-days-1095", 1.55, 1],
        ["every-7-days-1095", 1.55, 1],
    ] as const) {
        it(`${name}: no failed hour across the adopted secret's end and ${rotations} rotation(s), managed entries at most ${MAX_MANAGED_ENTRIES}`, async () => {
            const { summary: s, lines } = await run(name, { years });

            assert.deepEqual(engineHealthy(s), [0, 0, 0, 0], lines.join("\n"));
            assert.equal(s.authFailures, 0, JSON.stringify(s.outages));
            assert.equal(s.rotations, rotations, lines.join("\n"));
            assert.ok(s.maxManagedCredentials <= MAX_MANAGED_ENTRIES, `maxManagedCredentials ${s.maxManagedCredentials}`);
            assert.ok(s.maxCredentials <= MAX_ENTRIES_WITH_ADOPTED, `maxCredentials ${s.maxCredentials}`);
            assert.equal(s.expiredLeftOver, 0);
        });
    }

    it("emergency-rotation: a rotation on 2027-03-01 that keeps the previous generation costs no failed hour", async () => {
        const { summary: s, lines } = await run("emergency-rotation", { years: 0.3 });

        assert.deepEqual(engineHealthy(s), [0, 0, 0, 0], lines.join("\n"));
        assert.equal(s.authFailures, 0, JSON.stringify(s.outages));
        assert.equal(s.rotations, 1);
        assert.ok(lines.some((l) => l.startsWith("2027-03-01  pulumi: create")), lines.join("\n"));
        assert.ok(s.maxCredentials <= MAX_ENTRIES_WITH_ADOPTED, `maxCredentials ${s.maxCredentials}`);
    });

    it("emergency-revoke: revoking the previous generation costs the propagation time from the run that does it, announced in advance", async () => {
        // Weekly runs (the scenario's are daily) to reach 2028-09-01 quickly: the rotation is done
        // by the first run after its instant, 2028-09-07 06:00.
        const { summary: s, lines } = await run("emergency-revoke", { years: 1.8, runEveryDays: 7 });

        assert.deepEqual(engineHealthy(s), [0, 0, 0, 0], lines.join("\n"));
        assert.deepEqual(s.outages.map((o) => [o.from, o.hours]), [["2028-09-07T06:00:00.000Z", 24]]);
        // The warning is in every run's log from the first, 21 months before.
        assert.ok(lines.some((l) => /^2026-11-26 {2}program warning: hr-portal: manualRotations\[0\] \(2028-09-01T06:00:00\.000Z\) revokes generation 1 at once: .* the add-in can fail until 2028-09-02T06:00:00\.000Z\.$/.test(l)), lines.join("\n"));
    });

    it("lifetime-2-days: refused in every preview with the reason; nothing is written to the directory", async () => {
        const { summary: s, lines } = await run("lifetime-2-days", { years: 0.02 });

        assert.equal(s.previewFailures, s.runs, lines.join("\n"));
        assert.equal(s.updateFailures, 0);
        assert.equal(s.maxManagedCredentials, 0);
        const red = lines.filter((l) => l.includes("RED deploy job: the preview failed"));
        assert.equal(red.length, s.runs);
        assert.match(red[0], /hr-portal.*rotateBeforeExpiryDays \(1\) minus propagationHours \(24\)/);
    });

    it("onboarding-without-adoption: refused in every preview with the fix; the add-in keeps working on its own secret", async () => {
        const { summary: s, lines } = await run("onboarding-without-adoption", { years: 0.05 });

        assert.equal(s.previewFailures, s.runs, lines.join("\n"));
        assert.equal(s.maxManagedCredentials, 0);
        assert.equal(s.authFailures, 0, JSON.stringify(s.outages));
        const red = lines.filter((l) => l.includes("RED deploy job: the preview failed"));
        assert.match(red[0], /hr-portal.*adoptedKeyIds/);
    });
});
