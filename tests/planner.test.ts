import * as assert from "node:assert/strict";
import {
    CLOCK_SKEW_TOLERANCE_MS, DAY_MS, DEFAULTS, GenerationPlan, HOUR_MS, PlanError, planRotation, RotationPlan,
    RotationPlanInput, generationStatus,
} from "../components/planner";

// Defaults: lifetime 1095, grace 7 -> interval ceil(1102 / 2) = 551 days; a rotation comes
// 1095 - 551 = 544 days before the superseded generation's expiry.
const T0 = Date.parse("2024-01-01T00:00:00.000Z");
const INTERVAL = 551 * DAY_MS;
const LIFETIME = 1095 * DAY_MS;
const GRACE = 7 * DAY_MS;
const BASE: RotationPlanInput = { firstGenerationStart: "2024-01-01T00:00:00Z" };

const iso = (ms: number): string => new Date(ms).toISOString();
const plan = (input: RotationPlanInput, ms: number): RotationPlan => planRotation(input, new Date(ms));

/** The expected GenerationPlan for the given dates (default lifetime and grace unless given). */
function gen(index: number, startMs: number, origin: GenerationPlan["origin"], lifetimeMs = LIFETIME, graceMs = GRACE): GenerationPlan {
    return {
        index,
        slot: index % 2 === 0 ? 0 : 1,
        startDateTime: iso(startMs),
        endDateTime: iso(startMs + lifetimeMs),
        removeAfterDateTime: iso(startMs + lifetimeMs + graceMs),
        origin,
    };
}

/** Runs fn, expects a PlanError, and returns it. */
function planError(fn: () => unknown): PlanError {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof PlanError, `expected a PlanError, got ${String(e)}`);
        assert.equal(e.name, "PlanError");
        return e;
    }
    assert.fail("expected a PlanError");
}

