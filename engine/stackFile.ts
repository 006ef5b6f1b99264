/**
 * A stack's config as the Pulumi CLI hands it to a program: read from the stack file
 * (`Pulumi.<stack>.yaml`'s `config:` map) and changed by `pulumi config set --path`.
 *
 * The CLI passes every value to the program as a string: a string value as it is, any other value
 * (object, list, number, boolean) as its JSON (sdk/go/common/resource/config/map.go `Map.Decrypt`,
 * a map of key to string, which the Node SDK reads from `PULUMI_CONFIG`). Keys without a namespace belong to the project
 * (`<project>:<key>`). Encrypted values (`secure: v1:…`) cannot be read here, so a stack file
 * holding one is refused rather than passed on wrong; secrets are given as config with
 * {@link CommandRequest.secretKeys}.
 */
import * as yaml from "js-yaml";

/** The `config:` map of a stack file's text, as the program receives it. */
export function stackFileConfig(text: string, project: string): Record<string, string> {
    const doc = yaml.load(text) as { config?: Record<string, unknown> } | null;
    const config = doc?.config ?? {};
    return Object.fromEntries(Object.entries(config).map(([key, value]) => {
        if (typeof value === "object" && value !== null && "secure" in value) {
            throw new Error(`stack file: ${key} is encrypted (secure:); give secrets as config with secretKeys instead.`);
        }
        return [namespaced(key, project), typeof value === "string" ? value : JSON.stringify(value)];
    }));
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

function namespaced(key: string, project: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}
