import * as assert from "node:assert/strict";

describe("toolchain", () => {
    it("runs on Node.js 22 or later, the floor @pulumi/pulumi sets", () => {
        const major = Number(process.versions.node.split(".")[0]);
        assert.ok(major >= 22, `node ${process.versions.node} is older than 22`);
    });
});
