// The lint configuration (eslint.config.mjs) does what it says on the product code: an Output in a
// template literal is refused (its text is "[object Object]" or a warning, never the value), and
// pulumi.interpolate is the way. The probe's text is linted as if it were a product file.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { ESLint } from "eslint";

const ROOT = path.join(__dirname, "..");
const PRODUCT_FILE = "components/graph/shape.ts";

async function ruleIds(code: string, filePath = PRODUCT_FILE): Promise<string[]> {
    const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: path.join(ROOT, filePath) });
    return result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

const PROBE = (expression: string) =>
    `import * as pulumi from "@pulumi/pulumi";\nexport function describe(id: pulumi.Output<string>): unknown {\n    return ${expression};\n}\n`;

describe("lint (eslint.config.mjs)", function () {
    this.timeout(60_000);

    it("refuses an Output inside a template literal in the product code, and an apply inside one", async () => {
        assert.ok((await ruleIds(PROBE("`secret ${id}`"))).includes("@typescript-eslint/restrict-template-expressions"));
        assert.deepEqual((await ruleIds(PROBE("`secret ${id.apply((s) => s.length)}`"))).sort(), ["@typescript-eslint/no-base-to-string", "@typescript-eslint/restrict-template-expressions", "no-restricted-syntax"]);
    });

    it("accepts pulumi.interpolate and plain values in template literals", async () => {
        assert.deepEqual(await ruleIds(PROBE("pulumi.interpolate`secret ${id}`")), []);
        assert.deepEqual(await ruleIds(PROBE("[id, `length ${String(1)} ${2} ${true}`]")), []);
    });
});
