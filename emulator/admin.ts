/**
 * The admin endpoint, `/_emulator/...`: the in-process controls over HTTP, for curl, the sandbox
 * and `npm run emulator`. No bearer token, no faults, not in the request log.
 *
 * Routes (JSON bodies):
 *   GET    /_emulator/state                      clock, faults, objects with credentials (secrets included)
 *   POST   /_emulator/reset                      everything back to defaults
 *   GET    /_emulator/requests                   the request log;  DELETE clears it
 *   GET    /_emulator/clock                      {now, frozen}
 *   POST   /_emulator/clock                      {set?: ISO, advanceMs?: number, freeze?: boolean}
 *   POST   /_emulator/servicePrincipals          {appId?, displayName?} -> 201 {id, appId} (Legacy)
 *   POST   /_emulator/applications               {appId?, displayName?} -> 201 {applicationId, servicePrincipalId, appId}
 *   POST   /_emulator/population                 {principals, seed?, addInsPerState?} -> 201 {servicePrincipals, applications, addIns: [{appId, displayName, state, holder, holderId, servicePrincipalId, signingKeyId}]}
 *                                                 (a deterministic population: emulator/population.ts)
 *   GET    /_emulator/credentials/{objectId}     stored credentials with key bytes and secretText
 *   POST   /_emulator/credentials/{objectId}     seed {keyCredentials?, passwordCredentials?} -> 201 {keyCredentials: [keyId], passwordCredentials: [keyId]}
 *   GET    /_emulator/faults                     current fault settings;  DELETE resets them
 *   POST   /_emulator/faults/latency             {ms, match?}
 *   POST   /_emulator/faults/throttle            {times?, retryAfterSeconds?, match?}
 *   POST   /_emulator/faults/serverError         {status?, times?, retryAfterSeconds?, match?}
 *   POST   /_emulator/faults/hang                {ms?, times?, match?}
 *   POST   /_emulator/faults/badBody             {status?, contentType?, body, times?, match?}  (something other than Graph answers)
 *   POST   /_emulator/faults/onRequest           {when?, times?, match?, seedCredentials: {objectId, keyCredentials?, passwordCredentials?}}
 *                                                (another tool adds those entries at that moment of a matching request)
 *   POST   /_emulator/faults/tokenBucket         {capacity, refillPerSecond, match?};  DELETE turns it off
 *   POST   /_emulator/faults/readAfterWriteLag   {reads}
 *   POST   /_emulator/faults/policy              {id?, passwordLifetime?, symmetricKeyLifetime?, blockPasswordAddition?, blockSymmetricKeyAddition?, maxPasswordCredentials?};  DELETE clears it
 *   GET    /_emulator/acs                        {realm, propagationDelayMs, tokenEndpoint}
 *   POST   /_emulator/acs                        {propagationDelayMs}
 *   GET    /_emulator/acs/{appId}                {activeSigningKey (key as base64) | null, reason}
 *   POST   /_emulator/acs/{appId}/contextToken   -> {contextToken} or 409 when no key is active
 *   POST   /_emulator/acs/{appId}/check          {clientSecret, secondaryClientSecret?} -> AddInCheck
 * `match` is {method?, path? (substring), operation?}.
 */
import { AcsError } from "./acs";
import { BadBodyOptions, HookMoment, TokenBucketOptions } from "./faults";
import { EmulatorRequest, EmulatorResponse } from "./http";
import { JsonValue } from "./model";
import type { Emulator } from "./surface";

/** An admin request the caller got wrong. */
class AdminError extends Error {}

function obj(body: JsonValue): Record<string, JsonValue> {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw new AdminError("expected a JSON object body");
    }
    return body;
}

function ok(status: number, body: unknown): EmulatorResponse {
    return { status, headers: { "Content-Type": "application/json; charset=utf-8" }, body: JSON.parse(JSON.stringify(body ?? null)) as JsonValue };
}

