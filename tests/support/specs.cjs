// Prints the spec files for `npm test`, the longest first, so the two parallel mocha workers end
// together (mocha runs files in the order given, and in parallel mode does not drop a file given
// twice, so the list holds each file once). Measured durations, serial, 2026-12-02: scenarios 80 s,
// sandbox 45 s, engine 40 s, pulumiUp 38 s, tenantOnboarding 26 s, credentialInventory 25 s,
// reliability 21 s, upgrade 17 s, package 13 s; every other file under 13 s.
const fs = require("node:fs");
const path = require("node:path");

const LONGEST_FIRST = [
    "scenarios", "sandbox", "engine/engine", "pulumiUp", "tenantOnboarding", "credentialInventory", "reliability", "upgrade", "package",
].map((name) => `tests/${name}.test.ts`);

const root = path.join(__dirname, "..", "..");
const all = fs.readdirSync(path.join(root, "tests"), { recursive: true })
    .map((f) => `tests/${String(f).split(path.sep).join("/")}`)
    .filter((f) => f.endsWith(".test.ts"))
    .sort();
const missing = LONGEST_FIRST.filter((f) => !all.includes(f));
if (missing.length > 0) {
    throw new Error(`tests/support/specs.cjs lists ${missing.join(", ")}, which no longer exist`);
}
process.stdout.write([...LONGEST_FIRST, ...all.filter((f) => !LONGEST_FIRST.includes(f))].join("\n") + "\n");
