import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as semver from "semver";

// Pulumi.yaml is read by the Pulumi CLI, which no test here runs: this checks what the CLI would
// refuse or misread before it gets the chance.

interface ConfigType {
    readonly type?: string;
    readonly items?: ConfigType;
}

interface Project {
    readonly requiredPulumiVersion?: unknown;
    readonly config?: Record<string, ConfigType>;
}

// The first CLI that accepts config values typed `object` (pulumi/pulumi#20132, CLI changelog 3.187.0).
const OBJECT_CONFIG_CLI = "3.187.0";

const project = yaml.load(fs.readFileSync(path.resolve(__dirname, "..", "Pulumi.yaml"), "utf8")) as Project;

function typesOf(config: ConfigType | undefined): string[] {
    return config === undefined ? [] : [config.type ?? "", ...typesOf(config.items)];
}

describe("Pulumi.yaml", () => {
    it("sets requiredPulumiVersion to a semver range", () => {
        const range = project.requiredPulumiVersion;
        assert.equal(typeof range, "string", "requiredPulumiVersion is missing or not a string");
        assert.ok(semver.validRange(range as string) !== null, `requiredPulumiVersion ${String(range)} is not a semver range`);
        // The CLI parses the range with Go's blang/semver: comparators joined by spaces or ||, no ^, ~ or x.
        assert.match(range as string, /^(?:[<>]=?|=|!=)?\d+\.\d+\.\d+(?:\s+(?:\|\|\s+)?(?:[<>]=?|=|!=)?\d+\.\d+\.\d+)*$/);
    });

    it("requires a CLI that accepts object-typed config when a config key is typed object", () => {
        const usesObjects = Object.values(project.config ?? {}).some((c) => typesOf(c).includes("object"));
        assert.ok(usesObjects, "no object-typed config key: revisit requiredPulumiVersion");
        const floor = semver.minVersion(project.requiredPulumiVersion as string);
        assert.ok(floor !== null && semver.gte(floor, OBJECT_CONFIG_CLI), `requiredPulumiVersion allows CLIs before ${OBJECT_CONFIG_CLI}`);
    });
});
