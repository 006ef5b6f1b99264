/**
 * A deterministic tenant population for scale tests and the bench: thousands of service
 * principals, most of them ordinary (enterprise apps, app registrations with client secrets or
 * certificates, Legacy principals whose keys are long gone), and among them SharePoint add-ins in
 * each state a tenant-wide report must tell apart. Pure: the same options give the same plan,
 * ids, key bytes and dates (relative to `now`), so tests can assert exact counts and keyIds.
 * `Tenant.seedPopulation` stores a plan.
 *
 * Add-in states (each split between Legacy principals, credentials on the service principal, and
 * application-backed ones, credentials on the application; every secret is the classic set of a
 * Symmetric Sign key, a Symmetric Verify key and a Password with one start and end):
 * - `healthy`: one valid secret, ending 90 to 900 days from now;
 * - `expiring`: one valid secret, ending 1 to 29 days from now;
 * - `down`: one secret, expired 1 to 400 days ago (no valid Sign key: SharePoint cannot sign);
 * - `risky`: an older valid secret (ends in 60 to 300 days) and a newer one (ends in 400 to 1,000
 *   days): SharePoint signs with the older one, which the remote web may not hold;
 * - `managed`: one generation of this project (`addin-credentials/<name>/gen-0/<start date>`).
 */
import type { SeedCredentials } from "./model";

/** The add-in states a population holds. */
export const POPULATION_STATES = ["healthy", "expiring", "down", "risky", "managed"] as const;
/** One of {@link POPULATION_STATES}. */
export type PopulationState = (typeof POPULATION_STATES)[number];

/** What to seed. */
export interface PopulationOptions {
    /** Service principals in all (add-ins included). */
    readonly principals: number;
    /** Seed of the generator. @default 1 */
    readonly seed?: number;
    /** Add-ins per state (half Legacy, half application-backed). @default - min(200, principals / 50), rounded down */
    readonly addInsPerState?: number;
}

/** Where a principal's credentials live. */
export type PopulationHolder = "servicePrincipal" | "application";

/** One principal of the plan (and, for app registrations and app-backed add-ins, its application). */
export interface PlannedPrincipal {
    readonly appId: string;
    readonly displayName: string;
    /** `Legacy` principals have no application object; `Application` ones may have one here. */
    readonly servicePrincipalType: "Legacy" | "Application";
    readonly servicePrincipalId: string;
    /** The application object's id, when the tenant holds one. */
    readonly applicationId?: string;
    /** Which object `credentials` go on. */
    readonly holder: PopulationHolder;
    readonly credentials: SeedCredentials;
    /** The add-in state, for add-ins; absent for ordinary principals. */
    readonly state?: PopulationState;
    /** keyId of the Symmetric Sign key SharePoint signs with now (the oldest valid one); null when down or not an add-in. */
    readonly signingKeyId: string | null;
}

/** The plan: principals in the order they are created. */
export interface PopulationPlan {
    readonly principals: readonly PlannedPrincipal[];
}

const DAY_MS = 86_400_000;

