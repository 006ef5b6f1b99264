// The real Pulumi CLI is the judge of deployment behaviour (docs/REAL-CLI.md), the engine stand-in a
// fast model of it (docs/ENGINE.md). A spec that deploys through the stand-in says why, in a comment
// line starting `// Engine:` at its top; the specs of the stand-in itself (tests/engine/) and those
// that compare it with the CLI (tests/cli/) are exempt.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const TESTS = __dirname;
/** What running a deployment on the stand-in looks like in a spec. */
const USES_STAND_IN = /\bnewStack\(|\bnew EngineStack\(|\brunSandbox\(/;
const REASON = /^\/\/ Engine: \S.{20,}/m;

/** The spec files (relative to tests/) that deploy through the stand-in without saying why. */
export function specsWithoutReason(files: ReadonlyMap<string, string>): string[] {
    return [...files]
        .filter(([file, text]) => !file.startsWith("engine/") && !file.startsWith("cli/") && USES_STAND_IN.test(text) && !REASON.test(text))
        .map(([file]) => file)
        .sort();
}

describe("the engine each spec deploys on", () => {
    const specs = new Map(
        fs.readdirSync(TESTS, { recursive: true })
            .map((f) => String(f).split(path.sep).join("/"))
            .filter((f) => f.endsWith(".test.ts"))
            .map((f) => [f, fs.readFileSync(path.join(TESTS, f), "utf8")] as const),
    );
    specs.delete("engineChoice.test.ts"); // its own examples below


    it("every spec that deploys through the stand-in says why in an `// Engine:` line", () => {
        assert.deepEqual(specsWithoutReason(specs), []);
    });

    it("finds a spec that deploys on the stand-in without a reason, and accepts one with it", () => {
        const fake = new Map([
            ["days.test.ts", 'const stack = lab.newStack();\n'],
            ["said.test.ts", "// Engine: the stand-in, because it runs a thousand days.\nconst stack = lab.newStack();\n"],
            ["unit.test.ts", "assert.equal(1, 1);\n"],
            ["engine/engine.test.ts", "new EngineStack({});\n"],
        ]);
        assert.deepEqual(specsWithoutReason(fake), ["days.test.ts"]);
    });
});
