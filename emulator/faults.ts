/**
 * Fault and realism controls. Every control is off by default and `reset()` turns them all off.
 * Counted faults (`throttle`, `serverError`, `hang`, `badBody`, `onRequest`) fire on the next
 * `times` matching requests; `latency` and `tokenBucket` stay until cleared. The admin endpoint
 * (`/_emulator/faults/...`) drives the same methods. Each request's entry in the request log lists
 * the counted faults that acted on it (`faults`).
 *
 * Why these: Graph throttles with 429 and does not always send `Retry-After` (concepts/throttling);
 * it has transient 5xx; its directory replicas lag (a read right after a write can miss it, even
 * 404 for a fresh object; terraform-provider-azuread's consistency helpers exist for this); tenant
 * app-management policies cap or block credential additions (Graph: appManagementPolicy); and on a
 * real network something other than Graph can answer in its place (`badBody`: a proxy's sign-in
 * page, a captive portal, a truncating middlebox). `onRequest` is not a Graph behaviour: it lets a
 * test act at an exact moment of another client's request, e.g. another tool writing a key while
 * the provider waits out a 429 (Graph has no concurrency control, so such a write can be lost).
 */
import { performance } from "node:perf_hooks";

/** Which requests a fault applies to; every given field must match. Omitted: all requests. */
export interface RequestMatch {
    /** HTTP method, case-insensitive. */
    readonly method?: string;
    /** Substring of the path (without query), or a regular expression tested against it. */
    readonly path?: string | RegExp;
    /** Operation name as in the request log, e.g. "servicePrincipals.update", "applications.addPassword". */
    readonly operation?: string;
}

/** The request a fault is being considered for. */
export interface RequestInfo {
    readonly method: string;
    readonly path: string;
    readonly operation: string;
}

/** 429 on the next `times` matching requests. */
export interface ThrottleOptions {
    /** @default 1 */
    readonly times?: number;
    /** Seconds in `Retry-After`; null sends no header (Graph does not always send one). @default null */
    readonly retryAfterSeconds?: number | null;
    /** @default - every request */
    readonly match?: RequestMatch;
}

/** A 5xx burst. */
export interface ServerErrorOptions {
    /** @default 503 */
    readonly status?: 500 | 503 | 504;
    /** @default 1 */
    readonly times?: number;
    /** @default null */
    readonly retryAfterSeconds?: number | null;
    /** @default - every request */
    readonly match?: RequestMatch;
}

/** A request that answers late, or never. */
export interface HangOptions {
    /** Delay before the normal answer; null never answers (until the emulator closes). @default null */
    readonly ms?: number | null;
    /** @default 1 */
    readonly times?: number;
    /** @default - every request */
    readonly match?: RequestMatch;
}

/**
 * Something other than Graph answers matching requests: the request never reaches Graph (nothing
 * is changed) and the answer is the given status, content type and raw body, sent as is.
 */
export interface BadBodyOptions {
    /** HTTP status of the answer (100-599). @default 200 */
    readonly status?: number;
    /** `Content-Type` of the answer; null sends none. @default "text/html; charset=utf-8" */
    readonly contentType?: string | null;
    /** The raw body, e.g. `"<html>…sign in…</html>"`, `"{}"`, `"null"`, a truncated JSON text; "" for none. */
    readonly body: string;
    /** @default 1 */
    readonly times?: number;
    /** @default - every request */
    readonly match?: RequestMatch;
}

/** When an {@link OnRequestOptions} hook runs. */
export type HookMoment = "before" | "after";

/**
 * Runs `run` at a moment of a matching request: `"before"`, when it arrives (before latency,
 * faults and Graph act on it; the request waits for `run`); `"after"`, once its answer has been
 * sent (a request that is never answered never gets there). Models another client acting at that
 * moment, e.g. another tool adding a key (`emu.tenant.seedCredentials`), not a Graph feature.
 */
export interface OnRequestOptions {
    /** @default "before" */
    readonly when?: HookMoment;
    /** @default 1 */
    readonly times?: number;
    /** @default - every request */
    readonly match?: RequestMatch;
    /** What happens at that moment. */
    readonly run: (req: RequestInfo) => void | Promise<void>;
}

/** Graph-like rate limit: each request takes a token; none left → 429 with Retry-After. */
export interface TokenBucketOptions {
    readonly capacity: number;
    readonly refillPerSecond: number;
    /** @default - every request */
    readonly match?: RequestMatch;
}

