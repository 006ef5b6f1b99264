// Prints the spec files for `npm test`, the longest first, so the two parallel mocha workers end
// together (mocha runs files in the order given, and in parallel mode does not drop a file given
// twice, so the list holds each file once). Measured durations (the sum of a file's test times in
// one parallel run, 2026-12-08): cli/differential about 240 s (mostly in its before hook),
// cli/lifecycle 179 s, engine/engine 148 s, sandbox 141 s, cli/interrupted 120 s, scenarios 83 s,
// pulumiUp 60 s, tenantOnboarding 54 s, cli/upgrade 48 s, readme 42 s, cli/previews 38 s,
// credentialInventory 37 s, upgrade 32 s, reliability 31 s, cli/firstDeployment 31 s, cli/config 26 s;
// every other file under 25 s.
const fs = require("node:fs");
const path = require("node:path");

const LONGEST_FIRST = [
    "cli/differential", "cli/lifecycle", "engine/engine", "sandbox", "cli/interrupted", "scenarios", "pulumiUp", "tenantOnboarding",
    "cli/upgrade", "readme", "cli/previews", "credentialInventory", "upgrade", "reliability", "cli/firstDeployment", "cli/config", "cli/build",
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