describe("planRotation", () => {
    describe("first generation and clock skew", () => {
        it("declares generation 0 in slot 0 when now is firstGenerationStart", () => {
            const g0 = gen(0, T0, "first");
            assert.deepEqual(plan(BASE, T0), {
                now: "2024-01-01T00:00:00.000Z",
                intervalDays: 551,
                current: g0,
                previous: undefined,
                slots: [g0, undefined],
                retired: [],
                primarySource: "current-generation",
                secondarySource: "none",
                daysLeft: 1095,
                status: "ok",
                nextAction: {
                    kind: "rotate",
                    at: "2025-07-05T00:00:00.000Z",
                    reason: "generation 1 is created in slot b; generation 0 expires 544 days later",
                },
                warnings: [],
            });
        });

        it("deploys generation 0 with its configured start when the clock is 5 minutes behind firstGenerationStart", () => {
            const p = plan(BASE, T0 - 5 * 60_000);
            assert.deepEqual(p.current, gen(0, T0, "first"));
            assert.equal(p.daysLeft, 1095);
            assert.deepEqual(p.warnings, [
                "the clock (2023-12-31T23:55:00.000Z) is 5 minutes before firstGenerationStart (2024-01-01T00:00:00.000Z); " +
                "generation 0 is deployed now with that start (clock skew tolerance 10 minutes).",
            ]);
        });

        it("deploys generation 0 when the clock is exactly the skew tolerance behind", () => {
            assert.equal(plan(BASE, T0 - CLOCK_SKEW_TOLERANCE_MS).current?.index, 0);
        });

        it("deploys nothing when the clock is 1 ms more than the skew tolerance behind", () => {
            assert.equal(plan(BASE, T0 - CLOCK_SKEW_TOLERANCE_MS - 1).current, undefined);
        });

        it("deploys nothing and names the start date when now is 1 hour before firstGenerationStart", () => {
            assert.deepEqual(plan(BASE, T0 - HOUR_MS), {
                now: "2023-12-31T23:00:00.000Z",
                intervalDays: 551,
                current: undefined,
                previous: undefined,
                slots: [undefined, undefined],
                retired: [],
                primarySource: "none",
                secondarySource: "none",
                daysLeft: undefined,
                status: "not-started",
                nextAction: {
                    kind: "deploy-first-generation",
                    at: "2024-01-01T00:00:00.000Z",
                    reason: "generation 0 is created in slot a at firstGenerationStart",
                },
                warnings: ["firstGenerationStart (2024-01-01T00:00:00.000Z) is 1 hour in the future: nothing is deployed until then."],
            });
        });

        it("accepts a date-only firstGenerationStart as UTC midnight", () => {
            assert.equal(plan({ firstGenerationStart: "2024-01-01" }, T0).current?.startDateTime, "2024-01-01T00:00:00.000Z");
        });

        it("accepts a firstGenerationStart with an offset and renders it in UTC", () => {
            assert.equal(plan({ firstGenerationStart: "2024-01-01T02:00:00+02:00" }, T0).current?.startDateTime, "2024-01-01T00:00:00.000Z");
        });
    });

    describe("scheduled rotation", () => {
        const s1 = T0 + INTERVAL;

        it("keeps generation 0 alone when now is 1 ms before the rotation instant", () => {
            const p = plan(BASE, s1 - 1);
            assert.deepEqual(p.slots, [gen(0, T0, "first"), undefined]);
            // 544 days and 1 ms left: the rotation comes exactly 544 days before expiry.
            assert.equal(p.daysLeft, 544);
            assert.equal(p.nextAction.at, "2025-07-05T00:00:00.000Z");
        });

        it("creates generation 1 in slot 1 and delivers both when now is the rotation instant", () => {
            const g0 = gen(0, T0, "first");
            const g1 = gen(1, s1, "scheduled");
            assert.deepEqual(plan(BASE, s1), {
                now: "2025-07-05T00:00:00.000Z",
                intervalDays: 551,
                current: g1,
                previous: g0,
                slots: [g0, g1],
                retired: [],
                primarySource: "current-generation",
                secondarySource: "previous-generation",
                daysLeft: 1095,
                status: "ok",
                nextAction: {
                    kind: "rotate",
                    at: "2027-01-07T00:00:00.000Z",
                    reason: "generation 2 is created in slot a, replacing generation 0 (expired + grace); generation 1 expires 544 days later",
                },
                warnings: [],
            });
        });

        it("plans the same generations when now is 1 ms after the rotation instant", () => {
            const p = plan(BASE, s1 + 1);
            assert.deepEqual([p.current?.index, p.previous?.index], [1, 0]);
            assert.equal(p.daysLeft, 1094);
        });

        it("keeps delivering the previous generation when now is its expiry", () => {
            const end0 = T0 + LIFETIME;
            for (const now of [end0 - 1, end0, end0 + 1]) {
                const p = plan(BASE, now);
                assert.deepEqual(p.previous, gen(0, T0, "first"), iso(now));
                assert.equal(p.primarySource, "current-generation");
                assert.equal(p.secondarySource, "previous-generation");
            }
        });

        it("replaces generation 0 with generation 2 in slot 0 exactly when its grace period ends", () => {
            const graceEnd = T0 + LIFETIME + GRACE;
            assert.equal(graceEnd, T0 + 2 * INTERVAL);
            const before = plan(BASE, graceEnd - 1);
            assert.deepEqual(before.slots, [gen(0, T0, "first"), gen(1, s1, "scheduled")]);
            const after = plan(BASE, graceEnd);
            assert.deepEqual(after.slots, [gen(2, graceEnd, "scheduled"), gen(1, s1, "scheduled")]);
            assert.deepEqual(after.previous, gen(1, s1, "scheduled"));
        });

        it("removes the previous generation at its grace end, a day before its slot is reused, when lifetime + grace is odd", () => {
            // GIVEN grace 8: interval ceil(1103 / 2) = 552 days, generation 0 gone at day 1103
            const input = { ...BASE, gracePeriodDays: 8 };
            const graceEnd = T0 + 1103 * DAY_MS;
            // WHEN a run comes 1 ms before, and at, the grace end
            const before = plan(input, graceEnd - 1);
            const at = plan(input, graceEnd);
            // THEN it is declared until then and dropped at once, and its slot stays empty a day
            assert.deepEqual(before.nextAction, {
                kind: "remove-previous",
                at: "2027-01-08T00:00:00.000Z",
                reason: "generation 0 (slot a) reaches expiry + gracePeriodDays (8) and is removed",
            });
            assert.equal(before.previous?.index, 0);
            assert.deepEqual(at.slots, [undefined, gen(1, T0 + 552 * DAY_MS, "scheduled", LIFETIME, 8 * DAY_MS)]);
            assert.equal(at.secondarySource, "none");
            assert.deepEqual(at.nextAction, {
                kind: "rotate",
                at: "2027-01-09T00:00:00.000Z",
                reason: "generation 2 is created in slot a; generation 1 expires 543 days later",
            });
        });

        it("rotates exactly at the window start when the lifetime makes rotateBeforeExpiryDays bind", () => {
            // GIVEN lifetime 60, grace 0: interval 30 = lifetime - rotateBeforeExpiryDays (30)
            const input = { ...BASE, lifetimeDays: 60, gracePeriodDays: 0 };
            const windowStart = T0 + 30 * DAY_MS;
            // WHEN a run comes 1 ms before the window opens, THEN generation 0 is still ok with 30 days left
            const before = plan(input, windowStart - 1);
            assert.equal(before.current?.index, 0);
            assert.equal(before.daysLeft, 30);
            assert.equal(before.status, "ok");
            assert.deepEqual(before.warnings, []);
            // WHEN a run comes at the window start, THEN generation 1 exists and generation 0 is its fallback
            const at = plan(input, windowStart);
            assert.deepEqual(at.slots, [gen(0, T0, "first", 60 * DAY_MS, 0), gen(1, windowStart, "scheduled", 60 * DAY_MS, 0)]);
            assert.equal(at.status, "ok");
            // ... and generation 0 would have been in its rotation window from that instant
            assert.equal(generationStatus(gen(0, T0, "first", 60 * DAY_MS, 0), new Date(windowStart), 30), "rotation-window");
        });

        it("removes a generation with no grace exactly at its expiry when gracePeriodDays is 0", () => {
            const input = { ...BASE, lifetimeDays: 60, gracePeriodDays: 0 };
            const end0 = T0 + 60 * DAY_MS;
            assert.equal(plan(input, end0 - 1).previous?.index, 0);
            assert.deepEqual(plan(input, end0).slots, [gen(2, end0, "scheduled", 60 * DAY_MS, 0), gen(1, T0 + 30 * DAY_MS, "scheduled", 60 * DAY_MS, 0)]);
        });
    });

    describe("already expired start", () => {
        it("declares the generations due now, never an expired-plus-grace one, when firstGenerationStart is 11 years back", () => {
            // GIVEN generation 0 on 2015-01-01, expired since 2017-12-31
            const now = Date.parse("2026-03-01T00:00:00.000Z");
            const p = plan({ firstGenerationStart: "2015-01-01T00:00:00Z" }, now);
            // THEN generation 7 (start 2015-01-01 + 7 * 551 days) is current and valid, 6 is its fallback
            const s7 = Date.parse("2015-01-01T00:00:00Z") + 7 * INTERVAL;
            assert.equal(iso(s7), "2025-07-24T00:00:00.000Z");
            assert.deepEqual(p.current, gen(7, s7, "scheduled"));
            assert.deepEqual(p.previous, gen(6, s7 - INTERVAL, "scheduled"));
            assert.ok(now < Date.parse(p.previous?.removeAfterDateTime ?? ""));
            assert.equal(p.daysLeft, 875);
            assert.equal(p.status, "ok");
            assert.deepEqual(p.warnings, []);
        });
    });

    describe("adoption", () => {
        const input = { ...BASE, adoptedSecretEndDateTime: "2026-03-01T00:00:00Z" };

        it("delivers the adopted secret as SecondaryClientSecret when no previous generation exists", () => {
            const p = plan(input, T0);
            assert.equal(p.primarySource, "current-generation");
            assert.equal(p.secondarySource, "adopted");
        });

        it("delivers the adopted secret as ClientSecret before generation 0 exists", () => {
            const p = plan(input, T0 - DAY_MS);
            assert.equal(p.primarySource, "adopted");
            assert.equal(p.secondarySource, "none");
        });

        it("delivers the adopted secret and the previous generation when all three are valid", () => {
            // ACS signs with the adopted (oldest) key now and with generation 0 after it expires;
            // generation 1 is only needed once generation 0 expires.
            const p = plan(input, T0 + INTERVAL);
            assert.equal(p.current?.index, 1);
            assert.equal(p.primarySource, "previous-generation");
            assert.equal(p.secondarySource, "adopted");
            assert.deepEqual(p.nextAction, {
                kind: "adopted-expires",
                at: "2026-03-01T00:00:00.000Z",
                reason: "the adopted secret expires (adoptedSecretEndDateTime) and is no longer delivered",
            });
        });

        it("switches to the current and previous generations when the adopted secret expires", () => {
            const p = plan(input, Date.parse("2026-03-01T00:00:00Z"));
            assert.equal(p.primarySource, "current-generation");
            assert.equal(p.secondarySource, "previous-generation");
        });

        it("warns of the gap when the adopted secret expires before generation 0 can have propagated", () => {
            const p = plan({ ...BASE, adoptedSecretEndDateTime: "2024-01-01T12:00:00Z" }, T0);
            assert.deepEqual(p.warnings, [
                "the adopted secret expires 2024-01-01T12:00:00.000Z, before generation 0 can have propagated (firstGenerationStart + " +
                "propagationHours = 2024-01-02T00:00:00.000Z): SharePoint can fail to issue tokens from 2024-01-01T12:00:00.000Z until " +
                "2024-01-02T00:00:00.000Z. Move firstGenerationStart earlier than 2023-12-31T12:00:00.000Z.",
            ]);
        });
    });

    describe("manual rotation", () => {
        // Generation 1 is current (since 2025-07-05); generation 0 is valid until 2026-12-31.
        const E = Date.parse("2026-01-01T12:00:00.000Z");
        const s1 = T0 + INTERVAL;
        const early = "manualRotations[0] (2026-01-01T12:00:00.000Z) removes generation 0 from slot a while it is still valid, " +
            "370 days before its expiry + gracePeriodDays (2027-01-07T00:00:00.000Z).";

        it("does nothing yet and announces itself when it is in the future", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(E), revokePrevious: false }] };
            const p = plan(input, E - HOUR_MS);
            assert.deepEqual(p.slots, [gen(0, T0, "first"), gen(1, s1, "scheduled")]);
            assert.deepEqual(p.nextAction, {
                kind: "manual-rotation",
                at: "2026-01-01T12:00:00.000Z",
                reason: "manualRotations[0] creates generation 2 in slot a, replacing generation 0 370 days before its expiry + grace",
            });
            assert.deepEqual(p.warnings, ["manualRotations[0] (2026-01-01T12:00:00.000Z) is in the future; nothing changes until then.", early]);
        });

        it("replaces the older slot at once, keeps the previous generation, and warns how early when revokePrevious is false", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(E), revokePrevious: false }] };
            const p = plan(input, E);
            assert.deepEqual(p.slots, [gen(2, E, "manual"), gen(1, s1, "scheduled")]);
            assert.equal(p.primarySource, "current-generation");
            assert.equal(p.secondarySource, "previous-generation");
            assert.deepEqual(p.warnings, [early]);
            // The next rotation waits until generation 1 is expired + grace (the regular date),
            // still 173 days before generation 2 expires.
            assert.deepEqual(p.nextAction, {
                kind: "rotate",
                at: "2028-07-11T00:00:00.000Z",
                reason: "generation 3 is created in slot b, replacing generation 1 (expired + grace); generation 2 expires 173 days later",
            });
        });

        it("stops warning a week after the manual rotation", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(E), revokePrevious: false }] };
            assert.deepEqual(plan(input, E + 7 * DAY_MS).warnings, [early]);
            assert.deepEqual(plan(input, E + 7 * DAY_MS + 1).warnings, []);
        });

        it("drops the previous generation too and warns of an outage of up to propagationHours when revokePrevious is true", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(E), revokePrevious: true }] };
            const p = plan(input, E);
            assert.deepEqual(p.slots, [gen(2, E, "manual"), undefined]);
            assert.equal(p.previous, undefined);
            assert.equal(p.primarySource, "current-generation");
            assert.equal(p.secondarySource, "none");
            assert.deepEqual(p.warnings, [
                early,
                "manualRotations[0] (2026-01-01T12:00:00.000Z) revokes generation 1 at once: the only remaining managed key, generation 2, " +
                "can take up to propagationHours (24) to propagate, so the add-in can fail until 2026-01-02T12:00:00.000Z.",
            ]);
            // Nothing to wait for in slot 1: the schedule restarts an interval after the manual rotation.
            assert.deepEqual(p.nextAction, {
                kind: "rotate",
                at: "2027-07-06T12:00:00.000Z",
                reason: "generation 3 is created in slot b; generation 2 expires 544 days later",
            });
            assert.deepEqual(plan(input, E + INTERVAL).slots, [gen(2, E, "manual"), gen(3, E + INTERVAL, "scheduled")]);
        });

        it("applies a manual rotation within the skew tolerance when the clock is 5 minutes behind", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(E), revokePrevious: false }] };
            assert.deepEqual(plan(input, E - 5 * 60_000).current, gen(2, E, "manual"));
        });

        it("never removes a still-valid generation on schedule when a manual rotation follows the previous one by 10 days", () => {
            // GIVEN a manual rotation 10 days after generation 1 started (< rotateBeforeExpiryDays + grace)
            const m = s1 + 10 * DAY_MS;
            const input = { ...BASE, manualRotations: [{ at: iso(m), revokePrevious: false }] };
            const end1 = s1 + LIFETIME;
            // WHEN the run 1 ms before generation 1 expires
            const before = plan(input, end1 - 1);
            // THEN generation 2 is in its rotation window (10 days left) and the plan says why
            assert.equal(before.status, "rotation-window");
            assert.equal(before.daysLeft, 10);
            const scheduled = "the scheduled rotation at 2028-07-04T00:00:00.000Z";
            assert.deepEqual(before.warnings, [
                "generation 2 expires 2028-07-14T00:00:00.000Z, within rotateBeforeExpiryDays (30); the next generation is due 2028-07-04T00:00:00.000Z.",
                `${scheduled} removes generation 1 from slot b during its grace period, 7 days before its expiry + gracePeriodDays ` +
                "(2028-07-11T00:00:00.000Z), so that generation 2 (a manual rotation) is followed rotateBeforeExpiryDays (30) before its expiry.",
                `${scheduled} comes 10 days before generation 2 expires, less than rotateBeforeExpiryDays (30), because generation 1 must not be removed while it is still valid.`,
            ]);
            // WHEN generation 1 expires, THEN generation 3 replaces it (expired, inside its grace)
            assert.deepEqual(plan(input, end1).slots, [gen(2, m, "manual"), gen(3, end1, "scheduled")]);
        });

        it("throws when a manual rotation comes 23 hours after the previous generation started", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(s1 + 23 * HOUR_MS), revokePrevious: true }] };
            const e = planError(() => plan(input, s1 + DAY_MS));
            assert.equal(e.input, "manualRotations");
            assert.equal(
                e.message,
                "manualRotations[0].at (2025-07-05T23:00:00.000Z) is 23 hours after generation 1 started (2025-07-05T00:00:00.000Z): " +
                "two rotations inside one propagation window (propagationHours = 24) are refused, because the generation that SharePoint " +
                "would fall back to may not have propagated yet. Move it to 2025-07-06T00:00:00.000Z or later, or remove it.",
            );
        });

        it("accepts a manual rotation exactly one propagation window after the previous generation started", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(s1 + 24 * HOUR_MS), revokePrevious: false }] };
            assert.equal(plan(input, s1 + DAY_MS).current?.index, 2);
        });

        it("throws when two manual rotations come 1 hour apart, even before either is due", () => {
            const input = {
                ...BASE,
                manualRotations: [{ at: iso(E), revokePrevious: false }, { at: iso(E + HOUR_MS), revokePrevious: false }],
            };
            const e = planError(() => plan(input, T0));
            assert.equal(e.input, "manualRotations");
            assert.match(e.message, /^manualRotations\[1\]\.at \(2026-01-01T13:00:00\.000Z\) is 1 hour after generation 2 started \(2026-01-01T12:00:00\.000Z\): two rotations inside one propagation window/);
        });

        it("throws when manual rotations are not sorted", () => {
            const input = {
                ...BASE,
                manualRotations: [{ at: iso(E), revokePrevious: false }, { at: iso(E - DAY_MS * 30), revokePrevious: false }],
            };
            const e = planError(() => plan(input, E));
            assert.equal(e.input, "manualRotations");
            assert.equal(
                e.message,
                "manualRotations must be sorted by at, without duplicates; manualRotations[1].at (2025-12-02T12:00:00.000Z) is not after " +
                "manualRotations[0].at (2026-01-01T12:00:00.000Z). Keep the entries in the order they happened.",
            );
        });

        it("throws when a manual rotation is listed twice", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(E), revokePrevious: false }, { at: iso(E), revokePrevious: true }] };
            assert.match(planError(() => plan(input, E)).message, /^manualRotations must be sorted by at, without duplicates; manualRotations\[1\]/);
        });

        it("throws when a manual rotation is before firstGenerationStart", () => {
            const input = { ...BASE, manualRotations: [{ at: "2023-06-01T00:00:00Z", revokePrevious: false }] };
            const e = planError(() => plan(input, T0));
            assert.equal(e.input, "manualRotations[0].at");
            assert.equal(
                e.message,
                "manualRotations[0].at (2023-06-01T00:00:00.000Z) is before firstGenerationStart (2024-01-01T00:00:00.000Z); " +
                "there is nothing to rotate yet. Remove the entry or move it after firstGenerationStart.",
            );
        });

        it("throws when revokePrevious is missing", () => {
            const input = { ...BASE, manualRotations: [{ at: iso(E) } as unknown as { at: string; revokePrevious: boolean }] };
            const e = planError(() => plan(input, E));
            assert.equal(e.input, "manualRotations[0].revokePrevious");
            assert.equal(e.message, "manualRotations[0].revokePrevious must be true or false; got nothing. Say whether the previous generation is revoked at once.");
        });
    });

    describe("retired generations", () => {
        it("retires a generation once it is expired past its grace period, saying when", () => {
            // Generation 0 ends T0 + 1095 d; its grace ends 7 days later, before generation 2 starts (T0 + 1102 d).
            const p = plan(BASE, T0 + 2 * INTERVAL);

            assert.deepEqual(p.retired, [{
                ...gen(0, T0, "first"),
                early: false,
                reason: `generation 0 expired ${iso(T0 + LIFETIME)} and its grace period of 7 day(s) ended ${iso(T0 + LIFETIME + GRACE)}`,
            }]);
            assert.deepEqual([p.previous?.index, p.current?.index], [1, 2]);
        });

        it("retires nothing while the previous generation is within its grace period", () => {
            assert.deepEqual(plan(BASE, T0 + INTERVAL).retired, []);
        });

        it("retires the previous generation at once when a manual rotation revokes it, marked early", () => {
            const at = T0 + 100 * DAY_MS;
            const input = { ...BASE, manualRotations: [{ at: iso(at), revokePrevious: true }] };

            const p = plan(input, at + HOUR_MS);

            assert.deepEqual(p.retired, [{ ...gen(0, T0, "first"), early: true, reason: `generation 0 was revoked by manualRotations[0] at ${iso(at)}` }]);
            assert.equal(p.previous, undefined);
        });

        it("retires a generation displaced from its slot before its expiry + grace by a manual rotation, marked early", () => {
            const m0 = T0 + 100 * DAY_MS;
            const m1 = T0 + 200 * DAY_MS;
            const input = { ...BASE, manualRotations: [{ at: iso(m0), revokePrevious: false }, { at: iso(m1), revokePrevious: false }] };

            const p = plan(input, m1 + HOUR_MS);

            assert.deepEqual(p.retired.map((g) => [g.index, g.early, g.reason]), [
                [0, true, `generation 0 was displaced from slot a by generation 2 (manualRotations[1], ${iso(m1)}) before its expiry + grace (${iso(T0 + LIFETIME + GRACE)})`],
            ]);
        });
    });

    describe("gaps between runs", () => {
        // A model of the world between runs: a generation exists from the first run that declares
        // it until the first run that no longer does (the inventory removes a retired one); SharePoint
        // signs with the oldest valid key that has propagated; the web app holds what the last run
        // delivered. The promise: no failed moment for any gap up to rotateBeforeExpiryDays minus
        // propagationHours, with or without an adopted secret.
        type Key = { id: string; startMs: number; endMs: number; usableMs: number };
        function failures(input: RotationPlanInput, gapDays: number, years: number): string[] {
            const propagationMs = (input.propagationHours ?? 24) * HOUR_MS;
            const keys = new Map<string, Key>();
            if (input.adoptedSecretEndDateTime !== undefined) {
                keys.set("adopted", { id: "adopted", startMs: 0, endMs: Date.parse(input.adoptedSecretEndDateTime), usableMs: 0 });
            }
            let held: string[] = [];
            const failed: string[] = [];
            const endMs = T0 + years * 365 * DAY_MS;
            for (let run = T0; run < endMs; run += gapDays * DAY_MS) {
                const p = plan(input, run);
                const declared = new Set(p.slots.filter((g): g is GenerationPlan => g !== undefined).map((g) => `gen-${g.index}`));
                for (const g of p.slots.filter((x): x is GenerationPlan => x !== undefined)) {
                    if (!keys.has(`gen-${g.index}`)) keys.set(`gen-${g.index}`, { id: `gen-${g.index}`, startMs: Date.parse(g.startDateTime), endMs: Date.parse(g.endDateTime), usableMs: run + propagationMs });
                }
                for (const id of [...keys.keys()].filter((k) => k.startsWith("gen-") && !declared.has(k))) keys.delete(id);
                const source = (s: string): string | undefined =>
                    s === "adopted" ? "adopted" : s === "current-generation" ? `gen-${p.current?.index}` : s === "previous-generation" ? `gen-${p.previous?.index}` : undefined;
                held = [source(p.primarySource), source(p.secondarySource)].filter((x): x is string => x !== undefined);
                // A new add-in (nothing adopted) cannot work before its first key has propagated.
                const from = keys.has("adopted") || run > T0 ? run : run + propagationMs;
                for (let t = from; t < Math.min(run + gapDays * DAY_MS, endMs); t += 6 * HOUR_MS) {
                    const signer = [...keys.values()].filter((k) => k.startMs <= t && t < k.endMs && k.usableMs <= t).sort((a, b) => a.startMs - b.startMs)[0];
                    if (signer === undefined || !held.includes(signer.id)) {
                        failed.push(`${iso(t)}: SharePoint signs with ${signer?.id ?? "nothing"}, the app holds ${held.join(", ")}`);
                        break;
                    }
                }
            }
            return failed;
        }

        for (const lifetimeDays of [365, 1095]) {
            for (const adoptedEnd of [undefined, 200, 300, 400]) {
                it(`keeps the add-in working with a ${lifetimeDays}-day lifetime${adoptedEnd === undefined ? "" : ` and a secret adopted until day ${adoptedEnd}`}, runs every 1 to 29 days`, () => {
                    const input: RotationPlanInput = {
                        ...BASE, lifetimeDays,
                        ...(adoptedEnd === undefined ? {} : { adoptedSecretEndDateTime: iso(T0 + adoptedEnd * DAY_MS) }),
                    };
                    for (const gap of [1, 3, 7, 14, 29]) {
                        assert.deepEqual(failures(input, gap, 4), [], `every ${gap} days`);
                    }
                });
            }
        }

        it("refuses an adopted secret that ends shortly before the generation SharePoint moves to, saying how to fix it", () => {
            const e = planError(() => plan({ ...BASE, lifetimeDays: 365, adoptedSecretEndDateTime: iso(T0 + 364 * DAY_MS) }, T0));

            assert.equal(e.input, "adoptedSecretEndDateTime");
            assert.equal(e.message, `adoptedSecretEndDateTime (${iso(T0 + 364 * DAY_MS)}) is 1 day before generation 0 expires (${iso(T0 + 365 * DAY_MS)}): ` +
                "SharePoint would change keys twice within rotateBeforeExpiryDays minus propagationHours (29 days), more than the two secrets a remote web " +
                "holds can cover when a run comes late. Set firstGenerationStart so that generation 0 ends at least 29 days after the adopted secret, or use a longer lifetimeDays.");
        });

        it("refuses a schedule that leaves less than a day between runs after the propagation time (a 2-day lifetime)", () => {
            const e = planError(() => plan({ ...BASE, lifetimeDays: 2, gracePeriodDays: 0, rotateBeforeExpiryDays: 1, propagationHours: 24 }, T0));

            assert.equal(e.input, "rotateBeforeExpiryDays");
            assert.equal(e.message, "rotateBeforeExpiryDays (1) minus propagationHours (24) leaves 0 minutes between runs, less than one day: a rotation one daily run late " +
                "would not propagate before the generation it supersedes expires, and no schedule is free of failed hours. " +
                "Set rotateBeforeExpiryDays to at least 2 (which needs a longer lifetimeDays than 2).");
        });
    });

    describe("validation", () => {
        it("uses the documented defaults", () => {
            assert.deepEqual(DEFAULTS, { lifetimeDays: 1095, rotateBeforeExpiryDays: 30, gracePeriodDays: 7, propagationHours: 24 });
        });

        it("throws naming the largest allowed value when rotateBeforeExpiryDays exceeds lifetime - interval", () => {
            const e = planError(() => plan({ ...BASE, rotateBeforeExpiryDays: 545 }, T0));
            assert.equal(e.input, "rotateBeforeExpiryDays");
            assert.equal(
                e.message,
                "rotateBeforeExpiryDays must be at most 544 with lifetimeDays 1095 and gracePeriodDays 7; got 545. Rotations are " +
                "ceil((lifetimeDays + gracePeriodDays) / 2) = 551 days apart so that a slot is reused only after its generation expired " +
                "plus the grace period, which leaves 544 days before expiry. Set rotateBeforeExpiryDays to 544 or less, or increase " +
                "lifetimeDays, or reduce gracePeriodDays.",
            );
        });

        it("accepts rotateBeforeExpiryDays equal to lifetime - interval", () => {
            assert.equal(plan({ ...BASE, rotateBeforeExpiryDays: 544 }, T0).status, "ok");
        });

        it("throws naming rotateBeforeExpiryDays when a short lifetime cannot honour it", () => {
            const e = planError(() => plan({ ...BASE, lifetimeDays: 60, gracePeriodDays: 0, rotateBeforeExpiryDays: 31 }, T0));
            assert.match(e.message, /^rotateBeforeExpiryDays must be at most 30 with lifetimeDays 60 and gracePeriodDays 0; got 31\./);
        });

        it("throws when propagationHours does not fit between a rotation and the superseded expiry", () => {
            // lifetime 2, grace 0: interval 1 day, 1 day from rotation to expiry
            const e = planError(() => plan({ ...BASE, lifetimeDays: 2, gracePeriodDays: 0, rotateBeforeExpiryDays: 0, propagationHours: 25 }, T0));
            assert.equal(e.input, "propagationHours");
            assert.equal(
                e.message,
                "propagationHours (25) must fit between a rotation and the expiry of the generation it supersedes, lifetimeDays - " +
                "ceil((lifetimeDays + gracePeriodDays) / 2) = 1 days; otherwise SharePoint switches to a key that has not propagated. " +
                "Increase lifetimeDays or reduce gracePeriodDays.",
            );
        });

        for (const [name, value, range] of [
            ["lifetimeDays", 1, "2 to 1095"],
            ["lifetimeDays", 1096, "2 to 1095"],
            ["lifetimeDays", 1.5, "2 to 1095"],
            ["gracePeriodDays", -1, "0 to 1095"],
            ["gracePeriodDays", 1096, "0 to 1095"],
            ["rotateBeforeExpiryDays", -1, "0 to 1095"],
        ] as const) {
            it(`throws naming ${name} and the range when it is ${value}`, () => {
                const e = planError(() => plan({ ...BASE, [name]: value }, T0));
                assert.equal(e.input, name);
                assert.equal(e.message, `${name} must be a whole number of days from ${range}; got ${value}. Set ${name} within that range.`);
            });
        }

        it("throws when propagationHours is negative", () => {
            const e = planError(() => plan({ ...BASE, propagationHours: -1 }, T0));
            assert.equal(e.input, "propagationHours");
            assert.equal(e.message, "propagationHours must be a number of hours >= 0; got -1. Use 24 for SharePoint Online.");
        });

        for (const value of ["2025-02-30", "2024-01-01T00:00:00", "01/01/2024", "2024-01-01T24:00:00Z", "1999-12-31", ""]) {
            it(`throws naming firstGenerationStart when it is "${value}"`, () => {
                const e = planError(() => plan({ firstGenerationStart: value }, T0));
                assert.equal(e.input, "firstGenerationStart");
                assert.equal(
                    e.message,
                    `firstGenerationStart must be a valid ISO 8601 date or date-time with a time zone, from year 2000; got "${value}". ` +
                    `Use an ISO 8601 date ("2025-03-01") or date-time with a time zone ("2025-03-01T09:00:00Z").`,
                );
            });
        }

        it("throws naming adoptedSecretEndDateTime when it is not a date", () => {
            assert.equal(planError(() => plan({ ...BASE, adoptedSecretEndDateTime: "soon" }, T0)).input, "adoptedSecretEndDateTime");
        });

        it("throws naming now when the clock is an invalid Date", () => {
            assert.equal(planError(() => planRotation(BASE, new Date(Number.NaN))).input, "now");
        });
    });

    describe("determinism", () => {
        it("returns deep-equal plans when called twice with the same clock", () => {
            const input = { ...BASE, adoptedSecretEndDateTime: "2026-03-01T00:00:00Z", manualRotations: [{ at: "2026-01-01T12:00:00Z", revokePrevious: true }] };
            const now = Date.parse("2026-01-01T13:00:00Z");
            assert.deepEqual(planRotation(input, new Date(now)), planRotation(input, new Date(now)));
        });

        it("keeps the invariants over daily runs for 6 years on the regular schedule", () => {
            const runs = simulate(BASE, T0 + 7 * HOUR_MS + 13 * 60_000, DAY_MS, 6 * 365);
            assertInvariants(runs, { minRotationMarginDays: 30, allowEarlyRemoval: false });
            // 6 years at 551 days: generations 0..3
            assert.equal(runs[runs.length - 1].current?.index, 3);
        });

        it("keeps the invariants over runs every 5 hours for 6 years when runs land exactly on boundaries too", () => {
            // 5-hour steps from T0 land on every boundary (all are whole days from T0).
            const runs = simulate(BASE, T0, 5 * HOUR_MS, (6 * 365 * 24) / 5);
            assertInvariants(runs, { minRotationMarginDays: 30, allowEarlyRemoval: false });
        });

        it("keeps the invariants over daily runs for 6 years with an adopted secret outliving the first rotation", () => {
            const runs = simulate({ ...BASE, adoptedSecretEndDateTime: "2026-03-01T00:00:00Z" }, T0, DAY_MS, 6 * 365);
            assertInvariants(runs, { minRotationMarginDays: 30, allowEarlyRemoval: false });
        });

        it("keeps the invariants over daily runs for 6 years with manual rotations, with and without revocation", () => {
            const input: RotationPlanInput = {
                ...BASE,
                manualRotations: [
                    { at: "2025-07-15T00:00:00Z", revokePrevious: false }, // 10 days after generation 1: margin binds later
                    { at: "2029-02-01T08:00:00Z", revokePrevious: true },
                ],
            };
            const runs = simulate(input, T0, DAY_MS, 6 * 365);
            assertInvariants(runs, { minRotationMarginDays: 1, allowEarlyRemoval: true });
            const currents = new Map(runs.map((r) => [r.current?.index, `${r.current?.origin} ${r.current?.startDateTime}`]));
            assert.deepEqual([...currents.values()], [
                "first 2024-01-01T00:00:00.000Z",
                "scheduled 2025-07-05T00:00:00.000Z",
                "manual 2025-07-15T00:00:00.000Z",
                "scheduled 2028-07-04T00:00:00.000Z", // generation 1's expiry: not before it, 10 days before generation 2's
                "manual 2029-02-01T08:00:00.000Z",
            ]);
        });
    });
});

