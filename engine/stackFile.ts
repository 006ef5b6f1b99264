/**
 * A stack's config as the Pulumi CLI hands it to a program: read from the stack file
 * (`Pulumi.<stack>.yaml`'s `config:` map), changed by `pulumi config set --path`, merged with the
 * project's declarations and checked against them before any program runs.
 *
 * The CLI passes every value to the program as a string: a string value as it is, any other value
 * (object, list, number, boolean) as its JSON (sdk/go/common/resource/config/map.go `Map.Decrypt`,
 * a map of key to string, which the Node SDK reads from `PULUMI_CONFIG`). Keys without a namespace
 * belong to the project (`<project>:<key>`). Encrypted values (`secure: v1:…`) cannot be read here,
 * so a stack file holding one is refused rather than passed on wrong; secrets are given as config
 * with {@link CommandRequest.secretKeys}.
 *
 * Before `pulumi preview`, `pulumi up` and `pulumi destroy` the CLI merges Pulumi.yaml's `config:`
 * defaults into the stack's config and, when the program is to run, validates every declared key
 * (pkg/workspace/config.go `mergeConfig`, `validateStackConfigValues`): a declared key without a
 * default is required, a `secret: true` key must be encrypted, a typed key must hold its type.
 * {@link stackConfig} does the same for a stack file's text, {@link applyProjectConfig} for the
 * config of a command, and both refuse with the CLI's message.
 */
import * as yaml from "js-yaml";
import { fullTypeName, isOfType, ProjectFile } from "./project";

/**
 * A config value as the CLI holds it (sdk/go/common/resource/config/value.go `Value`): its text,
 * whether the text is the JSON of a map or list (`object`), and whether it is encrypted.
 */
export interface StackConfigValue {
    readonly text: string;
    readonly object: boolean;
    readonly secure: boolean;
}

/** The `config:` map of a stack file's text, as it is, without Pulumi.yaml's defaults or checks. */
export function stackFileConfig(text: string, project: string): Record<string, string> {
    return textsOf(stackFileValues(text, project));
}

/**
 * The config a program gets from a stack file, as `pulumi preview` and `pulumi up` give it: the
 * file's `config:` merged with `project`'s defaults and validated against its declarations. Throws
 * the CLI's message ("validating stack config: Stack 'dev' is missing configuration value 'addins'")
 * for a file the CLI refuses.
 */
export function stackConfig(text: string, project: ProjectFile, stack: string): Record<string, string> {
    return textsOf(mergeProjectConfig(project, stack, stackFileValues(text, project.name ?? ""), true));
}

/**
 * The config of one command, as the CLI hands it to the program: `config` (strings, as `pulumi
 * config` stores them; `secretKeys` are the encrypted ones) merged with the project's defaults
 * and, when `validate`, checked against its declarations (`pulumi destroy` applies the defaults
 * only). Throws the CLI's message.
 *
 * A string cannot say whether the stack file held it as a string or as a map or list, which the
 * CLI's type check tells apart: a key declared `object` or `array` is taken to hold JSON, any other
 * as text, so a map given for a `string` key passes here (a stack file is checked exactly by
 * {@link stackConfig}).
 */
export function applyProjectConfig(
    project: ProjectFile,
    stack: string,
    config: Readonly<Record<string, string>>,
    secretKeys: readonly string[],
    validate: boolean,
): Record<string, string> {
    const projectName = project.name ?? "";
    const declaredTypes = new Map(Object.entries(project.config).map(([key, d]) => [namespaced(key, projectName), d.type]));
    const values = new Map<string, StackConfigValue>();
    for (const [key, text] of Object.entries(config)) {
        const type = declaredTypes.get(key);
        values.set(key, { text, object: (type === "object" || type === "array") && isJsonStructure(text), secure: secretKeys.includes(key) });
    }
    return textsOf(mergeProjectConfig(project, stack, values, validate));
}

/**
 * `pulumi config set --path '<key>.<field>…' <value>`: sets a string at a path of object fields
 * inside a structured value, creating the objects on the way (sdk/go/common/resource/config/map.go
 * `Map.Set` with `path`; list indexes are not modelled). Returns the new config.
 */
