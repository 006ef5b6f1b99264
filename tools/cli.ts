// Command-line parsing shared by the tools, on Node's own util.parseArgs, with its errors
// reworded for people (the option named, "see --help").
import { parseArgs, ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` (without node and the script) against `options` (strict: unknown options and
 * missing values throw). Returns the values, or "help" for --help / -h.
 */
export function parseCommandLine<O extends Options>(argv: readonly string[], options: O): ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"] | "help" {
    if (argv.includes("--help") || argv.includes("-h")) {
        return "help";
    }
    try {
        return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
    } catch (e) {
        const err = e as Error & { code?: string };
        const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? "";
        const option = quoted.split(" ")[0];
        if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
            throw new Error(`unknown option "${option}"; see --help.`);
        }
        if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
            throw new Error(`unexpected argument "${quoted}": every value follows its option; see --help.`);
        }
        if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
            // "argument is ambiguous": the next word starts with "-" (a negative number, say).
            throw new Error(/ambiguous/.test(err.message)
                ? `${option} needs a value; for a value starting with "-" write ${option}=<value>.`
                : `${option} needs a value.`);
        }
        throw err;
    }
}
