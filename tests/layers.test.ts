// The folders are the layers (docs/ARCHITECTURE.md, "Layers"): each may import only the layers
// below it, and no module imports itself back through others. Checked on the import statements of
// every TypeScript and CommonJS file in the repository.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");

/** Layer -> the layers it may import (besides itself). Keep in step with docs/ARCHITECTURE.md. */
const MAY_IMPORT: Record<string, readonly string[]> = {
    "components/graph": [],
    components: ["components/graph"],
    program: [],
    "index.ts": ["program"],
    emulator: [],
    engine: [],
    cli: [],
    tools: ["components", "components/graph", "program", "emulator", "engine", "cli"],
    bench: ["components", "components/graph", "program", "emulator", "engine", "cli", "tools"],
    tests: ["components", "components/graph", "program", "index.ts", "emulator", "engine", "cli", "tools", "bench"],
};

function layerOf(file: string): string {
    const [top, second] = file.split("/");
    if (top === "components" && second === "graph") {
        return "components/graph";
    }
    return file.includes("/") ? top : file;
}

const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.cjs", "*.d.cts"], { cwd: ROOT, encoding: "utf8" })
    .split("\n").filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)));

/** Relative imports of a file, resolved to repository paths (type-only imports included). */
function importsOf(file: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const specs = [...text.matchAll(/(?:\bfrom|\bimport|\brequire\()\s*["'](\.{1,2}\/[^"']*)["']/g)].map((m) => m[1]);
    // A specifier that resolves to no file is text inside a string (a test's generated program);
    // the compiler checks the real imports resolve.
    return specs.flatMap((spec) => {
        const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        return [`${base}.ts`, `${base}/index.ts`, `${base}.cjs`, base].filter((c) => files.includes(c)).slice(0, 1);
    });
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Imports that go to a layer the importing layer may not use. */
function upwardImports(g: ReadonlyMap<string, readonly string[]>): string[] {
    return [...g].flatMap(([from, tos]) => tos
        .filter((to) => layerOf(to) !== layerOf(from) && !(MAY_IMPORT[layerOf(from)] ?? []).includes(layerOf(to)))
        .map((to) => `${from} -> ${to}`));
}

/** The import cycles: Tarjan's strongly connected components of more than one file. */
function importCycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    const visit = (v: string): void => {
        index.set(v, index.size);
        low.set(v, index.get(v) as number);
        stack.push(v);
        for (const w of g.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
            } else if (stack.includes(w)) {
                low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
            }
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop() as string;
                component.push(w);
            } while (w !== v);
            if (component.length > 1) {
                cycles.push(component.sort());
            }
        }
    };
    for (const f of g.keys()) {
        if (!index.has(f)) {
            visit(f);
        }
    }
    return cycles;
}

describe("layers and imports", () => {
    it("knows the layer of every source file", () => {
        assert.deepEqual(files.map(layerOf).filter((l) => !(l in MAY_IMPORT) && !/\.(c|m)js$/.test(l)), []);
    });

    it("imports only downwards: each layer from the layers below it", () => {
        assert.deepEqual(upwardImports(graph), []);
    });

    it("has no import cycle", () => {
        assert.deepEqual(importCycles(graph), []);
    });

    it("finds an upward import and a cycle where there is one", () => {
        const fake = new Map([
            ["components/a.ts", ["components/b.ts"]],
            ["components/b.ts", ["components/c.ts", "tests/x.ts"]],
            ["components/c.ts", ["components/a.ts", "components/graph/d.ts"]],
            ["components/graph/d.ts", []],
        ]);
        assert.deepEqual(upwardImports(fake), ["components/b.ts -> tests/x.ts"]);
        assert.deepEqual(importCycles(fake), [["components/a.ts", "components/b.ts", "components/c.ts"]]);
    });
});
