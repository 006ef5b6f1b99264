// One mock-mode evaluation, in its own process so that peak RSS belongs to it alone:
//   node -r ts-node/register/transpile-only bench/mockEval.ts <component|azuread> <count>
// prints one JSON line {variant, count, resources, wallMs, rssBeforeMb, peakRssMb}.
//
// "component": the real program (index.ts) with <count> add-ins in stack config, planned at an
// instant where every add-in holds two generations (2 CredentialGeneration + 2 RandomBytes + the
// component). "azuread": <count> bare @pulumi/azuread ServicePrincipalPassword resources, the
// obvious alternative. Modules are loaded before the clock starts: the figure is evaluation, not
// require time.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

type Variant = "component" | "azuread";

async function main(): Promise<void> {
    const variant = process.argv[2] as Variant;
    const count = Number(process.argv[3]);
    if ((variant !== "component" && variant !== "azuread") || !Number.isInteger(count) || count < 1) {
        throw new Error("usage: mockEval.ts <component|azuread> <count>");
    }
    let resources = 0;
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            resources++;
            const extra = args.type.includes("CredentialGeneration")
                ? { signKeyId: `${args.name}-s`, verifyKeyId: `${args.name}-v`, passwordKeyId: `${args.name}-p`, clientSecret: `${args.name}-secret`, missing: [], drift: [] }
                : args.type.includes("RandomBytes") ? { base64: "AAAA", hex: "00" } : {};
            return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
        },
        call: (args) => args.inputs,
    }, "addin-credentials", "bench", false);

    let evaluate: () => Promise<unknown>;
    if (variant === "component") {
        const programPath = path.resolve(__dirname, "..", "index.ts");
        // Load everything index.ts imports before timing.
        await import("../components/addInCredentialSet");
        await import("../components/remoteWebDelivery");
        await import("../program/config");
        const addins = Array.from({ length: count }, (_, i) => ({
            name: `addin-${i}`,
            clientId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
            firstGenerationStart: "2025-01-01",
        }));
        // 2026-09-01: generation 1 (from 2026-07-06) is current, generation 0 still valid.
        pulumi.runtime.setAllConfig({ "addin-credentials:addins": JSON.stringify(addins), "addin-credentials:planningTime": "2026-09-01T00:00:00Z" });
        evaluate = async () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const program = require(programPath) as { addins: Record<string, unknown> };
            return promiseOf(pulumi.output(program.addins));
        };
    } else {
        const azuread = await import("@pulumi/azuread");
        evaluate = async () => {
            const ids = Array.from({ length: count }, (_, i) => new azuread.ServicePrincipalPassword(`addin-${i}`, {
                servicePrincipalId: `/servicePrincipals/00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
                displayName: `addin-${i}`,
                endDate: "2029-01-01T00:00:00Z",
            }).value);
            return promiseOf(pulumi.all(ids));
        };
    }
    const rssBefore = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    await evaluate();
    await new Promise((resolve) => setImmediate(resolve));
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    console.log(JSON.stringify({ variant, count, resources, wallMs, rssBeforeMb: rssBefore / 2 ** 20, peakRssMb }));
}

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

main().then(
    () => process.exit(0),
    (e: unknown) => {
        console.error(e instanceof Error ? e.stack : String(e));
        process.exit(1);
    },
);
