/**
 * The HTTP server: one node:http listener on loopback serving Graph under `/v1.0`, an ACS-like
 * token endpoint under `/acs/{realm}/tokens/OAuth/2`, and the admin endpoint under `/_emulator`.
 * For Graph requests it applies, in order: `onRequest` hooks due before, latency, hang, a bad
 * body (something other than Graph answering), bearer-token check, throttling/5xx faults, then
 * the handler, then `onRequest` hooks due after the answer; and records each request in
 * `requests`, with the counted faults that acted on it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { AcsModel, AddInCheck, checkAddIn, RemoteWebSecrets, TokenHelperModel } from "./acs";
import { handleAdmin } from "./admin";
import { EmulatorClock } from "./clock";
import * as E from "./errors";
import { Faults, RequestInfo } from "./faults";
import { GraphService, routeGraph } from "./graph";
import { EmulatorRequest, EmulatorResponse, RequestLogEntry } from "./http";
import { Tenant } from "./tenant";
import type { Emulator, EmulatorOptions } from "./surface";

function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

/** The emulator implementation behind {@link Emulator}. */
export class EmulatorImpl implements Emulator {
    readonly clock = new EmulatorClock();
    readonly faults = new Faults();
    readonly tenant: Tenant;
    readonly acs: AcsModel;
    readonly tokenHelper: TokenHelperModel;
    readonly requests: RequestLogEntry[] = [];
    url = "";
    private readonly server: Server;
    private readonly graph: GraphService;
    private readonly timers = new Set<NodeJS.Timeout>();
    private readonly defaultPropagationDelayMs: number;
    private closed = false;

    constructor(readonly token: string, private readonly options: EmulatorOptions) {
        this.tenant = new Tenant(this.clock, () => this.faults.lag, options.tenantId);
        this.acs = new AcsModel(this.tenant, this.clock, { propagationDelayMs: options.propagationDelayMs });
        this.defaultPropagationDelayMs = this.acs.propagationDelayMs;
        this.tokenHelper = new TokenHelperModel(this.acs, this.clock);
        this.graph = new GraphService(this.tenant, this.faults, this.clock, () => this.url);
        this.server = createServer((req, res) => {
            this.dispatch(req, res).catch((err: unknown) => {
                if (this.options.logErrors !== false) {
                    console.error("emulator: unhandled error", err);
                }
                if (!res.headersSent) {
                    res.writeHead(500).end();
                }
            });
        });
    }

    get tenantId(): string {
        return this.tenant.tenantId;
    }

    get graphUrl(): string {
        return `${this.url}/v1.0`;
    }