/** Plans a population of `options.principals` service principals around `now`. Throws naming a bad option. */
export function planPopulation(options: PopulationOptions, now: Date): PopulationPlan {
    const total = options.principals;
    if (!Number.isInteger(total) || total < 0 || total > 1_000_000) {
        throw new Error(`population: principals must be a whole number from 0 to 1,000,000; got ${JSON.stringify(total)}.`);
    }
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) {
        throw new Error(`population: seed must be a whole number; got ${JSON.stringify(seed)}.`);
    }
    const perState = options.addInsPerState ?? Math.min(200, Math.floor(total / 50));
    if (!Number.isInteger(perState) || perState < 0 || perState * POPULATION_STATES.length > total) {
        throw new Error(
            `population: addInsPerState must be a whole number with ${POPULATION_STATES.length} x addInsPerState <= principals (${total}); got ${JSON.stringify(perState)}.`,
        );
    }
    const random = mulberry32(seed);
    const at = (days: number): string => new Date(Math.floor(now.getTime() / 1000) * 1000 + Math.round(days * DAY_MS / 1000) * 1000).toISOString();
    const between = (lo: number, hi: number): number => lo + random() * (hi - lo);
    const bytes = (n: number): string => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256))).toString("base64");
    const uuid = (): string => {
        const b = Array.from({ length: 16 }, () => Math.floor(random() * 256));
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const hex = b.map((x) => x.toString(16).padStart(2, "0")).join("");
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    };
    const secretText = (): string => {
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return Array.from({ length: 40 }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    };
    /** The classic add-in secret: Sign + Verify + Password, one value, one start and end. */
    const secret = (start: string, end: string, displayName: string | null): { creds: SeedCredentials; signKeyId: string } => {
        const key = bytes(32);
        const signKeyId = uuid();
        return {
            signKeyId,
            creds: {
                keyCredentials: [
                    { type: "Symmetric", usage: "Sign", key, keyId: signKeyId, displayName, startDateTime: start, endDateTime: end },
                    { type: "Symmetric", usage: "Verify", key, keyId: uuid(), displayName, startDateTime: start, endDateTime: end },
                ],
                passwordCredentials: [{ keyId: uuid(), secretText: secretText(), displayName, startDateTime: start, endDateTime: end }],
            },
        };
    };
    const merge = (a: SeedCredentials, b: SeedCredentials): SeedCredentials => ({
        keyCredentials: [...(a.keyCredentials ?? []), ...(b.keyCredentials ?? [])],
        passwordCredentials: [...(a.passwordCredentials ?? []), ...(b.passwordCredentials ?? [])],
    });

    const principals: PlannedPrincipal[] = [];
    let addInNumber = 0;
    for (const state of POPULATION_STATES) {
        for (let i = 0; i < perState; i++) {
            addInNumber += 1;
            const holder: PopulationHolder = i % 2 === 0 ? "servicePrincipal" : "application";
            const displayName = `${ADD_IN_NAMES[addInNumber % ADD_IN_NAMES.length]} ${String(addInNumber).padStart(4, "0")}`;
            let creds: SeedCredentials;
            let signingKeyId: string | null;
            if (state === "healthy") {
                ({ creds, signKeyId: signingKeyId } = secret(at(-between(30, 700)), at(between(90, 900)), null));
            } else if (state === "expiring") {
                ({ creds, signKeyId: signingKeyId } = secret(at(-between(700, 1000)), at(between(1, 29)), null));
            } else if (state === "down") {
                const end = -between(1, 400);
                ({ creds } = secret(at(end - 730), at(end), null));
                signingKeyId = null;
            } else if (state === "risky") {
                const older = secret(at(-between(800, 1000)), at(between(60, 300)), null);
                const newer = secret(at(-between(10, 200)), at(between(400, 1000)), null);
                creds = merge(older.creds, newer.creds);
                signingKeyId = older.signKeyId;
            } else {
                const startDays = -Math.floor(between(10, 500));
                const start = at(startDays);
                const name = `${MANAGED_PREFIX}/${slug(displayName)}/gen-0/${start.slice(0, 10)}`;
                ({ creds, signKeyId: signingKeyId } = secret(start, at(startDays + 1095), name));
            }
            const servicePrincipalId = uuid();
            principals.push({
                appId: uuid(), displayName, servicePrincipalType: holder === "servicePrincipal" ? "Legacy" : "Application", servicePrincipalId,
                ...(holder === "application" ? { applicationId: uuid() } : {}), holder, credentials: creds, state, signingKeyId,
            });
        }
    }
    for (let i = principals.length; i < total; i++) {
        const kind = random();
        const displayName = `${ORDINARY_NAMES[i % ORDINARY_NAMES.length]} ${String(i).padStart(5, "0")}`;
        const servicePrincipalId = uuid();
        const appId = uuid();
        if (kind < 0.25) {
            // An app registration of this tenant: client secret or certificate on the application.
            const mix = random();
            const start = at(-between(1, 600));
            const end = at(between(-100, 700));
            const credentials: SeedCredentials = mix < 1 / 3
                ? { passwordCredentials: [{ keyId: uuid(), secretText: secretText(), displayName: "client secret", startDateTime: start, endDateTime: end }] }
                : mix < 2 / 3 ? { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: bytes(64), keyId: uuid(), displayName: `CN=${appId.slice(0, 8)}`, startDateTime: start, endDateTime: end }] } : {};
            principals.push({ appId, displayName, servicePrincipalType: "Application", servicePrincipalId, applicationId: uuid(), holder: "application", credentials, signingKeyId: null });
        } else if (kind < 0.3) {
            // A Legacy principal whose add-in keys were removed long ago: no Symmetric key left.
            const end = at(-between(30, 900));
            principals.push({
                appId, displayName, servicePrincipalType: "Legacy", servicePrincipalId, holder: "servicePrincipal", signingKeyId: null,
                credentials: random() < 0.5 ? {} : { passwordCredentials: [{ keyId: uuid(), secretText: secretText(), displayName: null, startDateTime: at(-1200), endDateTime: end }] },
            });
        } else {
            // An enterprise app (first-party or multi-tenant): no application object here; some SAML signing certificates.
            const credentials: SeedCredentials = random() < 0.2
                ? {
                    keyCredentials: (["Sign", "Verify"] as const).map((usage) => ({
                        type: "AsymmetricX509Cert" as const, usage, key: bytes(64), keyId: uuid(), displayName: `CN=Microsoft Azure Federated SSO Certificate`,
                        startDateTime: at(-between(1, 700)), endDateTime: at(between(30, 1000)),
                    })),
                }
                : {};
            principals.push({ appId, displayName, servicePrincipalType: "Application", servicePrincipalId, holder: "servicePrincipal", credentials, signingKeyId: null });
        }
    }
    // Spread the add-ins through the directory (a listing meets them on every page).
    for (let i = principals.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [principals[i], principals[j]] = [principals[j], principals[i]];
    }
    return { principals };
}

/** This project's managed display-name prefix (components/classify.ts MANAGED_DISPLAY_NAME_PREFIX; the emulator does not import components). */
const MANAGED_PREFIX = "addin-credentials";

const ADD_IN_NAMES = ["HR portal", "Expense reports", "Contract approvals", "Leave requests", "Project sites", "Board minutes", "Intranet news", "Vendor onboarding"];
const ORDINARY_NAMES = ["Graph connector", "Teams bot", "Power Automate flow", "Line-of-business API", "Backup agent", "SAML app", "Provisioning service"];

function slug(displayName: string): string {
    return displayName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/** mulberry32: a small, fast, seedable generator (uniform in [0, 1)). */
function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