/** Handles `/_emulator/...`. */
export async function handleAdmin(emu: Emulator, req: EmulatorRequest): Promise<EmulatorResponse> {
    let body: JsonValue = {};
    try {
        body = req.rawBody.trim() === "" ? {} : (JSON.parse(req.rawBody) as JsonValue);
    } catch {
        return ok(400, { error: { code: "EmulatorBadRequest", message: "Body is not JSON." } });
    }
    try {
        return await route(emu, req, body);
    } catch (err) {
        if (err instanceof Error) {
            return ok(400, { error: { code: "EmulatorBadRequest", message: err.message } });
        }
        throw err;
    }
}

async function route(emu: Emulator, req: EmulatorRequest, body: JsonValue): Promise<EmulatorResponse> {
    const parts = req.path.replace(/^\/_emulator\/?/, "").split("/").filter((p) => p !== "");
    const [head, second, third] = parts;
    const m = req.method;
    switch (head) {
        case "state":
            return ok(200, { url: emu.url, tenantId: emu.tenantId, clock: { now: emu.clock.now().toISOString(), frozen: emu.clock.frozen }, faults: emu.faults.snapshot(), acs: { propagationDelayMs: emu.acs.propagationDelayMs }, objects: emu.tenant.dump() });
        case "reset":
            emu.reset();
            return ok(200, { reset: true });
        case "requests":
            if (m === "DELETE") {
                emu.requests.length = 0;
                return { status: 204 };
            }
            return ok(200, emu.requests);
        case "clock": {
            if (m === "POST") {
                const b = obj(body);
                // Freeze first, so {set, freeze: true} stops at exactly `set` (a running clock would
                // move on by the milliseconds between the two calls).
                if (b.freeze === true) {
                    emu.clock.freeze();
                }
                if (typeof b.set === "string") {
                    emu.clock.set(new Date(b.set));
                }
                if (typeof b.advanceMs === "number") {
                    emu.clock.advance(b.advanceMs);
                }
                if (b.freeze === false) {
                    emu.clock.unfreeze();
                }
            }
            return ok(200, { now: emu.clock.now().toISOString(), frozen: emu.clock.frozen });
        }
        case "servicePrincipals":
        case "applications": {
            const b = obj(body);
            const options = { appId: typeof b.appId === "string" ? b.appId : undefined, displayName: typeof b.displayName === "string" ? b.displayName : undefined };
            return ok(201, head === "servicePrincipals" ? emu.tenant.addLegacyServicePrincipal(options) : emu.tenant.addApplication(options));
        }
        case "population": {
            if (m !== "POST") {
                throw new AdminError("use POST /_emulator/population with {principals, seed?, addInsPerState?}");
            }
            const b = obj(body);
            const number = (name: string): number | undefined => {
                const v = b[name];
                if (v !== undefined && typeof v !== "number") {
                    throw new AdminError(`population: ${name} must be a number; got ${JSON.stringify(v)}`);
                }
                return v;
            };
            const principals = number("principals");
            if (principals === undefined) {
                throw new AdminError("population: principals (number of service principals) is required");
            }
            return ok(201, emu.tenant.seedPopulation({ principals, seed: number("seed"), addInsPerState: number("addInsPerState") }));
        }
        case "credentials": {
            if (second === undefined) {
                throw new AdminError("use /_emulator/credentials/{objectId}");
            }
            if (m === "POST") {
                return ok(201, emu.tenant.seedCredentials(second, obj(body)));
            }
            const view = emu.tenant.credentials(second);
            return ok(200, { keyCredentials: view.keyCredentials.map(({ keyBytes: _bytes, ...rest }) => rest), passwordCredentials: view.passwordCredentials });
        }
        case "faults":
            return faultsRoute(emu, m, second, body);
        case "acs":
            return acsRoute(emu, m, second, third, body);
        default:
            return ok(404, { error: { code: "EmulatorNotFound", message: `No admin route ${req.method} ${req.path}; see emulator/admin.ts for the list.` } });
    }
}

