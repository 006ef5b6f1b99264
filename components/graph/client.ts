// A small Microsoft Graph v1.0 client for the CredentialGeneration provider: bearer-token auth,
// bounded retries for throttling and transient failures, and errors that name the operation, the
// object, the HTTP status and Graph's error code (never a secret).
//
// It is written as factory functions and closures, not classes: the provider (and this file, by
// value) is serialized by Pulumi's closure serializer, which rewrites classes and drops field
// initializers. Nothing live is created until a method runs inside the provider host.
//
// Retry policy (Microsoft Graph concepts/throttling: 429, `Retry-After` not always sent):
// - 429 and 5xx, network failures and timeouts (AbortController) are retried, waiting
//   `Retry-After` seconds when Graph sends it, else an exponential backoff with jitter
//   (base `ADDIN_CREDENTIALS_RETRY_BASE_MS`, at most `ADDIN_CREDENTIALS_MAX_ATTEMPTS` attempts).
// - A non-idempotent request (addPassword) is retried only on 429, which Graph sends before doing
//   anything. A 5xx or a lost response may have created the password, so it is surfaced as
//   *ambiguous* and the caller re-reads the object and adopts what it finds instead of
//   blindly posting again (which would leave a duplicate).
// - `attempt` sends one attempt and says how long the policy would wait; `request` is a loop over
//   it. A caller that must re-read between attempts (credentials.ts updateKeyCredentials) uses the
//   same two pieces, so there is one retry policy.
//
// Answers are read strictly (Graph documents JSON bodies and `{"error": {"code", ...}}` failures):
// a 2xx body that is not JSON, or not the shape the request's `answer` expects, and an accepted
// failure status (a 404 meaning "gone") without Graph's error JSON are GraphResponseErrors,
// never states. Messages describe a body by content type, size and a short redacted excerpt of
// non-JSON text, never by its JSON content (addPassword's answer holds a secret).
import {
    GraphErrorContext,
    graphNetworkError,
    graphRequestError,
    graphResponseError,
} from "./errors";
import { kindOf } from "./shape";

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

/**
 * Reads a 2xx answer's JSON body (undefined when the body is empty) into the documented shape, or
 * calls `fail` with what is wrong, in words and without any value from the body.
 */
export type GraphAnswer<T> = (body: unknown, fail: (problem: string) => never) => T;

/** One Graph call. */
export interface GraphRequest<T = unknown> extends GraphErrorContext {
    readonly method: "GET" | "POST" | "PATCH";
    /** Path below `/v1.0`, starting with `/`. */
    readonly path: string;
    /** JSON body. */
    readonly body?: unknown;
    /** Whether repeating the request is harmless. @default true for GET and PATCH, false for POST */
    readonly idempotent?: boolean;
    /**
     * Failure statuses handed back to the caller instead of thrown (e.g. 404 while polling); only
     * when the body is Graph's error JSON, else the answer is a GraphResponseError. @default none
     */
    readonly acceptStatus?: readonly number[];
    /** Strings that must never appear in an error message (key values sent in the body). @default none */
    readonly redact?: readonly string[];
    /** Reads a 2xx body strictly into what the caller relies on. @default - any JSON, or an empty body */
    readonly answer?: GraphAnswer<T>;
}

/** A Graph answer: the status and the body (read by the request's `answer`; undefined for 204 and accepted failures). */
export interface GraphResponse<T> {
    readonly status: number;
    readonly body: T | undefined;
    /** Graph's `error.code` of an accepted failure status. */
    readonly code?: string;
}

/** A retryable failure of one attempt, with attempts left: how long the retry policy says to wait. */
export interface GraphRetry {
    /** `Retry-After` when Graph sent it, else the exponential backoff; at most {@link MAX_RETRY_WAIT_MS}. */
    readonly waitMs: number;
    /** Whether `waitMs` comes from `Retry-After`. */
    readonly retryAfter: boolean;
    /** What failed, for the log: "HTTP 429 TooManyRequests", "timed out after 500 ms"; never a secret. */
    readonly cause: string;
}