describe("generationStatus", () => {
    const g = gen(0, T0, "first");
    const end = T0 + LIFETIME;

    it("returns ok when now is 1 ms before the rotation window", () => {
        assert.equal(generationStatus(g, new Date(end - 30 * DAY_MS - 1), 30), "ok");
    });

    it("returns rotation-window when now is the window start", () => {
        assert.equal(generationStatus(g, new Date(end - 30 * DAY_MS), 30), "rotation-window");
    });

    it("returns rotation-window when now is 1 ms before expiry", () => {
        assert.equal(generationStatus(g, new Date(end - 1), 30), "rotation-window");
    });

    it("returns expired when now is the endDateTime", () => {
        assert.equal(generationStatus(g, new Date(end), 30), "expired");
    });
});

/** Plans for `count` runs every `stepMs` from `startMs`. */
function simulate(input: RotationPlanInput, startMs: number, stepMs: number, count: number): RotationPlan[] {
    return Array.from({ length: count }, (_, i) => planRotation(input, new Date(startMs + i * stepMs)));
}

/**
 * The planner's rotation invariants, checked across consecutive runs:
 * at most two generations; the current one valid; nothing past expiry + grace declared; every
 * generation's dates constant while it exists; a slot reused only when its occupant is expired +
 * grace (manual rotations excepted, and then never a valid one on schedule); a rotation at least
 * `minRotationMarginDays` before the superseded generation's expiry; and the key ACS signs with
 * (the oldest valid) always delivered to the web app.
 */
