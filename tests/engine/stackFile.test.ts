// The stack's config as the CLI hands it to a program (engine/stackFile.ts, engine/project.ts):
// Pulumi.yaml's defaults merged in, and its declarations checked before any program runs, with the
// CLI's messages (pkg/workspace/config.go `mergeConfig`, `validateStackConfigValues`;
// sdk/go/common/workspace/project.go `ValidateConfigValue`, `(*Project).Validate`). The real CLI's
// own refusals are in tests/cli/config.test.ts and tests/cli/differential.test.ts.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ProjectFile, readProjectFile } from "../../engine/project";
import { EngineStack, EXIT, HostSource } from "../../engine/stack";
import { applyProjectConfig, stackConfig, stackFileConfig } from "../../engine/stackFile";

const REPOSITORY = path.join(__dirname, "..", "..");

/** A project declaring one key of each kind. */
const PROJECT_YAML = `name: demo
runtime: nodejs
config:
  region: westeurope            # short form: a default
  sizes:
    type: array
    items:
      type: integer
  settings:
    type: object
    default: {tier: basic}
  retries:
    type: integer
    default: 3
  verbose:
    type: boolean
    default: false
  label:
    type: string
  password:
    type: string
    secret: true
`;

describe("stack config as the CLI hands it to a program", () => {
    let dir: string;
    let project: ProjectFile;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), PROJECT_YAML);
        project = readProjectFile(dir);
    });

    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const file = (body: string) => `config:\n${body}`;
    const refusal = (body: string) => {
        try {
            stackConfig(file(body), project, "dev");
        } catch (e) {
            return (e as Error).message;
        }
        return "accepted";
    };
    const complete = "  demo:sizes: [1, 2]\n  demo:label: web\n  demo:password: hunter2\n";

    it("merges the defaults into a stack that does not set them: scalars as text, maps and lists as JSON", () => {
        const config = applyProjectConfig(project, "dev", { "demo:sizes": "[1]", "demo:label": "x", "demo:password": "p" }, ["demo:password"], true);

        assert.deepEqual(config, {
            "demo:sizes": "[1]",
            "demo:label": "x",
            "demo:password": "p",
            "demo:region": "westeurope",
            "demo:settings": '{"tier":"basic"}',
            "demo:retries": "3",
            "demo:verbose": "false",
        });
    });

    it("keeps the stack's own value over the default", () => {
        const config = applyProjectConfig(project, "dev", { "demo:sizes": "[1]", "demo:label": "x", "demo:password": "p", "demo:retries": "5" }, ["demo:password"], true);

        assert.equal(config["demo:retries"], "5");
    });

    it("refuses a stack without a declared key that has no default, naming every missing key", () => {
        assert.equal(refusal("  demo:sizes: [1]\n"), "validating stack config: Stack 'dev' is missing configuration values 'label' and 'password'");
        assert.equal(refusal("  demo:sizes: [1]\n  demo:label: x\n"), "validating stack config: Stack 'dev' is missing configuration value 'password'");
    });

    it("refuses a secret key whose value is not encrypted", () => {
        assert.equal(refusal(complete), "validating stack config: Stack 'dev' with configuration key 'password' must be encrypted as it's secret");
        assert.equal(
            applyProjectConfig(project, "dev", { "demo:sizes": "[1]", "demo:label": "x", "demo:password": "p" }, ["demo:password"], true)["demo:password"],
            "p",
            "a secret given with secretKeys counts as encrypted",
        );
    });

    it("refuses a value of another type than declared, with the full type name", () => {
        const withSecret = (body: string) => {
            try {
                applyProjectConfig(project, "dev", stackFileConfig(file(body), "demo"), ["demo:password"], true);
            } catch (e) {
                return (e as Error).message;
            }
            return "accepted";
        };
        assert.equal(withSecret("  demo:sizes: [1, two]\n  demo:label: x\n  demo:password: p\n"), "validating stack config: Stack 'dev' with configuration key 'sizes' must be of type 'array<integer>'");
        assert.equal(withSecret("  demo:sizes: [1]\n  demo:label: x\n  demo:password: p\n  demo:retries: many\n"), "validating stack config: Stack 'dev' with configuration key 'retries' must be of type 'integer'");
        assert.equal(withSecret("  demo:sizes: [1]\n  demo:label: x\n  demo:password: p\n  demo:verbose: yes please\n"), "validating stack config: Stack 'dev' with configuration key 'verbose' must be of type 'boolean'");
        assert.equal(withSecret("  demo:sizes: [1]\n  demo:label: x\n  demo:password: p\n  demo:settings: [a]\n"), "validating stack config: Stack 'dev' with configuration key 'settings' must be of type 'object'");
        assert.equal(withSecret("  demo:sizes: [1]\n  demo:label: x\n  demo:password: p\n  demo:retries: \"7\"\n  demo:verbose: \"true\"\n"), "accepted", "integers and booleans may be strings");
    });

    it("tells a map from a string in a stack file, which a config string cannot", () => {
        const body = "  demo:sizes: [1]\n  demo:label: {a: 1}\n  demo:password: p\n";

        assert.equal(refusal(body), "validating stack config: Stack 'dev' with configuration key 'label' must be of type 'string'");
        const config = applyProjectConfig(project, "dev", stackFileConfig(file(body), "demo"), ["demo:password"], true);
        assert.equal(config["demo:label"], '{"a":1}', "a config string given for a string key is accepted, whatever it holds");
    });

    it("refuses an encrypted value, which the stand-in cannot decrypt", () => {
        assert.throws(() => stackConfig(file("  demo:password:\n    secure: v1:abc\n"), project, "dev"), /demo:password is encrypted \(secure:\); give secrets as config with secretKeys instead\./);
        assert.throws(() => stackConfig(file("  demo:settings:\n    inner:\n      secure: v1:abc\n"), project, "dev"), /demo:settings is encrypted/);
    });

    it("refuses a Pulumi.yaml whose default is not of its declared type, as the CLI refuses to load it", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: demo\nconfig:\n  retries:\n    type: integer\n    default: often\n");

        assert.throws(() => readProjectFile(dir), /^Error: The default value specified for configuration key 'retries' is not of the expected type 'integer'$/);
    });

    it("the repository's Pulumi.yaml: addins is required and typed, planningTime defaults to empty, adoptedClientSecrets is not declared", () => {
        const repo = readProjectFile(REPOSITORY);
        const addins = JSON.stringify([{ name: "hr-portal", clientId: "3f2b8c1e-7d4a-4e6b-9a15-2c8d0e7f4b63", firstGenerationStart: "2026-12-01" }]);

        assert.deepEqual(Object.keys(repo.config).sort(), ["addins", "planningTime"]);
        assert.deepEqual(applyProjectConfig(repo, "dev", { "addin-credentials:addins": addins }, [], true), { "addin-credentials:addins": addins, "addin-credentials:planningTime": "" });
        assert.throws(() => applyProjectConfig(repo, "dev", {}, [], true), /^Error: validating stack config: Stack 'dev' is missing configuration value 'addins'$/);
        assert.throws(() => stackConfig("config:\n  addin-credentials:addins: hr-portal\n", repo, "dev"), /Stack 'dev' with configuration key 'addins' must be of type 'array<object>'/);
        for (const stack of ["dev", "prod"]) {
            const text = fs.readFileSync(path.join(REPOSITORY, "stacks", `Pulumi.${stack}.yaml`), "utf8");
            assert.equal(stackConfig(text, repo, stack)["addin-credentials:planningTime"], "", `stacks/Pulumi.${stack}.yaml passes`);
        }
    });
});

describe("EngineStack checks the config of every command before it runs", () => {
    /** Refuses to start a run: a refused config never gets as far as a provider process. */
    const noRuns: HostSource = {
        acquire: () => Promise.reject(new Error("a run started")),
        close: async () => undefined,
    };
    const stack = () => new EngineStack({ programPath: path.join(REPOSITORY, "index.ts"), projectDir: REPOSITORY, hosts: noRuns });

    it("fails preview and up with the CLI's message, and up runs no update", async () => {
        const preview = await stack().preview({ config: {} });
        const up = await stack().up({ config: { "addin-credentials:addins": "hr-portal" } });

        assert.equal(preview.exitCode, EXIT.error);
        assert.equal(preview.error, "validating stack config: Stack 'dev' is missing configuration value 'addins'");
        assert.deepEqual(preview.preview.steps, []);
        assert.equal(up.exitCode, EXIT.error);
        assert.equal(up.error, "validating stack config: Stack 'dev' with configuration key 'addins' must be of type 'array<object>'");
        assert.equal(up.update, undefined);
    });

    it("does not check the config of a destroy, which runs no program", async () => {
        await assert.rejects(stack().destroy({ config: {} }), /a run started/);
    });
});