/** The outcome of one attempt: an answer, or a retryable failure and the wait before the next attempt. */
export type GraphAttempt<T> = { readonly done: true; readonly response: GraphResponse<T> } | { readonly done: false; readonly retry: GraphRetry };

/** The Graph client used by the provider. */
export interface GraphClient {
    /** The settings in use. */
    readonly options: GraphClientOptions;
    /** Sends one request with the retry policy above; resolves with 2xx or an accepted status, else throws. */
    request<T>(req: GraphRequest<T>): Promise<GraphResponse<T>>;
    /**
     * Sends attempt number `attempt` (1-based) of `req` once, without retrying or waiting: for a
     * caller that must do something between attempts (re-read and rebuild a PATCH body). Resolves
     * with the answer, or with the wait for a retryable failure when attempts are left; throws what
     * {@link request} throws for a final failure.
     */
    attempt<T>(req: GraphRequest<T>, attempt: number): Promise<GraphAttempt<T>>;
    /** Logs the retry of `req` and waits as `retry` says: what {@link request} does between attempts. */
    waitBeforeRetry(req: GraphErrorContext, attempt: number, retry: GraphRetry, next?: string): Promise<void>;
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

    async function attempt<T>(req: GraphRequest<T>, n: number): Promise<GraphAttempt<T>> {
        const idempotent = req.idempotent ?? req.method !== "POST";
        const last = n >= options.maxAttempts;
        const token = await getToken();
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), options.timeoutMs);
        let res: Response;
        let text: string;
        try {
            res = await doFetch(`${options.baseUrl}/v1.0${req.path}`, {
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
                throw graphNetworkError(req, n, cause, req.method !== "GET");
            }
            return { done: false, retry: { waitMs: backoff(options.retryBaseMs, n, random), retryAfter: false, cause } };
        } finally {
            clearTimeout(timer);
        }

        const status = res.status;
        const requestId = res.headers.get("request-id") ?? undefined;
        const decoded = decodeJson(text, res.headers.get("content-type"), req.redact);
        if (status >= 200 && status < 300) {
            // A 2xx says the request was done; if its answer is unreadable, a non-idempotent
            // request may have taken effect all the same.
            const fail = (problem: string): never => {
                throw graphResponseError(req, status, problem, requestId, !idempotent);
            };
            if (!decoded.ok) {
                return fail(decoded.problem);
            }
            const body = req.answer === undefined ? (decoded.value as T | undefined) : req.answer(decoded.value, fail);
            return { done: true, response: { status, body } };
        }
        const error = decoded.ok ? graphErrorOf(decoded.value) : undefined;
        if ((req.acceptStatus ?? []).includes(status)) {
            // "Gone" and "absent" are states: believe them only from Graph's own error JSON.
            if (error === undefined) {
                throw graphResponseError(req, status, `expected Graph's error JSON ({"error":{"code":…}}); ${bodyProblem(decoded)}`, requestId, false);
            }
            return { done: true, response: { status, body: undefined, code: error.code } };
        }
        const retryable = status === 429 || status >= 500;
        const safeToRepeat = idempotent || status === 429;
        if (!retryable || !safeToRepeat || last) {
            throw graphRequestError(
                req,
                status,
                error?.code ?? "unknown",
                error !== undefined ? redactText(error.message, req.redact) : `no Graph error JSON; ${bodyProblem(decoded)}`,
                requestId,
                status >= 500 && !idempotent,
            );
        }
        const retryAfter = retryAfterMs(res.headers.get("retry-after"));
        return {
            done: false,
            retry: {
                waitMs: Math.min(retryAfter ?? backoff(options.retryBaseMs, n, random), MAX_RETRY_WAIT_MS),
                retryAfter: retryAfter !== undefined,
                cause: `HTTP ${status} ${error?.code ?? "unknown"}`,
            },
        };
    }

    async function waitBeforeRetry(req: GraphErrorContext, n: number, retry: GraphRetry, next = "retrying"): Promise<void> {
        log(
            `Graph ${req.operation} on ${req.object}: ${retry.cause}; ${next} in ${retry.waitMs} ms` +
                `${retry.retryAfter ? " (Retry-After)" : ""} (attempt ${n + 1}/${options.maxAttempts})`,
        );
        await sleep(retry.waitMs);
    }

    async function request<T>(req: GraphRequest<T>): Promise<GraphResponse<T>> {
        for (let n = 1; ; n++) {
            const outcome = await attempt(req, n);
            if (outcome.done) {
                return outcome.response;
            }
            await waitBeforeRetry(req, n, outcome.retry);
        }
    }

    return { options, request, attempt, waitBeforeRetry };
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

