/**
 * The emulator's public surface: what {@link startEmulator} takes and returns. Kept apart from the
 * server, so the admin routes depend on this surface and not on the server that calls them.
 */
import type { AcsModel, AddInCheck, RemoteWebSecrets, TokenHelperModel } from "./acs";
import type { EmulatorClock } from "./clock";
import type { Faults } from "./faults";
import type { RequestLogEntry } from "./http";
import type { Tenant } from "./tenant";

/** Options for `startEmulator`. */
export interface EmulatorOptions {
    /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
    readonly port?: number;
    /** Bearer token Graph accepts. @default - a JWT generated at start */
    readonly token?: string;
    /** Tenant id (ACS realm). @default - a random GUID */
    readonly tenantId?: string;
    /** ACS propagation delay for new keys. @default 24 hours */
    readonly propagationDelayMs?: number;
    /** Log unexpected handler errors to stderr. @default true */
    readonly logErrors?: boolean;
}

/** The emulator's public surface (see docs/ARCHITECTURE.md, "Emulator contract"). */
export interface Emulator {
    /** "http://127.0.0.1:PORT"; Graph is at `url + "/v1.0"`. */
    readonly url: string;
    /** `url + "/v1.0"`. */
    readonly graphUrl: string;
    /** The bearer token Graph requests must carry. */
    readonly token: string;
    /** Tenant id, also the ACS realm. */
    readonly tenantId: string;
    /** The emulator clock. */
    readonly clock: EmulatorClock;
    /** Directory state (objects, credentials with secrets, seeding). */
    readonly tenant: Tenant;
    /** Fault and realism controls. */
    readonly faults: Faults;
    /** ACS model. */
    readonly acs: AcsModel;
    /** TokenHelper model of the remote web. */
    readonly tokenHelper: TokenHelperModel;
    /** Log of Graph and ACS requests (not admin ones), oldest first. */
    readonly requests: RequestLogEntry[];
    /** Would the add-in work now with these remote-web settings (context token + access token). */
    checkAddIn(appId: string, secrets: RemoteWebSecrets): Promise<AddInCheck>;
    /** State, faults, clock, ACS delay and log back to defaults (the token stays). */
    reset(): void;
    /** Stops listening and drops open connections (hung requests included). */
    close(): Promise<void>;
}