export function setConfigPath(config: Readonly<Record<string, string>>, project: string, pathSpec: string, value: string): Record<string, string> {
    const [first, ...fields] = pathSpec.split(".");
    const key = namespaced(first, project);
    if (fields.length === 0) {
        return { ...config, [key]: value };
    }
    const root = config[key] === undefined ? {} : JSON.parse(config[key]) as Record<string, unknown>;
    let node = root;
    for (const field of fields.slice(0, -1)) {
        const next = node[field];
        node = (node[field] = typeof next === "object" && next !== null ? next : {}) as Record<string, unknown>;
    }
    node[fields[fields.length - 1]] = value;
    return { ...config, [key]: JSON.stringify(root) };
}

/** The stack file's values as the CLI loads them (value.go `UnmarshalYAML`: scalars as text, maps and lists as JSON). */
function stackFileValues(text: string, project: string): Map<string, StackConfigValue> {
    const doc = yaml.load(text) as { config?: Record<string, unknown> } | null;
    const config = doc?.config ?? {};
    return new Map(Object.entries(config).map(([key, value]) => {
        if (containsSecure(value)) {
            throw new Error(`stack file: ${key} is encrypted (secure:); give secrets as config with secretKeys instead.`);
        }
        const object = typeof value === "object"; // a map, a list, or null (the JSON "null")
        return [namespaced(key, project), { text: typeof value === "string" ? value : JSON.stringify(value), object, secure: false }];
    }));
}

/**
 * pkg/workspace/config.go `mergeConfig`: the defaults (or values) of declared keys the stack does
 * not set are added, as text for a string, integer or boolean and as JSON otherwise
 * (`createConfigValue`); with `validate`, the project's keys that have neither are missing, then
 * every typed key is checked in key order (`validateStackConfigValues`).
 */
function mergeProjectConfig(project: ProjectFile, stack: string, values: ReadonlyMap<string, StackConfigValue>, validate: boolean): Map<string, StackConfigValue> {
    const projectName = project.name ?? "";
    const merged = new Map(values);
    const missing: string[] = [];
    const keys = Object.keys(project.config).sort();
    for (const key of keys) {
        const declaration = project.config[key];
        const full = namespaced(key, projectName);
        if (merged.has(full)) {
            continue;
        }
        const given = declaration.default ?? declaration.value;
        if (given === undefined) {
            if (full.startsWith(`${projectName}:`)) {
                missing.push(key);
            }
            continue;
        }
        const primitive = typeof given === "string" || typeof given === "boolean" || (typeof given === "number" && Number.isInteger(given));
        merged.set(full, primitive ? { text: String(given), object: false, secure: false } : { text: JSON.stringify(given), object: true, secure: false });
    }
    if (!validate) {
        return merged;
    }
    if (missing.length > 0) {
        throw refusal(`Stack '${stack}' is missing configuration ${missing.length === 1 ? "value" : "values"} ${formatMissingKeys(missing)}`);
    }
    for (const key of keys) {
        const declaration = project.config[key];
        if (declaration.type === undefined) {
            continue;
        }
        const value = merged.get(namespaced(key, projectName)) ?? { text: "", object: false, secure: false };
        if (declaration.secret && !value.secure) {
            throw refusal(`Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
        }
        const content: unknown = value.object ? JSON.parse(value.text) : value.text;
        if (!isOfType(declaration.type, declaration.items, content)) {
            throw refusal(`Stack '${stack}' with configuration key '${key}' must be of type '${fullTypeName(declaration.type, declaration.items)}'`);
        }
    }
    return merged;
}

/** config.go `formatMissingKeys`: 'a'; 'a' and 'b'; 'a', 'b' and 'c' (sorted). */
function formatMissingKeys(keys: string[]): string {
    const quoted = [...keys].sort().map((k) => `'${k}'`);
    return quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

/** The CLI wraps every refusal of the config (pkg/cmd/pulumi/operations/preview.go, up.go). */
function refusal(message: string): Error {
    return new Error(`validating stack config: ${message}`);
}

function containsSecure(value: unknown): boolean {
    if (typeof value !== "object" || value === null) {
        return false;
    }
    if (!Array.isArray(value) && "secure" in value && Object.keys(value).length === 1) {
        return true;
    }
    return Object.values(value).some(containsSecure);
}

function isJsonStructure(text: string): boolean {
    try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === "object" && parsed !== null;
    } catch {
        return false;
    }
}

function textsOf(values: ReadonlyMap<string, StackConfigValue>): Record<string, string> {
    return Object.fromEntries([...values].map(([key, value]) => [key, value.text]));
}

function namespaced(key: string, project: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}
