import { RefusalError } from "addin-credentials";

/**
 * A refused stack config: a RefusalError, so Pulumi's Node runner prints its message alone (the
 * operator reads where the mistake is and its fix, not the program's stack trace).
 */
export class ConfigError extends RefusalError {
    constructor(message: string) {
        super(message);
        this.name = "ConfigError";
    }
}
