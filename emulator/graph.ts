/**
 * Microsoft Graph v1.0 for `servicePrincipals` and `applications`: routing, reads ($select,
 * $filter), PATCH and the credential actions. Authentication and faults are applied by the server
 * before a request gets here.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { EmulatorClock } from "./clock";
import * as C from "./credentials";
import * as E from "./errors";
import { Faults } from "./faults";
import { EmulatorRequest, EmulatorResponse } from "./http";
import { DirectoryObject, EntitySet, GUID_PATTERN, JsonObject, JsonValue } from "./model";
import { ODATA_TYPE, READ_ONLY_PROPERTIES, Tenant, toGraph } from "./tenant";

/** Graph's JSON content type. */
export const GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** Items per page when a list has no `$top` (Graph's default for directory collections). */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest `$top` Graph accepts on servicePrincipals and applications. */
export const MAX_PAGE_SIZE = 999;

const ACTIONS = ["addPassword", "removePassword", "addKey", "removeKey"] as const;
type Action = (typeof ACTIONS)[number];

/** Where a Graph path points. */
export interface GraphRoute {
    readonly set: EntitySet;
    readonly target: { readonly by: "collection" } | { readonly by: "id" | "appId"; readonly value: string };
    readonly action: Action | null;
}

/** Routes a path under /v1.0; `operation` names it for the log and fault matching. */
export function routeGraph(method: string, path: string): { operation: string; route: GraphRoute | null } {
    const m = /^\/(servicePrincipals|applications)(?:\(appId='([^']*)'\)|\/([^/()]+))?(?:\/([A-Za-z.]+))?\/?$/.exec(path);
    if (m === null) {
        return { operation: "graph.unknown", route: null };
    }
    const set = m[1] as EntitySet;
    const [, , appId, id, segment] = m;
    const target = appId !== undefined ? { by: "appId" as const, value: appId } : id !== undefined ? { by: "id" as const, value: id } : { by: "collection" as const };
    // Graph also accepts the namespaced form (microsoft.graph.addPassword).
    const actionName = segment?.replace(/^microsoft\.graph\./, "");
    if (segment !== undefined && (target.by === "collection" || !(ACTIONS as readonly string[]).includes(actionName ?? ""))) {
        return { operation: "graph.unknown", route: null };
    }
    const action = (actionName ?? null) as Action | null;
    const verb = action ?? (target.by === "collection" ? "list" : method === "PATCH" ? "update" : method === "GET" ? "get" : method.toLowerCase());
    return { operation: `${set}.${verb}`, route: { set, target, action } };
}

function parseJsonBody(raw: string): JsonValue {
    if (raw.trim() === "") {
        return {};
    }
    try {
        return JSON.parse(raw) as JsonValue;
    } catch {
        throw E.badJson();
    }
}

function typeName(set: EntitySet): string {
    return set === "servicePrincipals" ? "ServicePrincipal" : "Application";
}

/** The Graph service over the tenant. */
export class GraphService {
    private readonly pageTokens = new PageTokens();

    constructor(private readonly tenant: Tenant, private readonly faults: Faults, private readonly clock: EmulatorClock,
        private readonly baseUrl: () => string) {}

    /** Handles a routed, authenticated request. Throws GraphError for Graph errors. */
    async handle(req: EmulatorRequest, route: GraphRoute): Promise<EmulatorResponse> {
        const { set, target, action } = route;
        if (target.by === "collection") {
            if (req.method !== "GET") {
                throw E.methodNotAllowed(req.method);
            }
            return this.list(set, req.query);
        }
        if (target.by === "id" && !GUID_PATTERN.test(target.value)) {
            throw E.invalidObjectIdentifier(target.value);
        }
        const key = target.by === "id" ? { id: target.value } : { appId: target.value };
        const current = this.tenant.find(set, key);
        if (action !== null) {
            if (req.method !== "POST") {
                throw E.methodNotAllowed(req.method);
            }
            return this.act(this.mustExist(current, target.value), action, parseJsonBody(req.rawBody));
        }
        switch (req.method) {
            case "GET":
                return this.get(set, current, target.value, req.query);
            case "PATCH":
                return this.patch(this.mustExist(current, target.value), parseJsonBody(req.rawBody));
            default:
                throw E.methodNotAllowed(req.method);
        }
    }

    private mustExist(obj: DirectoryObject | undefined, shown: string): DirectoryObject {
        if (obj === undefined) {
            throw E.resourceNotFound(shown);
        }
        return obj;
    }

    private get(set: EntitySet, current: DirectoryObject | undefined, shown: string, query: URLSearchParams): EmulatorResponse {
        const seen = current === undefined ? null : this.tenant.readForGraph(current);
        if (seen === null) {
            throw E.resourceNotFound(shown);
        }
        const select = this.parseSelect(set, query);
        const context = `${this.baseUrl()}/v1.0/$metadata#${set}${select === null ? "" : `(${select.join(",")})`}/$entity`;
        return json(200, { "@odata.context": context, ...this.project(seen, select) });
    }

    /**
     * A collection read, one page at a time (concepts/paging): `$top` items (default 100, 1..999),
     * and while more remain an `@odata.nextLink` that repeats the request's own query options
     * plus an opaque `$skiptoken`, as an absolute URL to follow verbatim. The token is bound to
     * the query it was issued for; a garbled one, or one moved onto another `$select`,
     * `$filter` or `$top`, is refused like an expired one (Directory_ExpiredPageToken).
     */
    private list(set: EntitySet, query: URLSearchParams): EmulatorResponse {
        const predicate = this.parseFilter(set, query.get("$filter"));
        const select = this.parseSelect(set, query);
        const pageSize = parsePageSize(query.get("$top"));
        const binding = queryBinding(set, query);
        const token = query.get("$skiptoken");
        const offset = token === null ? 0 : this.pageTokens.open(token, binding);
        const page = this.tenant.pageForGraph(set, predicate, offset, pageSize);
        const context = `${this.baseUrl()}/v1.0/$metadata#${set}${select === null ? "" : `(${select.join(",")})`}`;
        return json(200, {
            "@odata.context": context,
            ...(page.next === null ? {} : { "@odata.nextLink": nextLink(this.baseUrl(), set, query, this.pageTokens.issue(page.next, binding)) }),
            value: page.items.map((o) => this.project(o, select)),
        });
    }

    private project(obj: DirectoryObject, select: string[] | null): JsonObject {
        const full = toGraph(obj);
        if (select === null) {
            return full;
        }
        const out: JsonObject = {};
        for (const name of select) {
            out[name] = full[name];
        }
        return out;
    }

    private parseSelect(set: EntitySet, query: URLSearchParams): string[] | null {
        const raw = query.get("$select");
        if (raw === null || raw.trim() === "") {
            return null;
        }
        const names = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
        const known = new Set(Object.keys(toGraph({ set, id: "", appId: "", props: this.template(set), keyCredentials: [], passwordCredentials: [] })));
        for (const name of names) {
            if (!known.has(name)) {
                throw new E.GraphError(400, "Request_BadRequest", `Could not find a property named '${name}' on type '${ODATA_TYPE[set]}'.`);
            }
        }
        return [...new Set(names)];
    }

    private template(set: EntitySet): JsonObject {
        const any = this.tenant.all(set)[0];
        if (any !== undefined) {
            return any.props;
        }
        // No object yet: build the property list from a throwaway tenant.
        const scratch = new Tenant(this.clock, () => 0, this.tenant.tenantId);
        const ref = scratch.addApplication();
        const obj = scratch.get(set === "applications" ? ref.applicationId : ref.servicePrincipalId);
        return obj?.props ?? {};
    }

    /**
     * `$filter`: `prop eq 'value'` clauses joined by `and`, on appId, id, displayName (and
     * servicePrincipalType for service principals). Anything else: Request_UnsupportedQuery.
     */
    private parseFilter(set: EntitySet, raw: string | null): (o: DirectoryObject) => boolean {
        if (raw === null || raw.trim() === "") {
            return () => true;
        }
        const supported = set === "servicePrincipals" ? ["appId", "id", "displayName", "servicePrincipalType"] : ["appId", "id", "displayName"];
        const clauses = raw.split(/\s+and\s+/i).map((clause) => {
            const m = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(clause);
            if (m === null) {
                const prop = /^\s*(\w+)/.exec(clause)?.[1];
                if (prop !== undefined && !supported.includes(prop)) {
                    throw E.unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${prop}' of resource '${typeName(set)}'.`);
                }
                throw new E.GraphError(400, "BadRequest", `Invalid filter clause: ${clause.trim()}`);
            }
            const [, prop, value] = m;
            if (!supported.includes(prop)) {
                throw E.unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${prop}' of resource '${typeName(set)}'.`);
            }
            return { prop, value: value.replace(/''/g, "'").toLowerCase() };
        });
        return (o) => clauses.every(({ prop, value }) => {
            const v = prop === "id" ? o.id : prop === "appId" ? o.appId : o.props[prop];
            return typeof v === "string" && v.toLowerCase() === value;
        });
    }

    /**
     * PATCH: 204 No Content. Credential collections are replaced whole; other properties set as
     * sent. There is no concurrency control (no ETag, If-Match ignored): the last writer wins.
     */
    private patch(obj: DirectoryObject, body: JsonValue): EmulatorResponse {
        if (typeof body !== "object" || body === null || Array.isArray(body)) {
            throw E.badJson();
        }
        const ctx = { now: this.clock.now(), policy: this.faults.activePolicy, tenant: this.tenant };
        const updates: JsonObject = {};
        for (const [name, value] of Object.entries(body)) {
            if (name === "keyCredentials" || name === "passwordCredentials" || name.startsWith("@odata.")) {
                continue;
            }
            if (READ_ONLY_PROPERTIES[obj.set].has(name)) {
                throw E.readOnlyProperty(name);
            }
            if (!(name in obj.props)) {
                throw E.unknownProperty(name, ODATA_TYPE[obj.set]);
            }
            updates[name] = value;
        }
        if (body.passwordCredentials !== undefined) {
            // Checked before the keys: a new password is refused whatever else the request holds
            // (fixture observed_patch_passwordcredentials_rejected).
            this.precheckPasswords(obj, body.passwordCredentials, body.keyCredentials);
        }
        const keys = body.keyCredentials !== undefined ? C.patchKeyCredentials(obj, body.keyCredentials, ctx) : obj.keyCredentials;
        const passwords = body.passwordCredentials !== undefined ? C.patchPasswordCredentials(obj, body.passwordCredentials, keys, ctx) : obj.passwordCredentials;
        this.tenant.beforeWrite(obj);
        obj.props = { ...obj.props, ...updates };
        obj.keyCredentials = keys;
        obj.passwordCredentials = passwords;
        return { status: 204 };
    }

    private precheckPasswords(obj: DirectoryObject, passwords: JsonValue, keys: JsonValue | undefined): void {
        if (!Array.isArray(passwords)) {
            return;
        }
        const pfxIds = new Set((Array.isArray(keys) ? keys : [])
            .filter((k): k is JsonObject => typeof k === "object" && k !== null && !Array.isArray(k) && k.type === "X509CertAndPassword" && typeof k.keyId === "string")
            .map((k) => String(k.keyId).toLowerCase()));
        const stored = new Set(obj.passwordCredentials.map((p) => p.keyId));
        for (const p of passwords) {
            if (typeof p !== "object" || p === null || Array.isArray(p)) {
                continue;
            }
            const keyId = typeof p.keyId === "string" ? p.keyId.toLowerCase() : null;
            const keepsStored = keyId !== null && stored.has(keyId) && (p.secretText === undefined || p.secretText === null);
            const certPassword = keyId !== null && pfxIds.has(keyId);
            if (!keepsStored && !certPassword) {
                throw E.passwordsNeedServiceActions();
            }
        }
    }

    private async act(obj: DirectoryObject, action: Action, body: JsonValue): Promise<EmulatorResponse> {
        const ctx = { now: this.clock.now(), policy: this.faults.activePolicy, tenant: this.tenant };
        switch (action) {
            case "addPassword":
                return json(200, { "@odata.context": `${this.baseUrl()}/v1.0/$metadata#microsoft.graph.passwordCredential`, ...C.addPassword(obj, body, ctx) });
            case "removePassword":
                C.removePassword(obj, body, ctx);
                return { status: 204 };
            case "addKey":
                return json(200, { "@odata.context": `${this.baseUrl()}/v1.0/$metadata#microsoft.graph.keyCredential`, ...(await C.addKey(obj, body, ctx)) });
            case "removeKey":
                await C.removeKey(obj, body, ctx);
                return { status: 204 };
        }
    }
}

function json(status: number, body: JsonValue): EmulatorResponse {
    return { status, headers: { "Content-Type": GRAPH_JSON }, body };
}

/** `$top`: absent → the default page size; otherwise a whole number 1..999. */
function parsePageSize(top: string | null): number {
    if (top === null) {
        return DEFAULT_PAGE_SIZE;
    }
    const n = Number(top);
    if (top.trim() === "" || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
        throw E.invalidPageSize(top);
    }
    return n;
}

/** What a `$skiptoken` is bound to: the collection and the query options that shape its pages. */
function queryBinding(set: EntitySet, query: URLSearchParams): Buffer {
    const parts = [set, ...["$filter", "$select", "$top"].map((name) => `${name}=${query.get(name) ?? ""}`)];
    return createHash("sha256").update(parts.join("\n")).digest().subarray(0, 8);
}

/** The next page's URL: absolute, the request's own options in their order, then `$skiptoken`. */
function nextLink(baseUrl: string, set: EntitySet, query: URLSearchParams, token: string): string {
    const options = [...query].filter(([name]) => name !== "$skiptoken").map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    return `${baseUrl}/v1.0/${set}?${[...options, `$skiptoken=${encodeURIComponent(token)}`].join("&")}`;
}

/**
 * Opaque page tokens. Graph's directory tokens are base64 (`RFNwdAIAAQAAA…`, "DSpt…"); these
 * share the prefix and carry the position to resume from, the query binding and a MAC under a
 * per-emulator key, so a token is accepted only by the emulator and query that issued it.
 */
class PageTokens {
    private static readonly MAGIC = Buffer.from([0x44, 0x53, 0x70, 0x74, 0x02, 0x00, 0x01, 0x00]);
    private readonly key = randomBytes(32);

    issue(offset: number, binding: Buffer): string {
        const position = Buffer.alloc(4);
        position.writeUInt32BE(offset);
        const body = Buffer.concat([PageTokens.MAGIC, position, binding]);
        return Buffer.concat([body, this.mac(body)]).toString("base64");
    }

    /** The position a token resumes from; throws Directory_ExpiredPageToken for any other token. */
    open(token: string, binding: Buffer): number {
        const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(token) ? Buffer.from(token, "base64") : Buffer.alloc(0);
        const magic = PageTokens.MAGIC.length;
        if (bytes.length !== magic + 4 + 8 + 8 || !bytes.subarray(0, magic).equals(PageTokens.MAGIC)) {
            throw E.expiredPageToken();
        }
        const body = bytes.subarray(0, magic + 12);
        if (!timingSafeEqual(this.mac(body), bytes.subarray(magic + 12)) || !bytes.subarray(magic + 4, magic + 12).equals(binding)) {
            throw E.expiredPageToken();
        }
        return bytes.readUInt32BE(magic);
    }

    private mac(body: Buffer): Buffer {
        return createHmac("sha256", this.key).update(body).digest().subarray(0, 8);
    }
}
