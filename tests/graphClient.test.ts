import * as assert from "node:assert/strict";
import {
    backoff,
    createGraphClient,
    describeBody,
    GraphClientOptions,
    graphClientOptionsFromEnv,
    retryAfterMs,
} from "../components/graph/client";
import { isAmbiguousWriteError, isGraphNetworkError, isGraphRequestError, isGraphResponseError } from "../components/graph/errors";

/** A scripted fetch: each call takes the next answer; records what was sent. */
function scriptedFetch(answers: (Response | Error | "hang")[]) {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        calls.push({ url: String(input), init });
        const next = answers.shift();
        if (next === undefined) {
            throw new Error("no more scripted answers");
        }
        if (next === "hang") {
            return new Promise<Response>((_resolve, reject) => {
                init?.signal?.addEventListener("abort", () => reject(new Error("aborted")));
            });
        }
        if (next instanceof Error) {
            throw next;
        }
        return next;
    }) as typeof fetch;
    return { fetchFn, calls };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function raw(status: number, body: string, contentType: string | null): Response {
    return new Response(body === "" ? null : body, { status, headers: contentType === null ? {} : { "content-type": contentType } });
}

function graphErrorBody(code: string, message: string) {
    return { error: { code, message, innerError: { "request-id": "r" } } };
}

const options: GraphClientOptions = { baseUrl: "https://graph.example", token: "tok", retryBaseMs: 100, maxAttempts: 4, timeoutMs: 50 };

function client(answers: (Response | Error | "hang")[], opts: Partial<GraphClientOptions> = {}) {
    const { fetchFn, calls } = scriptedFetch(answers);
    const sleeps: number[] = [];
    const logs: string[] = [];
    const c = createGraphClient(
        { ...options, ...opts },
        { fetch: fetchFn, sleep: async (ms) => void sleeps.push(ms), log: (l) => void logs.push(l), random: () => 1 },
    );
    return { c, calls, sleeps, logs };
}

const get = { operation: "get servicePrincipal", object: "servicePrincipal sp-1", method: "GET" as const, path: "/servicePrincipals/sp-1" };

