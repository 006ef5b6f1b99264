// A small Microsoft Graph v1.0 client for the CredentialGeneration provider: bearer-token auth,
// bounded retries for throttling and transient failures, and errors that name the operation, the
// object, the HTTP status and Graph's error code (never a secret).
//
// It is written as factory functions and closures, not classes: the provider (and this file, by
// value) is serialized by Pulumi's closure serializer, which rewrites classes and drops field
// initializers. Nothing live is created until a method runs inside the provider host.
//
// Retry policy (DOMAIN.md §2 "Throttling"; Microsoft Graph throttling guidance):
// - 429 and 5xx, network failures and timeouts (AbortController) are retried, waiting
//   `Retry-After` seconds when Graph sends it, else an exponential backoff with jitter
//   (base `ADDIN_CREDENTIALS_RETRY_BASE_MS`, at most `ADDIN_CREDENTIALS_MAX_ATTEMPTS` attempts).
// - A non-idempotent request (addPassword) is retried only on 429, which Graph sends before doing
//   anything. A 5xx or a lost response may have created the password, so it is surfaced as
//   *ambiguous* and the caller re-reads the object and adopts what it finds instead of
//   blindly posting again (which would leave a duplicate).
import {
    GraphErrorContext,
    graphNetworkError,
    graphRequestError,
} from "./errors";

/** Settings of a {@link GraphClient}; read from the environment by {@link graphClientOptionsFromEnv}. */
export interface GraphClientOptions {
    /** Graph base URL without `/v1.0`, e.g. `https://graph.microsoft.com`. */
    readonly baseUrl: string;
    /** A ready bearer token; when absent, `@azure/identity`'s DefaultAzureCredential provides one. */
    readonly token?: string;
    /** Base of the exponential backoff, in milliseconds. */
    readonly retryBaseMs: number;
    /** Attempts per request before giving up (1 = no retry). */
    readonly maxAttempts: number;
    /** Timeout of one attempt, in milliseconds. */
    readonly timeoutMs: number;
}

/** Default Graph endpoint (public cloud). */
export const DEFAULT_GRAPH_URL = "https://graph.microsoft.com";
/** Default backoff base when a 429/5xx carries no `Retry-After`. */
export const DEFAULT_RETRY_BASE_MS = 1000;
/** Default attempts per Graph request. */
export const DEFAULT_MAX_ATTEMPTS = 6;
/** Default timeout of one Graph request attempt. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest single wait between attempts, whatever the backoff or `Retry-After` says. */
export const MAX_RETRY_WAIT_MS = 120_000;

/**
 * Reads the client settings from the environment (docs/ARCHITECTURE.md, "Environment variables").
 * These are never resource inputs and never reach Pulumi state.
 */
