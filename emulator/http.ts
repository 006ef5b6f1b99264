/** Request/response shapes shared by the Graph, ACS and admin routers. */
import { IncomingHttpHeaders } from "node:http";
import { JsonValue } from "./model";

/** A parsed incoming request. */
export interface EmulatorRequest {
    readonly method: string;
    /** Decoded path without query. */
    readonly path: string;
    readonly query: URLSearchParams;
    readonly headers: IncomingHttpHeaders;
    /** Raw body text ("" when none). */
    readonly rawBody: string;
}

/** What a router answers. `body` undefined: no body (204). A string body is sent as-is. */
export interface EmulatorResponse {
    readonly status: number;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: JsonValue | string;
}

/** One entry of `emu.requests`. */
export interface RequestLogEntry {
    readonly method: string;
    readonly path: string;
    /** Operation name, e.g. "servicePrincipals.get", "applications.addPassword", "acs.token". */
    readonly operation: string;
    /** HTTP status sent; null while unanswered (or never answered: a `hang` fault). */
    status: number | null;
    /** Emulator-clock time of arrival. */
    readonly at: string;
    /**
     * Counted faults that acted on the request, in order: "onRequest:before", "hang", "badBody",
     * "throttle" (a throttle fault or the token bucket), "serverError", "onRequest:after".
     */
    readonly faults: string[];
}
