// components/instant.ts: the one reader of instants that people write (stack config, component
// arguments) and that generations store.
import * as assert from "node:assert/strict";
import { parseInstant } from "../components/instant";

describe("parseInstant", () => {
    it("reads a date alone as 00:00 UTC, and a date-time with Z or an offset", () => {
        assert.equal(parseInstant("2025-03-01"), Date.UTC(2025, 2, 1));
        assert.equal(parseInstant("2025-03-01T09:00:00Z"), Date.UTC(2025, 2, 1, 9));
        assert.equal(parseInstant("2025-03-01T09:00+02:00"), Date.UTC(2025, 2, 1, 7));
        assert.equal(parseInstant("2025-03-01T09:00:00.1234567Z"), Date.UTC(2025, 2, 1, 9, 0, 0, 123), "Graph's seven fractional digits");
    });

    it("refuses a date-time without a time zone, which JavaScript would read in the runner's zone", () => {
        assert.equal(Number.isNaN(Date.parse("2025-03-01T09:00")), false, "Date.parse accepts it");
        assert.equal(parseInstant("2025-03-01T09:00"), undefined);
        assert.equal(parseInstant("2025-03-01T09:00:00"), undefined);
    });

    it("refuses a day or time that does not exist instead of rolling it over", () => {
        assert.equal(new Date(Date.parse("2025-02-30T00:00:00Z")).toISOString(), "2025-03-02T00:00:00.000Z", "Date.parse rolls over");
        for (const v of ["2025-02-30", "2025-02-29", "2024-13-01", "2025-03-01T24:00Z", "2025-03-01T09:60Z", "2025-03-01T09:00+24:00"]) {
            assert.equal(parseInstant(v), undefined, v);
        }
        assert.equal(parseInstant("2024-02-29"), Date.UTC(2024, 1, 29), "a leap day");
    });

    it("refuses a date alone where a date-time is required, and what is not a string", () => {
        assert.equal(parseInstant("2025-03-01", "date-time"), undefined);
        assert.equal(parseInstant("2025-03-01T00:00Z", "date-time"), Date.UTC(2025, 2, 1));
        for (const v of [undefined, null, 1740787200000, "", "tomorrow", "2025-3-1", " 2025-03-01"]) {
            assert.equal(parseInstant(v), undefined, String(v));
        }
    });
});
