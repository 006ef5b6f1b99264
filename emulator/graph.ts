/**
 * Microsoft Graph v1.0 for `servicePrincipals` and `applications`: routing, reads ($select,
 * $filter), PATCH and the credential actions. Authentication and faults are applied by the server
 * before a request gets here.
 */
import { EmulatorClock } from "./clock";
import * as C from "./credentials";
import * as E from "./errors";
import { Faults } from "./faults";
import { EmulatorRequest, EmulatorResponse } from "./http";
import { DirectoryObject, EntitySet, GUID_PATTERN, JsonObject, JsonValue } from "./model";
import { ODATA_TYPE, READ_ONLY_PROPERTIES, Tenant, toGraph } from "./tenant";

/** Graph's JSON content type. */
export const GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

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

    private list(set: EntitySet, query: URLSearchParams): EmulatorResponse {
        const predicate = this.parseFilter(set, query.get("$filter"));
        const select = this.parseSelect(set, query);
        let items = this.tenant.listForGraph(set, predicate);
        const top = query.get("$top");
        if (top !== null) {
            const n = Number(top);
            if (!Number.isInteger(n) || n < 1 || n > 999) {
                throw new E.GraphError(400, "Request_BadRequest", `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`);
            }
            items = items.slice(0, n);
        }
        const context = `${this.baseUrl()}/v1.0/$metadata#${set}${select === null ? "" : `(${select.join(",")})`}`;
        return json(200, { "@odata.context": context, value: items.map((o) => this.project(o, select)) });
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