describe("createGraphClient", () => {
    it("sends the bearer token to <baseUrl>/v1.0<path> and parses JSON", async () => {
        const { c, calls } = client([json(200, { id: "sp-1" })]);
        const res = await c.request<{ id: string }>(get);
        assert.deepEqual(res, { status: 200, body: { id: "sp-1" } });
        assert.equal(calls[0].url, "https://graph.example/v1.0/servicePrincipals/sp-1");
        assert.equal((calls[0].init?.headers as Record<string, string>).authorization, "Bearer tok");
    });

    it("waits Retry-After seconds when a 429 carries it", async () => {
        const { c, sleeps, calls } = client([json(429, graphErrorBody("TooManyRequests", "slow down"), { "retry-after": "3" }), json(200, {})]);
        await c.request(get);
        assert.deepEqual(sleeps, [3000]);
        assert.equal(calls.length, 2);
    });

    it("backs off exponentially when a 429 or 5xx has no Retry-After", async () => {
        const { c, sleeps } = client([json(429, {}), json(503, {}), json(500, {}), json(200, {})]);
        await c.request(get);
        assert.deepEqual(sleeps, [100, 200, 400]); // random() = 1: the ceiling of each step
    });

    it("throws with operation, object, HTTP status and Graph code when attempts run out", async () => {
        const { c, calls } = client([json(503, graphErrorBody("serviceNotAvailable", "try later")), json(503, {}), json(503, {}), json(503, graphErrorBody("serviceNotAvailable", "try later"))]);
        const err = await c.request(get).catch((e: unknown) => e);
        assert.ok(isGraphRequestError(err));
        assert.equal(calls.length, 4);
        assert.equal(err.status, 503);
        assert.equal(err.code, "serviceNotAvailable");
        assert.match(err.message, /^Graph get servicePrincipal on servicePrincipal sp-1 failed with HTTP 503 serviceNotAvailable: try later/);
    });

    it("does not retry a 4xx other than 429", async () => {
        const { c, calls } = client([json(400, graphErrorBody("CredentialInvalidLifetimeAsPerAppPolicy", "Credential lifetime exceeds the max value allowed as per assigned policy."))]);
        const err = await c.request({ ...get, method: "PATCH", body: {} }).catch((e: unknown) => e);
        assert.ok(isGraphRequestError(err));
        assert.equal(calls.length, 1);
        assert.equal(err.code, "CredentialInvalidLifetimeAsPerAppPolicy");
    });

    it("retries a non-idempotent POST on 429 only, and marks a 5xx on it ambiguous", async () => {
        const post = { operation: "addPassword", object: "servicePrincipal sp-1", method: "POST" as const, path: "/servicePrincipals/sp-1/addPassword", body: {} };
        const throttled = client([json(429, {}), json(200, { keyId: "k" })]);
        assert.equal((await throttled.c.request(post)).status, 200);
        const failed = client([json(500, graphErrorBody("InternalServerError", "boom")), json(200, {})]);
        const err = await failed.c.request(post).catch((e: unknown) => e);
        assert.equal(failed.calls.length, 1);
        assert.ok(isAmbiguousWriteError(err));
    });

    it("retries network failures and timeouts of idempotent requests", async () => {
        const { c, calls, logs } = client([new TypeError("fetch failed"), "hang", json(200, { ok: true })]);
        const res = await c.request(get);
        assert.equal(res.status, 200);
        assert.equal(calls.length, 3);
        assert.match(logs[1], /timed out after 50 ms/);
    });

    it("throws a GraphNetworkError when the network never answers", async () => {
        const { c } = client([new TypeError("fetch failed"), new TypeError("fetch failed")], { maxAttempts: 2 });
        const err = await c.request(get).catch((e: unknown) => e);
        assert.ok(isGraphNetworkError(err));
        assert.match(err.message, /after 2 attempt\(s\): fetch failed/);
    });

    it("returns accepted statuses instead of throwing", async () => {
        const { c } = client([json(404, graphErrorBody("Request_ResourceNotFound", "gone"))]);
        assert.equal((await c.request({ ...get, acceptStatus: [404] })).status, 404);
    });

    it("never puts a redacted value into an error message", async () => {
        const secret = "c2VjcmV0LWtleS1ieXRlcy0zMi1ieXRlcy1sb25nISE=";
        const { c } = client([json(400, graphErrorBody("Request_BadRequest", `Invalid value '${secret}' for key`))]);
        const err = await c.request({ ...get, method: "PATCH", body: { key: secret }, redact: [secret] }).catch((e: unknown) => e);
        assert.ok(err instanceof Error);
        assert.ok(!err.message.includes(secret), err.message);
        assert.match(err.message, /\[redacted\]/);
    });
});