function assertInvariants(runs: readonly RotationPlan[], opts: { minRotationMarginDays: number; allowEarlyRemoval: boolean }): void {
    const seen = new Map<number, GenerationPlan>();
    let last: RotationPlan | undefined;
    for (const run of runs) {
        const now = Date.parse(run.now);
        const declared = run.slots.filter((s): s is GenerationPlan => s !== undefined);
        assert.ok(declared.length <= 2, run.now);
        assert.ok(run.current !== undefined, `${run.now}: no current generation`);
        assert.ok(Date.parse(run.current.startDateTime) <= now && now < Date.parse(run.current.endDateTime), `${run.now}: current not valid`);
        for (const g of declared) {
            assert.ok(now < Date.parse(g.removeAfterDateTime), `${run.now}: generation ${g.index} declared past expiry + grace`);
            const before = seen.get(g.index);
            if (before !== undefined) assert.deepEqual(g, before, `${run.now}: generation ${g.index} changed dates`);
            seen.set(g.index, g);
        }
        if (last !== undefined) {
            for (const slot of [0, 1] as const) {
                const old = last.slots[slot];
                const now_ = run.slots[slot];
                if (old === undefined || now_?.index === old.index) continue;
                const manual = now_?.origin === "manual" || run.current.origin === "manual";
                if (!manual) {
                    // On schedule: never while valid; before expiry + grace only if allowed (after a manual rotation).
                    assert.ok(now >= Date.parse(old.endDateTime), `${run.now}: valid generation ${old.index} removed on schedule`);
                    if (!opts.allowEarlyRemoval) assert.ok(now >= Date.parse(old.removeAfterDateTime), `${run.now}: generation ${old.index} removed early`);
                }
            }
            if (run.current.index !== last.current?.index && run.previous !== undefined) {
                const margin = Date.parse(run.previous.endDateTime) - Date.parse(run.current.startDateTime);
                assert.ok(margin >= opts.minRotationMarginDays * DAY_MS, `${run.now}: rotation ${margin / DAY_MS} days before expiry`);
            }
        }
        // ACS signs with the oldest valid key; the web app must hold it (except while a revocation propagates).
        const delivered = new Set([run.primarySource, run.secondarySource]);
        const oldestValid = run.previous !== undefined && now < Date.parse(run.previous.endDateTime) ? "previous-generation" : "current-generation";
        if (run.secondarySource !== "adopted") assert.ok(delivered.has(oldestValid), `${run.now}: ${oldestValid} not delivered`);
        last = run;
    }
}
