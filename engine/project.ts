/**
 * The parts of a project's Pulumi.yaml the engine stand-in reads, read as the CLI reads them:
 * `name`, `options.refresh`, and the `config:` declarations (sdk/go/common/workspace/project.go
 * `ProjectConfigType`; loaders.go rewrites the short form first, `RewriteShorthandConfigValues`)
 * that engine/stackFile.ts merges into a stack's config and validates before a program runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

/** `items:` of an array declaration (ProjectConfigItemsType). */
export interface ConfigItemsType {
    readonly type: string;
    readonly items?: ConfigItemsType;
}

/** One `config:` entry of Pulumi.yaml (ProjectConfigType). */
export interface ConfigDeclaration {
    /** string, integer, boolean, array or object; undefined when the entry declares no type. */
    readonly type?: string;
    readonly items?: ConfigItemsType;
    /** The value the CLI writes into a stack's config that has none (project-namespaced keys). */
    readonly default?: unknown;
    /** The same, for keys of another namespace (`aws:region: us-west-2`). */
    readonly value?: unknown;
    /** The stack's value must be encrypted (`secure:`). */
    readonly secret: boolean;
}

/** What the stand-in reads of a Pulumi.yaml. */
export interface ProjectFile {
    /** `name`; undefined when the directory has no Pulumi.yaml. */
    readonly name?: string;
    /** `options.refresh: always`. */
    readonly refreshAlways: boolean;
    /** `config:`, by key as written (namespaced or not). */
    readonly config: Readonly<Record<string, ConfigDeclaration>>;
}

/** A directory without Pulumi.yaml: nothing declared. */
const NO_PROJECT_FILE: ProjectFile = { refreshAlways: false, config: {} };

/**
 * Reads `dir`/Pulumi.yaml. Throws with the CLI's message for a declaration the CLI refuses to load
 * (project.go `(*Project).Validate`: an array without `items`, a default not of the declared type,
 * both `default` and `value`).
 */
export function readProjectFile(dir: string): ProjectFile {
    const file = path.join(dir, "Pulumi.yaml");
    if (!fs.existsSync(file)) {
        return NO_PROJECT_FILE;
    }
    const doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { name?: string; options?: { refresh?: string }; config?: Record<string, unknown> | string | null };
    const name = doc.name;
    const config: Record<string, ConfigDeclaration> = {};
    // A string `config:` is the old spelling of stackConfigDir (RewriteConfigPathIntoStackConfigDir).
    const entries = typeof doc.config === "object" && doc.config !== null ? Object.entries(doc.config) : [];
    for (const [key, raw] of entries) {
        config[key] = declarationOf(key, raw, name ?? "");
    }
    return { name, refreshAlways: doc.options?.refresh === "always", config };
}

/** True when the key is the project's (`key` or `<project>:key`), as configKeyIsNamespacedByProject. */
export function isProjectKey(project: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${project}:`);
}

/** The full type name the CLI prints: `array<object>` (InferFullTypeName). */
export function fullTypeName(type: string, items: ConfigItemsType | undefined): string {
    return items === undefined ? type : `array<${fullTypeName(items.type, items.items)}>`;
}

/**
 * Whether `value` (a YAML/JSON value, or a config string) is of the declared type
 * (project.go `ValidateConfigValue`): integers may be whole numbers or strings that parse as one,
 * booleans may be the strings "true"/"false", an array needs `items` and every item valid.
 */
export function isOfType(type: string, items: ConfigItemsType | undefined, value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            // strconv.Atoi: an optional sign and decimal digits.
            return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^[+-]?\d+$/.test(value));
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "object":
            return typeof value === "object" && value !== null && !Array.isArray(value);
        default:
            return Array.isArray(value) && items !== undefined && value.every((item) => isOfType(items.type, items.items, item));
    }
}

function declarationOf(key: string, raw: unknown, project: string): ConfigDeclaration {
    // The short form: a scalar (string, integer, boolean) or a list is a default for the project's
    // keys and a value for others' (RewriteShorthandConfigValues; a float or a map is not rewritten).
    const shorthand = typeof raw === "string" || typeof raw === "boolean" || (typeof raw === "number" && Number.isInteger(raw)) || Array.isArray(raw);
    if (shorthand) {
        return isProjectKey(project, key) ? { default: raw, secret: false } : { value: raw, secret: false };
    }
    const entry = (raw ?? {}) as { type?: string; items?: ConfigItemsType; default?: unknown; value?: unknown; secret?: boolean };
    const declaration: ConfigDeclaration = {
        ...(entry.type === undefined ? {} : { type: entry.type }),
        ...(entry.items === undefined ? {} : { items: entry.items }),
        ...(entry.default === undefined || entry.default === null ? {} : { default: entry.default }),
        ...(entry.value === undefined || entry.value === null ? {} : { value: entry.value }),
        secret: entry.secret === true,
    };
    if (declaration.default !== undefined && declaration.value !== undefined) {
        throw new Error(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (!isProjectKey(project, key)) {
        // Another namespace's key is a value to set, never a declaration.
        if (declaration.type !== undefined) {
            throw new Error(`Configuration key '${key}' is not namespaced by the project and should not define a type`);
        }
        if (declaration.default !== undefined) {
            throw new Error(`Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`);
        }
        if (declaration.value === undefined) {
            throw new Error(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
        }
    } else if (declaration.type !== undefined) {
        if (declaration.type === "array" && declaration.items === undefined) {
            throw new Error(`The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`);
        }
        if (declaration.default !== undefined && !isOfType(declaration.type, declaration.items, declaration.default)) {
            throw new Error(`The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(declaration.type, declaration.items)}'`);
        }
    }
    return declaration;
}