/**
 * Tenant app-management policy (Graph: tenantAppManagementPolicy / appManagementPolicy
 * restrictions passwordAddition, passwordLifetime, symmetricKeyAddition, symmetricKeyLifetime).
 * Lifetimes are milliseconds or ISO 8601 durations ("P90D", "PT12H").
 */
export interface AppManagementPolicy {
    /** Policy id quoted in error messages. @default "00000000-0000-0000-0000-0000000000aa" */
    readonly id?: string;
    /** Max password lifetime. @default - no limit */
    readonly passwordLifetime?: number | string;
    /** Max symmetric key lifetime. @default - no limit */
    readonly symmetricKeyLifetime?: number | string;
    /** Refuse addPassword. @default false */
    readonly blockPasswordAddition?: boolean;
    /** Refuse new Symmetric keys. @default false */
    readonly blockSymmetricKeyAddition?: boolean;
    /** Max password credentials per object → TooManyAppPasswords. @default - no limit */
    readonly maxPasswordCredentials?: number;
}

/** A policy with lifetimes resolved to milliseconds. */
export interface ResolvedPolicy {
    readonly id: string;
    readonly passwordLifetimeMs: number | null;
    readonly symmetricKeyLifetimeMs: number | null;
    readonly blockPasswordAddition: boolean;
    readonly blockSymmetricKeyAddition: boolean;
    readonly maxPasswordCredentials: number | null;
}

/** What the server should do with a request before handling it. */
export type FaultDecision =
    | { readonly kind: "throttle"; readonly retryAfterSeconds: number | null }
    | { readonly kind: "serverError"; readonly status: 500 | 503 | 504; readonly retryAfterSeconds: number | null };

interface Counted<T> {
    remaining: number;
    readonly options: T;
}