    /** Listens on 127.0.0.1. */
    async listen(port: number): Promise<void> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(port, "127.0.0.1", () => resolve());
        });
        const address = this.server.address() as AddressInfo;
        this.url = `http://127.0.0.1:${address.port}`;
    }

    checkAddIn(appId: string, secrets: RemoteWebSecrets): Promise<AddInCheck> {
        return checkAddIn(this.acs, this.tokenHelper, appId, secrets);
    }

    reset(): void {
        this.tenant.reset();
        this.faults.reset();
        this.clock.reset();
        this.acs.propagationDelayMs = this.defaultPropagationDelayMs;
        this.requests.length = 0;
    }

    async close(): Promise<void> {
        if (this.closed) {
            return;
        }
        this.closed = true;
        for (const t of this.timers) {
            clearTimeout(t);
        }
        this.timers.clear();
        await new Promise<void>((resolve) => {
            this.server.close(() => resolve());
            this.server.closeAllConnections();
        });
    }

    private sleep(ms: number): Promise<void> {
        return new Promise((resolve) => {
            const t = setTimeout(() => {
                this.timers.delete(t);
                resolve();
            }, ms);
            this.timers.add(t);
        });
    }

    private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const rawBody = await readBody(req);
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        let path: string;
        try {
            path = decodeURIComponent(url.pathname);
        } catch {
            path = url.pathname;
        }
        const request: EmulatorRequest = { method: (req.method ?? "GET").toUpperCase(), path, query: url.searchParams, headers: req.headers, rawBody };
        if (path === "/_emulator" || path.startsWith("/_emulator/")) {
            this.send(res, await handleAdmin(this, request));
            return;
        }
        const acs = /^\/acs\/([^/]+)\/tokens\/OAuth\/2\/?$/.exec(path);
        if (acs !== null) {
            await this.acsToken(request, acs[1], res);
            return;
        }
        if (path === "/v1.0" || path.startsWith("/v1.0/")) {
            await this.graphRequest(request, path.slice("/v1.0".length), res);
            return;
        }
        this.send(res, { status: 404, headers: { "Content-Type": "application/json" }, body: { error: { code: "NotFound", message: `Nothing at ${path}. Graph is under /v1.0, ACS under /acs/{realm}/tokens/OAuth/2, controls under /_emulator.` } } });
    }

    private async graphRequest(req: EmulatorRequest, graphPath: string, res: ServerResponse): Promise<void> {
        const { operation } = routeGraph(req.method, graphPath);
        const entry: RequestLogEntry = { method: req.method, path: req.path, operation, status: null, at: this.clock.now().toISOString(), faults: [] };
        this.requests.push(entry);
        const info: RequestInfo = { method: req.method, path: req.path, operation };
        for (const run of this.faults.hooksFor("before", info)) {
            entry.faults.push("onRequest:before");
            await run(info);
        }
        await this.answerGraph(req, graphPath, res, entry, info);
        if (entry.status === null) {
            return; // never answered (a hang without end): nothing comes after
        }
        for (const run of this.faults.hooksFor("after", info)) {
            entry.faults.push("onRequest:after");
            await run(info);
        }
    }

    private async answerGraph(req: EmulatorRequest, graphPath: string, res: ServerResponse, entry: RequestLogEntry, info: RequestInfo): Promise<void> {
        const { route } = routeGraph(req.method, graphPath);
        const requestId = randomUUID();
        const header = req.headers["client-request-id"];
        const clientRequestId = typeof header === "string" && header !== "" ? header : requestId;
        const ids = { "request-id": requestId, "client-request-id": clientRequestId };
        const fail = (err: E.GraphError): void => {
            entry.status = err.status;
            this.send(res, { status: err.status, headers: { "Content-Type": "application/json", ...err.headers, ...ids }, body: JSON.parse(JSON.stringify(E.errorBody(err, this.clock.now(), requestId, clientRequestId))) });
        };
        const latency = this.faults.latencyFor(info);
        if (latency > 0) {
            await this.sleep(latency);
        }
        const hang = this.faults.hangFor(info);
        if (hang !== undefined) {
            entry.faults.push("hang");
        }
        if (hang === null) {
            return; // Never answered; close() drops the connection.
        }
        if (hang !== undefined) {
            await this.sleep(hang);
        }
        if (this.closed) {
            return;
        }
        const bad = this.faults.badBodyFor(info);
        if (bad !== undefined) {
            // Not Graph: no request-id headers, no Graph error body, the request goes no further.
            entry.faults.push("badBody");
            entry.status = bad.status;
            this.send(res, { status: bad.status, headers: bad.contentType === null ? {} : { "Content-Type": bad.contentType }, body: bad.body === "" ? undefined : bad.body });
            return;
        }
        const authError = this.checkBearer(req);
        if (authError !== null) {
            fail(authError);
            return;
        }
        const fault = this.faults.decide(info);
        if (fault !== undefined) {
            entry.faults.push(fault.kind);
            fail(fault.kind === "throttle" ? E.tooManyRequests(fault.retryAfterSeconds) : E.serverError(fault.status, fault.retryAfterSeconds));
            return;
        }
        if (route === null) {
            fail(E.noRoute(req.method, graphPath));
            return;
        }
        try {
            const result = await this.graph.handle(req, route);
            entry.status = result.status;
            this.send(res, { ...result, headers: { ...result.headers, ...ids } });
        } catch (err) {
            if (err instanceof E.GraphError) {
                fail(err);
                return;
            }
            if (this.options.logErrors !== false) {
                console.error("emulator: handler error", err);
            }
            fail(E.serverError(500, null));
        }
    }

    private checkBearer(req: EmulatorRequest): E.GraphError | null {
        const auth = req.headers.authorization;
        const m = typeof auth === "string" ? /^Bearer\s+(.*)$/i.exec(auth.trim()) : null;
        const token = m?.[1]?.trim() ?? "";
        if (token === "") {
            return E.accessTokenEmpty();
        }
        if (token === this.token) {
            return null;
        }
        return token.split(".").length === 3 ? E.accessTokenInvalid() : E.accessTokenMalformed();
    }

    private async acsToken(req: EmulatorRequest, realm: string, res: ServerResponse): Promise<void> {
        const entry: RequestLogEntry = { method: req.method, path: req.path, operation: "acs.token", status: null, at: this.clock.now().toISOString(), faults: [] };
        this.requests.push(entry);
        const form = new URLSearchParams(req.rawBody);
        const reply = (status: number, body: object): void => {
            entry.status = status;
            this.send(res, { status, headers: { "Content-Type": "application/json; charset=utf-8" }, body: JSON.parse(JSON.stringify(body)) });
        };
        const invalid = (code: number, text: string): void =>
            reply(400, { error: "invalid_request", error_description: `AADSTS${code}: ${text}`, error_codes: [code] });
        if (req.method !== "POST") {
            invalid(900561, "The endpoint only accepts POST requests.");
            return;
        }
        if (realm.toLowerCase() !== this.tenantId.toLowerCase()) {
            invalid(90002, `Tenant '${realm}' not found.`);
            return;
        }
        if (form.get("grant_type") !== "client_credentials") {
            reply(400, { error: "unsupported_grant_type", error_description: "AADSTS70003: The app requested an unsupported grant type.", error_codes: [70003] });
            return;
        }
        const clientId = form.get("client_id") ?? "";
        const secret = form.get("client_secret");
        if (secret === null) {
            invalid(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
            return;
        }
        // TokenHelper sends client_id as "<clientId>@<realm>".
        const appId = clientId.split("@")[0];
        const result = await this.acs.requestToken(appId, secret, form.get("resource") ?? undefined);
        reply(result.status, result.body);
    }

    private send(res: ServerResponse, result: EmulatorResponse): void {
        if (res.headersSent || res.destroyed) {
            return;
        }
        // Graph's Date header is its server time; the emulator's is its clock's, so clients that
        // take "now" from the directory (the inventory) follow a simulated clock.
        const headers: Record<string, string> = { Date: this.clock.now().toUTCString(), ...result.headers };
        let payload: string | undefined;
        if (result.body !== undefined) {
            payload = typeof result.body === "string" ? result.body : JSON.stringify(result.body);
            headers["Content-Length"] = String(Buffer.byteLength(payload));
        }
        res.writeHead(result.status, headers);
        res.end(payload);
    }
}

/** A fresh bearer token: a JWT shaped like an app-only Graph token (the emulator accepts only this exact string). */
async function makeToken(tenantId: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ roles: ["Application.ReadWrite.All"], tid: tenantId, appid: randomUUID(), idtyp: "app" })
        .setProtectedHeader({ typ: "JWT", alg: "HS256" })
        .setIssuer(`https://sts.windows.net/${tenantId}/`)
        .setAudience("https://graph.microsoft.com")
        .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 10 * 365 * 24 * 3600)
        .sign(randomBytes(32));
}

/** Starts an emulator on 127.0.0.1 (port 0 by default) and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
    const tenantId = options.tenantId ?? randomUUID();
    const token = options.token ?? (await makeToken(tenantId));
    const emu = new EmulatorImpl(token, { ...options, tenantId });
    await emu.listen(options.port ?? 0);
    return emu;
}
