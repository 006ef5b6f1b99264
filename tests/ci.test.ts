import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");

describe("toolchain", () => {
    it("runs on Node.js 22 or later, the floor @pulumi/pulumi sets", () => {
        const major = Number(process.versions.node.split(".")[0]);
        assert.ok(major >= 22, `node ${process.versions.node} is older than 22`);
    });

    it("npm ci refuses a Node.js below engines.node at once, saying how to get Node 22 (engine-strict in .npmrc)", function () {
        this.timeout(60_000);
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: Record<string, string> };
        assert.equal(pkg.engines.node, ">=22");
        const hint = pkg.engines["how-to-get-node-22"];
        assert.match(hint, /Install Node\.js 22 or later .* or run \.ci\/run/);
        // npm checks engines against the Node.js it runs on: on this one, the check that refuses
        // Node 20 is made to refuse it with a floor no release reaches. The rest is the repository's.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-strict-"));
        try {
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, engines: { ...pkg.engines, node: ">=999" } }));
            fs.copyFileSync(path.join(ROOT, "package-lock.json"), path.join(dir, "package-lock.json"));
            fs.copyFileSync(path.join(ROOT, ".npmrc"), path.join(dir, ".npmrc"));
            const started = Date.now();

            const npm = spawnSync("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, encoding: "utf8" });

            assert.notEqual(npm.status, 0, npm.stdout + npm.stderr);
            assert.match(npm.stderr, /code EBADENGINE/);
            assert.ok(npm.stderr.includes(hint), npm.stderr);
            assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
            assert.equal(fs.existsSync(path.join(dir, "node_modules")), false, "nothing installed");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
