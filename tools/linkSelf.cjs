// `npm run build` (and so `npm ci`, through `prepare`): makes node_modules/addin-credentials point at
// this repository, so that this repository's program, and the dynamic provider host the engine
// starts in its directory, load the package by its name exactly as a user's project does after
// `npm install addin-credentials` (the provider text stored in state requires it by name).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "addin-credentials");
fs.mkdirSync(path.dirname(link), { recursive: true });
let current;
try {
    current = fs.readlinkSync(link);
} catch {
    current = undefined;
}
if (current !== "..") {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync("..", link, "dir");
}