export function graphClientOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GraphClientOptions {
    const positiveInt = (name: string, fallback: number): number => {
        const raw = env[name];
        if (raw === undefined || raw === "") {
            return fallback;
        }
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 0) {
            throw new Error(`Environment variable ${name} must be a non-negative integer, got "${raw}".`);
        }
        return n;
    };
    const token = env.ADDIN_CREDENTIALS_GRAPH_TOKEN;
    return {
        baseUrl: (env.ADDIN_CREDENTIALS_GRAPH_URL || DEFAULT_GRAPH_URL).replace(/\/+$/, ""),
        token: token === undefined || token === "" ? undefined : token,
        retryBaseMs: positiveInt("ADDIN_CREDENTIALS_RETRY_BASE_MS", DEFAULT_RETRY_BASE_MS),
        maxAttempts: Math.max(1, positiveInt("ADDIN_CREDENTIALS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
        timeoutMs: Math.max(1, positiveInt("ADDIN_CREDENTIALS_TIMEOUT_MS", DEFAULT_TIMEOUT_MS)),
    };
}

/** One Graph call. */
export interface GraphRequest extends GraphErrorContext {
    readonly method: "GET" | "POST" | "PATCH";
    /** Path below `/v1.0`, starting with `/`. */
    readonly path: string;
    /** JSON body. */
    readonly body?: unknown;
    /** Whether repeating the request is harmless. @default true for GET and PATCH, false for POST */
    readonly idempotent?: boolean;
    /** Statuses handed back to the caller instead of thrown (e.g. 404 while polling). @default none */
    readonly acceptStatus?: readonly number[];
    /** Strings that must never appear in an error message (key values sent in the body). @default none */
    readonly redact?: readonly string[];
}

/** A Graph answer: the status and the parsed JSON body (undefined for 204 or non-JSON). */
export interface GraphResponse<T> {
    readonly status: number;
    readonly body: T | undefined;
}

/** The Graph client used by the provider. */
export interface GraphClient {
    /** The settings in use. */
    readonly options: GraphClientOptions;
    /** Sends one request with the retry policy above; resolves with 2xx or an accepted status, else throws. */
    request<T>(req: GraphRequest): Promise<GraphResponse<T>>;
}

/** Test seams of {@link createGraphClient}. */
export interface GraphClientDeps {
    /** @default globalThis.fetch */
    readonly fetch?: typeof fetch;
    /** @default a cached DefaultAzureCredential for `<baseUrl>/.default` */
    readonly getToken?: () => Promise<string>;
    /** @default setTimeout-based sleep */
    readonly sleep?: (ms: number) => Promise<void>;
    /** Receives one line per retry; never given a secret. @default console.error */
    readonly log?: (line: string) => void;
    /** @default Math.random */
    readonly random?: () => number;
}

/** Creates a {@link GraphClient}. Cheap: nothing is contacted until the first request. */
export function createGraphClient(options: GraphClientOptions, deps: GraphClientDeps = {}): GraphClient {
    const doFetch = deps.fetch ?? ((input: string | URL | Request, init?: RequestInit) => fetch(input, init));
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const log = deps.log ?? ((line: string) => console.error(line));
    const random = deps.random ?? Math.random;
    const getToken = deps.getToken ?? (options.token !== undefined ? staticToken(options.token) : azureIdentityToken(options.baseUrl));

    async function request<T>(req: GraphRequest): Promise<GraphResponse<T>> {
        const idempotent = req.idempotent ?? req.method !== "POST";
        const url = `${options.baseUrl}/v1.0${req.path}`;
        for (let attempt = 1; ; attempt++) {
            const last = attempt >= options.maxAttempts;
            const token = await getToken();
            const controller = new AbortController();
            const timer = setTimeout(() => controller.abort(), options.timeoutMs);
            let res: Response;
            let text: string;
            try {
                res = await doFetch(url, {
                    method: req.method,
                    headers: {
                        authorization: `Bearer ${token}`,
                        accept: "application/json",
                        ...(req.body === undefined ? {} : { "content-type": "application/json" }),
                    },
                    body: req.body === undefined ? undefined : JSON.stringify(req.body),
                    signal: controller.signal,
                });
                text = await res.text();
            } catch (e) {
                // Network failure or timeout: the request may or may not have reached Graph.
                const cause = controller.signal.aborted
                    ? `timed out after ${options.timeoutMs} ms`
                    : redactText(e instanceof Error ? e.message : String(e), req.redact);
                if (last || !idempotent) {
                    throw graphNetworkError(req, attempt, cause, req.method !== "GET");
                }
                const wait = backoff(options.retryBaseMs, attempt, random);
                log(`Graph ${req.operation} on ${req.object}: ${cause}; retrying in ${wait} ms (attempt ${attempt + 1}/${options.maxAttempts})`);
                await sleep(wait);
                continue;
            } finally {
                clearTimeout(timer);
            }

            if ((res.status >= 200 && res.status < 300) || (req.acceptStatus ?? []).includes(res.status)) {
                return { status: res.status, body: parseJson<T>(text) };
            }
            const retryable = res.status === 429 || res.status >= 500;
            const safeToRepeat = idempotent || res.status === 429;
            if (!retryable || !safeToRepeat || last) {
                const { code, message } = graphError(text);
                throw graphRequestError(
                    req,
                    res.status,
                    code,
                    redactText(message, req.redact),
                    res.headers.get("request-id") ?? undefined,
                    res.status >= 500 && !idempotent,
                );
            }
            const retryAfter = retryAfterMs(res.headers.get("retry-after"));
            const wait = Math.min(retryAfter ?? backoff(options.retryBaseMs, attempt, random), MAX_RETRY_WAIT_MS);
            log(
                `Graph ${req.operation} on ${req.object}: HTTP ${res.status} ${graphError(text).code}; ` +
                    `retrying in ${wait} ms${retryAfter === undefined ? "" : " (Retry-After)"} (attempt ${attempt + 1}/${options.maxAttempts})`,
            );
            await sleep(wait);
        }
    }

    return { options, request };
}

/** Exponential backoff with jitter: a random wait in [½, 1] × base × 2^(attempt-1), capped. */
export function backoff(baseMs: number, attempt: number, random: () => number = Math.random): number {
    const ceiling = Math.min(baseMs * 2 ** (attempt - 1), MAX_RETRY_WAIT_MS);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
    if (header === null || header.trim() === "") {
        return undefined;
    }
    const trimmed = header.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) {
        return Math.round(Number(trimmed) * 1000);
    }
    const at = Date.parse(trimmed);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Extracts Graph's `{error: {code, message}}`; tolerates other bodies. */
export function graphError(text: string): { code: string; message: string } {
    const body = parseJson<unknown>(text);
    if (typeof body === "object" && body !== null && "error" in body) {
        const error = (body as { error: unknown }).error;
        if (typeof error === "object" && error !== null) {
            const { code, message } = error as { code?: unknown; message?: unknown };
            return {
                code: typeof code === "string" && code !== "" ? code : "unknown",
                message: typeof message === "string" ? message : "",
            };
        }
    }
    return { code: "unknown", message: "" };
}

/** Replaces every occurrence of each sensitive string by `[redacted]`. */
export function redactText(text: string, sensitive: readonly string[] | undefined): string {
    let out = text;
    for (const s of sensitive ?? []) {
        if (s.length >= 4) {
            out = out.split(s).join("[redacted]");
        }
    }
    return out;
}

function parseJson<T>(text: string): T | undefined {
    if (text === "") {
        return undefined;
    }
    try {
        return JSON.parse(text) as T;
    } catch {
        return undefined;
    }
}

function staticToken(token: string): () => Promise<string> {
    return async () => token;
}

/**
 * A token from `@azure/identity`'s DefaultAzureCredential (service principal env vars, workload
 * identity/OIDC, managed identity, Azure CLI), cached per process on `globalThis` so that every
 * resource of one `pulumi up` shares it. `require`d here, not imported at the top, because the
 * serialized provider must not capture a live SDK object.
 */
function azureIdentityToken(baseUrl: string): () => Promise<string> {
    return async () => {
        const scope = `${baseUrl}/.default`;
        const cache = globalThis as { __addinCredentialsTokens?: Map<string, { credential: unknown; token?: string; expiresOn?: number }> };
        cache.__addinCredentialsTokens ??= new Map();
        let entry = cache.__addinCredentialsTokens.get(scope);
        if (entry === undefined) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const identity = require("@azure/identity") as typeof import("@azure/identity");
            entry = { credential: new identity.DefaultAzureCredential() };
            cache.__addinCredentialsTokens.set(scope, entry);
        }
        if (entry.token !== undefined && entry.expiresOn !== undefined && entry.expiresOn - Date.now() > 5 * 60_000) {
            return entry.token;
        }
        const credential = entry.credential as import("@azure/identity").TokenCredential;
        const accessToken = await credential.getToken(scope);
        if (accessToken === null) {
            throw new Error(`DefaultAzureCredential returned no token for ${scope}; sign in (az login) or set ADDIN_CREDENTIALS_GRAPH_TOKEN.`);
        }
        entry.token = accessToken.token;
        entry.expiresOn = accessToken.expiresOnTimestamp;
        return accessToken.token;
    };
}