/** Parses "P90D", "PT12H", "P1DT2H30M", "PT45S" or a number of ms. */
export function durationMs(value: number | string): number {
    if (typeof value === "number") {
        return value;
    }
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
    if (m === null || value === "P" || value.endsWith("T")) {
        throw new Error(`Duration "${value}" is not supported; use milliseconds or an ISO 8601 duration like "P90D" or "PT12H".`);
    }
    const [, d, h, min, s] = m;
    return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

/** True when `req` satisfies `match`. */
export function matches(match: RequestMatch | undefined, req: RequestInfo): boolean {
    if (match === undefined) {
        return true;
    }
    if (match.method !== undefined && match.method.toUpperCase() !== req.method.toUpperCase()) {
        return false;
    }
    if (match.operation !== undefined && match.operation !== req.operation) {
        return false;
    }
    if (match.path !== undefined) {
        const ok = typeof match.path === "string" ? req.path.includes(match.path) : match.path.test(req.path);
        if (!ok) {
            return false;
        }
    }
    return true;
}

function positive(name: string, value: number): number {
    if (!Number.isInteger(value) || value < 1) {
        throw new Error(`${name}: received ${value}; pass a whole number of at least 1.`);
    }
    return value;
}

/** The fault controls of one emulator (`emu.faults`). */
export class Faults {
    private latencyMs = 0;
    private latencyMatch: RequestMatch | undefined;
    private throttles: Counted<ThrottleOptions>[] = [];
    private serverErrors: Counted<ServerErrorOptions>[] = [];
    private hangs: Counted<HangOptions>[] = [];
    private badBodies: Counted<BadBodyOptions>[] = [];
    private hooks: Counted<OnRequestOptions>[] = [];
    private bucket: { options: TokenBucketOptions; tokens: number; at: number } | null = null;
    private lagReads = 0;
    private appPolicy: ResolvedPolicy | null = null;

    /** Adds `ms` of delay to every matching request until cleared (`latency(0)`). */
    latency(ms: number, match?: RequestMatch): void {
        if (!Number.isFinite(ms) || ms < 0) {
            throw new Error(`faults.latency: received ${ms}; pass milliseconds >= 0.`);
        }
        this.latencyMs = ms;
        this.latencyMatch = match;
    }

    /** The next `times` matching requests get 429 (with `Retry-After` only when `retryAfterSeconds` is set). */
    throttle(options: ThrottleOptions = {}): void {
        this.throttles.push({ remaining: positive("faults.throttle times", options.times ?? 1), options });
    }

    /** The next `times` matching requests get a 500/503/504 with a Graph error body. */
    serverError(options: ServerErrorOptions = {}): void {
        const status = options.status ?? 503;
        if (![500, 503, 504].includes(status)) {
            throw new Error(`faults.serverError: status ${String(status)} is not modelled; use 500, 503 or 504.`);
        }
        this.serverErrors.push({ remaining: positive("faults.serverError times", options.times ?? 1), options });
    }

    /** The next `times` matching requests answer after `ms`, or never (`ms: null`). */
    hang(options: HangOptions = {}): void {
        this.hangs.push({ remaining: positive("faults.hang times", options.times ?? 1), options });
    }

    /** The next `times` matching requests are answered by something other than Graph, with the given status, content type and body. */
    badBody(options: BadBodyOptions): void {
        const status = options.status ?? 200;
        if (!Number.isInteger(status) || status < 100 || status > 599) {
            throw new Error(`faults.badBody: status ${String(status)} is not an HTTP status; pass 100 to 599.`);
        }
        if (typeof options.body !== "string") {
            throw new Error(`faults.badBody: body must be the raw text to send (a string); got ${typeof options.body}.`);
        }
        this.badBodies.push({ remaining: positive("faults.badBody times", options.times ?? 1), options });
    }

    /** Runs `run` before or after the next `times` matching requests (see {@link OnRequestOptions}). */
    onRequest(options: OnRequestOptions): void {
        const when = options.when ?? "before";
        if (when !== "before" && when !== "after") {
            throw new Error(`faults.onRequest: when is ${String(when)}; pass "before" or "after".`);
        }
        if (typeof options.run !== "function") {
            throw new Error("faults.onRequest: run must be a function.");
        }
        this.hooks.push({ remaining: positive("faults.onRequest times", options.times ?? 1), options: { ...options, when } });
    }

    /** Turns on a token-bucket rate limit (starts full), or off with null. */
    tokenBucket(options: TokenBucketOptions | null): void {
        if (options === null) {
            this.bucket = null;
            return;
        }
        if (!(options.capacity >= 1) || !(options.refillPerSecond > 0)) {
            throw new Error(`faults.tokenBucket: capacity ${options.capacity} / refillPerSecond ${options.refillPerSecond}; pass capacity >= 1 and refillPerSecond > 0.`);
        }
        this.bucket = { options, tokens: options.capacity, at: performance.now() };
    }

    /** After a write, the next `reads` reads of that object see the old state (a fresh object: 404). 0 turns it off. */
    readAfterWriteLag(reads: number): void {
        if (!Number.isInteger(reads) || reads < 0) {
            throw new Error(`faults.readAfterWriteLag: received ${reads}; pass a whole number >= 0.`);
        }
        this.lagReads = reads;
    }

    /** Sets the tenant app-management policy, or clears it with null. */
    policy(policy: AppManagementPolicy | null): void {
        this.appPolicy = policy === null ? null : {
            id: policy.id ?? "00000000-0000-0000-0000-0000000000aa",
            passwordLifetimeMs: policy.passwordLifetime === undefined ? null : durationMs(policy.passwordLifetime),
            symmetricKeyLifetimeMs: policy.symmetricKeyLifetime === undefined ? null : durationMs(policy.symmetricKeyLifetime),
            blockPasswordAddition: policy.blockPasswordAddition ?? false,
            blockSymmetricKeyAddition: policy.blockSymmetricKeyAddition ?? false,
            maxPasswordCredentials: policy.maxPasswordCredentials ?? null,
        };
    }

    /** The active policy, if any. */
    get activePolicy(): ResolvedPolicy | null {
        return this.appPolicy;
    }

    /** Reads that see pre-write state after a write. */
    get lag(): number {
        return this.lagReads;
    }

    /** Turns every control off. */
    reset(): void {
        this.latencyMs = 0;
        this.latencyMatch = undefined;
        this.throttles = [];
        this.serverErrors = [];
        this.hangs = [];
        this.badBodies = [];
        this.hooks = [];
        this.bucket = null;
        this.lagReads = 0;
        this.appPolicy = null;
    }

    /** Current settings, JSON-friendly (admin endpoint). */
    snapshot(): object {
        const m = (match: RequestMatch | undefined): object | undefined =>
            match === undefined ? undefined : { ...match, path: match.path instanceof RegExp ? match.path.toString() : match.path };
        return {
            latencyMs: this.latencyMs, latencyMatch: m(this.latencyMatch),
            throttles: this.throttles.map((t) => ({ remaining: t.remaining, retryAfterSeconds: t.options.retryAfterSeconds ?? null, match: m(t.options.match) })),
            serverErrors: this.serverErrors.map((t) => ({ remaining: t.remaining, status: t.options.status ?? 503, match: m(t.options.match) })),
            hangs: this.hangs.map((t) => ({ remaining: t.remaining, ms: t.options.ms ?? null, match: m(t.options.match) })),
            badBodies: this.badBodies.map((t) => ({
                remaining: t.remaining, status: t.options.status ?? 200, contentType: t.options.contentType === undefined ? "text/html; charset=utf-8" : t.options.contentType,
                bytes: Buffer.byteLength(t.options.body), match: m(t.options.match),
            })),
            onRequest: this.hooks.map((t) => ({ remaining: t.remaining, when: t.options.when, match: m(t.options.match) })),
            tokenBucket: this.bucket === null ? null : { capacity: this.bucket.options.capacity, refillPerSecond: this.bucket.options.refillPerSecond, tokens: this.currentTokens() },
            readAfterWriteLag: this.lagReads,
            policy: this.appPolicy,
        };
    }

    /** Delay to apply to this request (0 for none). */
    latencyFor(req: RequestInfo): number {
        return this.latencyMs > 0 && matches(this.latencyMatch, req) ? this.latencyMs : 0;
    }

    /** Hang for this request: undefined (none), a delay in ms, or null (never answer). */
    hangFor(req: RequestInfo): number | null | undefined {
        const hit = this.take(this.hangs, req);
        return hit === undefined ? undefined : (hit.ms ?? null);
    }

    /** The answer something other than Graph gives this request, if a badBody fault matches it. */
    badBodyFor(req: RequestInfo): { status: number; contentType: string | null; body: string } | undefined {
        const hit = this.take(this.badBodies, req);
        if (hit === undefined) {
            return undefined;
        }
        return { status: hit.status ?? 200, contentType: hit.contentType === undefined ? "text/html; charset=utf-8" : hit.contentType, body: hit.body };
    }

    /** The hooks due at `when` for this request: every matching one, each counted once, in the order they were added. */
    hooksFor(when: HookMoment, req: RequestInfo): OnRequestOptions["run"][] {
        const due = this.hooks.filter((h) => h.remaining > 0 && h.options.when === when && matches(h.options.match, req));
        for (const h of due) {
            h.remaining -= 1;
        }
        this.hooks = this.hooks.filter((h) => h.remaining > 0);
        return due.map((h) => h.options.run);
    }

    /** Throttling or 5xx for this request, if any. The bucket is consulted first, like Graph's gateway. */
    decide(req: RequestInfo): FaultDecision | undefined {
        if (this.bucket !== null && matches(this.bucket.options.match, req)) {
            const tokens = this.currentTokens();
            if (tokens < 1) {
                const retryAfterSeconds = Math.max(1, Math.ceil((1 - tokens) / this.bucket.options.refillPerSecond));
                return { kind: "throttle", retryAfterSeconds };
            }
            this.bucket.tokens = tokens - 1;
        }
        const t = this.take(this.throttles, req);
        if (t !== undefined) {
            return { kind: "throttle", retryAfterSeconds: t.retryAfterSeconds ?? null };
        }
        const e = this.take(this.serverErrors, req);
        if (e !== undefined) {
            return { kind: "serverError", status: e.status ?? 503, retryAfterSeconds: e.retryAfterSeconds ?? null };
        }
        return undefined;
    }

    private currentTokens(): number {
        if (this.bucket === null) {
            return 0;
        }
        const now = performance.now();
        const refilled = this.bucket.tokens + ((now - this.bucket.at) / 1000) * this.bucket.options.refillPerSecond;
        this.bucket.tokens = Math.min(this.bucket.options.capacity, refilled);
        this.bucket.at = now;
        return this.bucket.tokens;
    }

    private take<T extends { match?: RequestMatch }>(list: Counted<T>[], req: RequestInfo): T | undefined {
        const hit = list.find((f) => f.remaining > 0 && matches(f.options.match, req));
        if (hit === undefined) {
            return undefined;
        }
        hit.remaining -= 1;
        if (hit.remaining === 0) {
            list.splice(list.indexOf(hit), 1);
        }
        return hit.options;
    }
}