/** Graph's `{"error": {"code", "message"}}` with a non-empty string code; undefined for any other value. */
export function graphErrorOf(body: unknown): { code: string; message: string } | undefined {
    if (typeof body !== "object" || body === null || !("error" in body)) {
        return undefined;
    }
    const error = body.error;
    if (typeof error !== "object" || error === null) {
        return undefined;
    }
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code !== "string" || code === "") {
        return undefined;
    }
    return { code, message: typeof message === "string" ? message : "" };
}

/** A body read as JSON: the value (undefined for an empty body), or what is wrong with it. */
export type DecodedBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/** Reads a body as JSON; a non-JSON content type or unparsable text is a problem, described without its content. */
export function decodeJson(text: string, contentType: string | null, redact?: readonly string[]): DecodedBody {
    if (text === "") {
        return { ok: true, value: undefined };
    }
    if (!/json/i.test(contentType ?? "")) {
        return { ok: false, problem: `the body is not JSON: ${describeBody(text, contentType, redact)}` };
    }
    try {
        return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
        return { ok: false, problem: `the body is not valid JSON (truncated or malformed): ${describeBody(text, contentType, redact)}` };
    }
}

/** Characters shown of a non-JSON body. */
export const EXCERPT_CHARS = 60;
/**
 * Runs of this many characters that could be a secret (base64 key bytes, an Entra password's
 * `[A-Za-z0-9~._-]`) are replaced by `[redacted]` in an excerpt.
 */
const SECRET_LIKE = /[A-Za-z0-9~._\-+/=]{16,}/g;

/**
 * Describes a body for an error message: its content type and size, and for text that does not
 * look like JSON a short excerpt with secret-like runs redacted. A JSON-like body (it may be
 * addPassword's answer, holding a secretText) is never shown.
 */
export function describeBody(text: string, contentType: string | null, redact?: readonly string[]): string {
    const what = `${contentType ?? "no content type"}, ${Buffer.byteLength(text)} bytes`;
    // Whitespace and anything unprintable (control characters included) become one space.
    const flat = redactText(text, redact).replace(/[^\x20-\x7e]+|\s+/g, " ").trim();
    if (flat === "") {
        return `${what}, blank`;
    }
    if (flat.startsWith("{") || flat.startsWith("[")) {
        return `${what}, not shown`;
    }
    const safe = flat.replace(SECRET_LIKE, "[redacted]");
    return `${what}, starting ${JSON.stringify(safe.slice(0, EXCERPT_CHARS))}${safe.length > EXCERPT_CHARS ? "…" : ""}`;
}

/** A decoded body's problem, or the JSON kind it has when it decoded but is not what was expected. */
function bodyProblem(decoded: DecodedBody): string {
    if (!decoded.ok) {
        return decoded.problem;
    }
    return decoded.value === undefined ? "the body is empty" : `the body is ${kindOf(decoded.value)}`;
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

function staticToken(token: string): () => Promise<string> {
    return () => Promise.resolve(token);
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