describe("createGraphClient: strict answers", () => {
    const signIn = "<html><head><title>Sign in to your account</title></head><body><form>…</form></body></html>";
    const where = "Graph get servicePrincipal on servicePrincipal sp-1 answered HTTP";

    it("throws a GraphResponseError with an excerpt when a 200 is an HTML page", async () => {
        const { c, calls } = client([raw(200, signIn, "text/html; charset=utf-8")]);
        const err = await c.request(get).catch((e: unknown) => e);
        assert.ok(isGraphResponseError(err));
        assert.equal(calls.length, 1, "a hostile answer is not retried");
        assert.equal(err.status, 200);
        assert.equal(err.ambiguous, false);
        assert.equal(
            err.message,
            `${where} 200 with a body that is not what Graph documents: the body is not JSON: text/html; charset=utf-8, ${Buffer.byteLength(signIn)} bytes, ` +
                'starting "<html><head><title>Sign in to your account</title></head><bo"…',
        );
    });

    it("never shows a JSON-like body and redacts secret-like runs of an excerpt", () => {
        const secret = "Xy7Q~abcdefghijklmnopqrstuvwxyz0123456789";
        const truncated = `{"secretText":"${secret}"`;
        const list = `  [1, "${secret}"]`;
        const text = `oops ${secret} end`;
        assert.equal(describeBody(truncated, "application/json"), `application/json, ${truncated.length} bytes, not shown`);
        assert.equal(describeBody(list, "text/plain"), `text/plain, ${list.length} bytes, not shown`);
        assert.equal(describeBody(text, null), `no content type, ${text.length} bytes, starting "oops [redacted] end"`);
        assert.equal(describeBody("\n\t ", "text/html"), "text/html, 3 bytes, blank");
        assert.equal(describeBody("token abc", "text/plain", ["abc"]), 'text/plain, 9 bytes, starting "token abc"', "redact ignores strings under 4 characters");
        assert.equal(describeBody("token abcd", "text/plain", ["abcd"]), 'text/plain, 10 bytes, starting "token [redacted]"');
    });

    it("throws for truncated JSON without showing it", async () => {
        const body = '{"keyCredentials":[{"keyId":"0f1e';
        const { c } = client([raw(200, body, "application/json")]);
        const err = await c.request(get).catch((e: unknown) => e);
        assert.ok(isGraphResponseError(err));
        assert.equal(err.problem, `the body is not valid JSON (truncated or malformed): application/json, ${body.length} bytes, not shown`);
    });

    it("hands the body to the request's answer and throws what it fails with", async () => {
        const { c } = client([json(200, { id: "sp-1" }), json(200, {})]);
        const answer = (body: unknown, fail: (problem: string) => never): string => {
            const id = (body as { id?: unknown }).id;
            return typeof id === "string" ? id : fail("id is missing");
        };
        assert.deepEqual(await c.request({ ...get, answer }), { status: 200, body: "sp-1" });
        const err = await c.request({ ...get, answer }).catch((e: unknown) => e);
        assert.ok(isGraphResponseError(err));
        assert.equal(err.message, `${where} 200 with a body that is not what Graph documents: id is missing`);
    });

    it("marks a bad 2xx answer to a non-idempotent POST ambiguous: the request may have taken effect", async () => {
        const { c } = client([raw(200, signIn, "text/html")]);
        const err = await c.request({ ...get, method: "POST", body: {} }).catch((e: unknown) => e);
        assert.ok(isGraphResponseError(err));
        assert.ok(isAmbiguousWriteError(err));
        assert.match(err.message, /; the request may have taken effect$/);
    });

    it("believes an accepted 404 only when the body is Graph's error JSON", async () => {
        const { c } = client([json(404, graphErrorBody("Request_ResourceNotFound", "gone")), raw(404, signIn, "text/html"), raw(404, "", null), json(404, { error: {} })]);
        const accepted = { ...get, acceptStatus: [404] };
        assert.deepEqual(await c.request(accepted), { status: 404, body: undefined, code: "Request_ResourceNotFound" });
        const problems: string[] = [];
        for (let i = 0; i < 3; i++) {
            const err = await c.request(accepted).catch((e: unknown) => e);
            assert.ok(isGraphResponseError(err));
            assert.equal(err.status, 404);
            problems.push(err.problem);
        }
        assert.deepEqual(problems, [
            `expected Graph's error JSON ({"error":{"code":…}}); the body is not JSON: text/html, ${Buffer.byteLength(signIn)} bytes, starting "<html><head><title>Sign in to your account</title></head><bo"…`,
            `expected Graph's error JSON ({"error":{"code":…}}); the body is empty`,
            `expected Graph's error JSON ({"error":{"code":…}}); the body is an object`,
        ]);
    });

    it("describes a failure status whose body is not Graph's error JSON", async () => {
        const { c } = client([raw(403, "Forbidden by proxy policy", "text/plain")]);
        const err = await c.request(get).catch((e: unknown) => e);
        assert.ok(isGraphRequestError(err));
        assert.equal(err.code, "unknown");
        assert.equal(
            err.message,
            'Graph get servicePrincipal on servicePrincipal sp-1 failed with HTTP 403 unknown: no Graph error JSON; the body is not JSON: text/plain, 25 bytes, starting "Forbidden by proxy policy"',
        );
    });
});

