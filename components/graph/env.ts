// The environment variables that point the Graph client at a Graph endpoint and give it a token
// (docs/ARCHITECTURE.md "Environment variables"), and a builder for a child process's environment:
// the program's process and the dynamic provider host both read them.

/** Graph base URL without `/v1.0`. */
export const GRAPH_URL_ENV = "ADDIN_CREDENTIALS_GRAPH_URL";
/** A ready bearer token (else DefaultAzureCredential). */
export const GRAPH_TOKEN_ENV = "ADDIN_CREDENTIALS_GRAPH_TOKEN";
/** Base of the exponential backoff, in milliseconds. */
export const RETRY_BASE_ENV = "ADDIN_CREDENTIALS_RETRY_BASE_MS";
/** Attempts per request. */
export const MAX_ATTEMPTS_ENV = "ADDIN_CREDENTIALS_MAX_ATTEMPTS";
/** Timeout of one attempt, in milliseconds. */
export const TIMEOUT_ENV = "ADDIN_CREDENTIALS_TIMEOUT_MS";

/** What {@link graphEnv} can set. */
export interface GraphEnvSettings {
    readonly url: string;
    readonly token: string;
    readonly retryBaseMs?: number;
    readonly maxAttempts?: number;
    readonly timeoutMs?: number;
}

/** The environment that points the Graph client at `url` with `token` (e.g. an emulator's). */
export function graphEnv(settings: GraphEnvSettings): Record<string, string> {
    const optional = (name: string, value: number | undefined): Record<string, string> => (value === undefined ? {} : { [name]: String(value) });
    return {
        [GRAPH_URL_ENV]: settings.url,
        [GRAPH_TOKEN_ENV]: settings.token,
        ...optional(RETRY_BASE_ENV, settings.retryBaseMs),
        ...optional(MAX_ATTEMPTS_ENV, settings.maxAttempts),
        ...optional(TIMEOUT_ENV, settings.timeoutMs),
    };
}