function faultsRoute(emu: Emulator, method: string, which: string | undefined, body: JsonValue): EmulatorResponse {
    const f = emu.faults;
    if (which === undefined) {
        if (method === "DELETE") {
            f.reset();
        }
        return ok(200, f.snapshot());
    }
    if (method === "DELETE") {
        if (which === "tokenBucket") {
            f.tokenBucket(null);
        } else if (which === "policy") {
            f.policy(null);
        } else {
            throw new AdminError(`DELETE is for /faults, /faults/tokenBucket and /faults/policy`);
        }
        return ok(200, f.snapshot());
    }
    // Shapes are checked by the Faults methods themselves (they throw with a message on bad input).
    const b = obj(body) as unknown as Record<string, never>;
    switch (which) {
        case "latency":
            f.latency(Number(obj(body).ms ?? 0), b.match);
            break;
        case "throttle":
            f.throttle(b);
            break;
        case "serverError":
            f.serverError(b);
            break;
        case "hang":
            f.hang(b);
            break;
        case "badBody":
            f.badBody(b as unknown as BadBodyOptions);
            break;
        case "onRequest": {
            // Over HTTP the action cannot be code: it is another tool's write of the given entries.
            const o = obj(body);
            const seed = o.seedCredentials;
            if (typeof seed !== "object" || seed === null || Array.isArray(seed) || typeof seed.objectId !== "string") {
                throw new AdminError("onRequest needs seedCredentials: {objectId, keyCredentials?, passwordCredentials?}");
            }
            const { objectId, ...entries } = seed;
            emu.tenant.credentials(objectId); // an unknown object fails now, not at the request
            f.onRequest({ when: o.when as HookMoment | undefined, times: b.times, match: b.match, run: () => void emu.tenant.seedCredentials(objectId, entries) });
            break;
        }
        case "tokenBucket":
            f.tokenBucket(b as unknown as TokenBucketOptions);
            break;
        case "readAfterWriteLag":
            f.readAfterWriteLag(Number(obj(body).reads ?? 0));
            break;
        case "policy":
            f.policy(b);
            break;
        default:
            throw new AdminError(`unknown fault "${which}"; use latency, throttle, serverError, hang, badBody, onRequest, tokenBucket, readAfterWriteLag or policy`);
    }
    return ok(200, f.snapshot());
}

async function acsRoute(emu: Emulator, method: string, appId: string | undefined, action: string | undefined, body: JsonValue): Promise<EmulatorResponse> {
    if (appId === undefined) {
        if (method === "POST") {
            const ms = obj(body).propagationDelayMs;
            if (typeof ms !== "number" || ms < 0) {
                throw new AdminError("propagationDelayMs must be a number >= 0");
            }
            emu.acs.propagationDelayMs = ms;
        }
        return ok(200, { realm: emu.tenantId, propagationDelayMs: emu.acs.propagationDelayMs, tokenEndpoint: `${emu.url}/acs/${emu.tenantId}/tokens/OAuth/2` });
    }
    if (action === undefined) {
        const key = emu.acs.activeSigningKey(appId);
        return ok(200, { activeSigningKey: key === null ? null : { ...key, keyBytes: undefined, key: key.keyBytes.toString("base64") }, reason: emu.acs.whyNoActiveKey(appId) });
    }
    if (action === "contextToken" && method === "POST") {
        try {
            return ok(200, { contextToken: await emu.acs.issueContextToken(appId) });
        } catch (err) {
            if (err instanceof AcsError) {
                return ok(409, { error: { code: err.reason, message: err.message } });
            }
            throw err;
        }
    }
    if (action === "check" && method === "POST") {
        const b = obj(body);
        if (typeof b.clientSecret !== "string") {
            throw new AdminError("clientSecret (string) is required");
        }
        return ok(200, await emu.checkAddIn(appId, { clientSecret: b.clientSecret, secondaryClientSecret: typeof b.secondaryClientSecret === "string" ? b.secondaryClientSecret : null }));
    }
    throw new AdminError(`unknown ACS admin route ${method} ${action}`);
}