describe("createGraphClient: one attempt at a time", () => {
    it("sends once and returns the wait Retry-After gives, without sleeping", async () => {
        const { c, calls, sleeps } = client([json(429, graphErrorBody("TooManyRequests", "slow down"), { "retry-after": "3" })]);
        const outcome = await c.attempt(get, 1);
        assert.deepEqual(outcome, { done: false, retry: { waitMs: 3000, retryAfter: true, cause: "HTTP 429 TooManyRequests" } });
        assert.equal(calls.length, 1);
        assert.deepEqual(sleeps, []);
    });

    it("returns the backoff of the attempt number when there is no Retry-After, and the timeout as a cause", async () => {
        const { c } = client([json(503, graphErrorBody("serviceNotAvailable", "later")), "hang"]);
        assert.deepEqual(await c.attempt({ ...get, method: "PATCH", body: {} }, 3), { done: false, retry: { waitMs: 400, retryAfter: false, cause: "HTTP 503 serviceNotAvailable" } });
        assert.deepEqual(await c.attempt(get, 2), { done: false, retry: { waitMs: 200, retryAfter: false, cause: "timed out after 50 ms" } });
    });

    it("resolves with the answer, and throws on the last attempt as request does", async () => {
        const { c } = client([json(200, { id: "sp-1" }), json(503, graphErrorBody("serviceNotAvailable", "later"))]);
        assert.deepEqual(await c.attempt(get, 1), { done: true, response: { status: 200, body: { id: "sp-1" } } });
        const err = await c.attempt(get, 4).catch((e: unknown) => e);
        assert.ok(isGraphRequestError(err));
        assert.equal(err.status, 503);
    });

    it("logs the retry and sleeps the wait in waitBeforeRetry", async () => {
        const { c, sleeps, logs } = client([]);
        await c.waitBeforeRetry(get, 1, { waitMs: 3000, retryAfter: true, cause: "HTTP 429 TooManyRequests" }, "re-reading, then retrying");
        assert.deepEqual(sleeps, [3000]);
        assert.deepEqual(logs, ["Graph get servicePrincipal on servicePrincipal sp-1: HTTP 429 TooManyRequests; re-reading, then retrying in 3000 ms (Retry-After) (attempt 2/4)"]);
    });
});

describe("graphClientOptionsFromEnv", () => {
    it("uses the documented defaults", () => {
        assert.deepEqual(graphClientOptionsFromEnv({}), {
            baseUrl: "https://graph.microsoft.com",
            token: undefined,
            retryBaseMs: 1000,
            maxAttempts: 6,
            timeoutMs: 30000,
        });
    });

    it("reads URL, token, retry base and attempts from the environment", () => {
        const o = graphClientOptionsFromEnv({
            ADDIN_CREDENTIALS_GRAPH_URL: "http://127.0.0.1:5/",
            ADDIN_CREDENTIALS_GRAPH_TOKEN: "abc",
            ADDIN_CREDENTIALS_RETRY_BASE_MS: "5",
            ADDIN_CREDENTIALS_MAX_ATTEMPTS: "3",
        });
        assert.equal(o.baseUrl, "http://127.0.0.1:5");
        assert.equal(o.token, "abc");
        assert.equal(o.retryBaseMs, 5);
        assert.equal(o.maxAttempts, 3);
    });

    it("throws when a number is not a number", () => {
        assert.throws(() => graphClientOptionsFromEnv({ ADDIN_CREDENTIALS_MAX_ATTEMPTS: "many" }), /ADDIN_CREDENTIALS_MAX_ATTEMPTS must be a non-negative integer, got "many"/);
    });
});

describe("retryAfterMs and backoff", () => {
    it("reads delta seconds and HTTP dates", () => {
        assert.equal(retryAfterMs("2"), 2000);
        assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:10 GMT", Date.parse("2026-01-01T00:00:00Z")), 10_000);
        assert.equal(retryAfterMs(null), undefined);
        assert.equal(retryAfterMs("soon"), undefined);
    });

    it("keeps jitter within [½, 1] of the exponential ceiling", () => {
        assert.equal(backoff(100, 3, () => 0), 200);
        assert.equal(backoff(100, 3, () => 1), 400);
    });
});
