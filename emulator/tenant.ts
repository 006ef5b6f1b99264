/**
 * Directory state: service principals and applications with their credentials, plus the
 * read-after-write lag bookkeeping. Graph's rendering of an object lives here too (`toGraph`), so
 * that every read path hides `key` and `secretText` the same way.
 */
import { randomInt, randomUUID } from "node:crypto";
import { EmulatorClock } from "./clock";
import { decodeBase64Strict } from "./base64";
import { planPopulation, PopulationHolder, PopulationOptions, PopulationState } from "./population";
import {
    addYears, cloneObject, DirectoryObject, EntitySet, graphDate, JsonObject, JsonValue, KEY_TYPES, KEY_USAGES, KeyType, KeyUsage,
    SeedCredentials, StoredKeyCredential, StoredPasswordCredential,
} from "./model";

/** What `addLegacyServicePrincipal` creates. */
export interface LegacyServicePrincipalRef {
    readonly id: string;
    readonly appId: string;
}

/** What `addApplication` creates: the application object and its (app-backed) service principal. */
export interface ApplicationRef {
    readonly applicationId: string;
    readonly servicePrincipalId: string;
    readonly appId: string;
}

/** Options for creating an object. */
export interface NewObjectOptions {
    /** Client id. @default - a random GUID */
    readonly appId?: string;
    /** @default "Add-in <first 8 chars of appId>" */
    readonly displayName?: string;
}

/** A key credential as tests see it: Graph's fields plus the key bytes and creation time. */
export interface KeyCredentialWithKey {
    readonly keyId: string;
    readonly type: KeyType;
    readonly usage: KeyUsage;
    readonly displayName: string | null;
    readonly customKeyIdentifier: string | null;
    readonly startDateTime: string;
    readonly endDateTime: string;
    /** base64 of the key bytes. */
    readonly key: string;
    readonly keyBytes: Buffer;
    readonly createdDateTime: string;
}

/** A password credential as tests see it: with `secretText`. */
export interface PasswordCredentialWithSecret {
    readonly keyId: string;
    readonly displayName: string | null;
    readonly customKeyIdentifier: string | null;
    readonly hint: string;
    readonly secretText: string;
    readonly startDateTime: string;
    readonly endDateTime: string;
    readonly createdDateTime: string;
}

/** Everything stored on an object, secrets included (never served by Graph). */
export interface CredentialsView {
    readonly keyCredentials: KeyCredentialWithKey[];
    readonly passwordCredentials: PasswordCredentialWithSecret[];
}

/** One add-in made by {@link Tenant.seedPopulation}. */
export interface SeededAddIn {
    readonly appId: string;
    readonly displayName: string;
    readonly state: PopulationState;
    readonly holder: PopulationHolder;
    /** Object id of the object holding the credentials (the service principal or the application). */
    readonly holderId: string;
    readonly servicePrincipalId: string;
    /** keyId of the Symmetric Sign key SharePoint signs with now; null when the add-in is down. */
    readonly signingKeyId: string | null;
}

/** What {@link Tenant.seedPopulation} made. */
export interface PopulationManifest {
    /** Service principals created (add-ins included). */
    readonly servicePrincipals: number;
    /** Application objects created. */
    readonly applications: number;
    readonly addIns: readonly SeededAddIn[];
}

/**
 * Characters of generated secrets. Current Entra client secrets are 40 characters of
 * `[A-Za-z0-9~._-]` with `Q~` at positions 4-5; they are not base64, which is the whole reason
 * Microsoft's rotation article base64-encodes them before they become a ClientSecret.
 */
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";

/** A secret shaped like the ones Entra generates today (40 chars, `Q~` marker). */
export function generateSecretText(): string {
    const pick = (alphabet: string): string => alphabet[randomInt(alphabet.length)];
    const alnum = SECRET_ALPHABET.slice(0, 62);
    let out = pick(alnum) + pick(alnum) + pick(alnum) + pick("0123456789") + "Q~";
    while (out.length < 40) {
        out += pick(SECRET_ALPHABET);
    }
    return out;
}

/** Service principal properties in Graph v1.0's order (serviceprincipal-get.md example). */
function servicePrincipalProps(id: string, appId: string, displayName: string, type: "Legacy" | "Application",
    tenantId: string, created: Date): JsonObject {
    return {
        id,
        deletedDateTime: null,
        accountEnabled: true,
        alternativeNames: [],
        appDisplayName: type === "Application" ? displayName : null,
        appDescription: null,
        appId,
        applicationTemplateId: null,
        appOwnerOrganizationId: tenantId,
        appRoleAssignmentRequired: false,
        createdDateTime: graphDate(created),
        description: null,
        disabledByMicrosoftStatus: null,
        displayName,
        homepage: null,
        loginUrl: null,
        logoutUrl: null,
        notes: null,
        notificationEmailAddresses: [],
        preferredSingleSignOnMode: null,
        preferredTokenSigningKeyThumbprint: null,
        replyUrls: [],
        servicePrincipalNames: type === "Legacy" ? [appId] : [appId],
        servicePrincipalType: type,
        signInAudience: "AzureADMyOrg",
        tags: [],
        tokenEncryptionKeyId: null,
        samlSingleSignOnSettings: null,
        addIns: [],
        appRoles: [],
        info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
        oauth2PermissionScopes: [],
        publisherName: null,
        resourceSpecificApplicationPermissions: [],
        verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
        endpoints: [],
    };
}

/** Application properties in Graph v1.0's order (application-get.md). */
function applicationProps(id: string, appId: string, displayName: string, tenantDomain: string, created: Date): JsonObject {
    return {
        id,
        deletedDateTime: null,
        appId,
        applicationTemplateId: null,
        disabledByMicrosoftStatus: null,
        createdDateTime: graphDate(created),
        displayName,
        description: null,
        groupMembershipClaims: null,
        identifierUris: [],
        isDeviceOnlyAuthSupported: null,
        isFallbackPublicClient: null,
        notes: null,
        publisherDomain: tenantDomain,
        serviceManagementReference: null,
        signInAudience: "AzureADMyOrg",
        tags: [],
        tokenEncryptionKeyId: null,
        defaultRedirectUri: null,
        addIns: [],
        api: { acceptMappedClaims: null, knownClientApplications: [], requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [] },
        appRoles: [],
        info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
        optionalClaims: null,
        parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: "Allow" },
        publicClient: { redirectUris: [] },
        requiredResourceAccess: [],
        verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
        web: { homePageUrl: null, logoutUrl: null, redirectUris: [], implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } },
        spa: { redirectUris: [] },
    };
}

/** Properties a PATCH may not set (Graph: read-only). */
export const READ_ONLY_PROPERTIES: Readonly<Record<EntitySet, ReadonlySet<string>>> = {
    servicePrincipals: new Set(["id", "deletedDateTime", "appId", "appDisplayName", "appOwnerOrganizationId", "applicationTemplateId",
        "createdDateTime", "servicePrincipalType", "signInAudience", "publisherName", "verifiedPublisher", "resourceSpecificApplicationPermissions",
        "disabledByMicrosoftStatus", "endpoints"]),
    applications: new Set(["id", "deletedDateTime", "appId", "applicationTemplateId", "createdDateTime", "publisherDomain", "verifiedPublisher",
        "disabledByMicrosoftStatus"]),
};

/** Graph's OData type name per set, for error messages. */
export const ODATA_TYPE: Readonly<Record<EntitySet, string>> = {
    servicePrincipals: "microsoft.graph.servicePrincipal",
    applications: "microsoft.graph.application",
};

/** Graph's rendering of a key credential: `key` is always null on reads. */
export function keyCredentialToGraph(k: StoredKeyCredential): JsonObject {
    return {
        customKeyIdentifier: k.customKeyIdentifier,
        displayName: k.displayName,
        endDateTime: graphDate(k.endDateTime),
        key: null,
        keyId: k.keyId,
        startDateTime: graphDate(k.startDateTime),
        type: k.type,
        usage: k.usage,
    };
}

/** Graph's rendering of a password credential: `secretText` is always null on reads. */
export function passwordCredentialToGraph(p: StoredPasswordCredential): JsonObject {
    return {
        customKeyIdentifier: p.customKeyIdentifier,
        displayName: p.displayName,
        endDateTime: graphDate(p.endDateTime),
        hint: p.hint,
        keyId: p.keyId,
        secretText: null,
        startDateTime: graphDate(p.startDateTime),
    };
}

/** Full Graph JSON of an object, credential collections placed where Graph puts them. */
export function toGraph(obj: DirectoryObject): JsonObject {
    const out: JsonObject = {};
    for (const [name, value] of Object.entries(obj.props)) {
        out[name] = value;
        // Graph lists keyCredentials right after info/appRoles blocks; exact position is cosmetic.
        if (name === "info") {
            out.keyCredentials = obj.keyCredentials.map(keyCredentialToGraph);
            out.passwordCredentials = obj.passwordCredentials.map(passwordCredentialToGraph);
        }
    }
    return out;
}

interface LagState {
    remaining: number;
    /** Pre-write snapshot, or null when the object did not exist before (fresh object: 404). */
    snapshot: DirectoryObject | null;
}

/** The directory: objects, credentials, lag. */
export class Tenant {
    /** Tenant id; also the ACS realm. */
    readonly tenantId: string;
    private readonly objects = new Map<string, DirectoryObject>();
    private readonly lag = new Map<string, LagState>();
    private seq = 0;

    /**
     * @param clock the emulator clock (creation times, default dates)
     * @param lagReads how many reads after a write see the old state (set by the fault controls)
     */
    constructor(private readonly clock: EmulatorClock, private readonly lagReads: () => number, tenantId?: string) {
        this.tenantId = tenantId ?? randomUUID();
    }

    /** Next insertion number (tie-breaker for equal creation times). */
    nextSeq(): number {
        this.seq += 1;
        return this.seq;
    }

    /** A Legacy (ACS, pre-December-2024) service principal: credentials live on it. */
    addLegacyServicePrincipal(options: NewObjectOptions = {}): LegacyServicePrincipalRef {
        const appId = options.appId ?? randomUUID();
        this.assertAppIdFree(appId);
        const id = randomUUID();
        const displayName = options.displayName ?? `Add-in ${appId.slice(0, 8)}`;
        this.insert({ set: "servicePrincipals", id, appId, props: servicePrincipalProps(id, appId, displayName, "Legacy", this.tenantId, this.clock.now()), keyCredentials: [], passwordCredentials: [] });
        return { id, appId };
    }

    /** An application object and its app-backed service principal: credentials go on the application (FACTS §2). */
    addApplication(options: NewObjectOptions = {}): ApplicationRef {
        const appId = options.appId ?? randomUUID();
        this.assertAppIdFree(appId);
        const displayName = options.displayName ?? `Add-in ${appId.slice(0, 8)}`;
        const applicationId = randomUUID();
        const servicePrincipalId = randomUUID();
        const now = this.clock.now();
        this.insert({ set: "applications", id: applicationId, appId, props: applicationProps(applicationId, appId, displayName, "contoso.onmicrosoft.com", now), keyCredentials: [], passwordCredentials: [] });
        this.insert({ set: "servicePrincipals", id: servicePrincipalId, appId, props: servicePrincipalProps(servicePrincipalId, appId, displayName, "Application", this.tenantId, now), keyCredentials: [], passwordCredentials: [] });
        return { applicationId, servicePrincipalId, appId };
    }

    /** The stored (current, never stale) object, or undefined. */
    get(objectId: string): DirectoryObject | undefined {
        return this.objects.get(objectId.toLowerCase());
    }

    /** Current object of a set by id or appId, ignoring lag (writes use this). */
    find(set: EntitySet, key: { id?: string; appId?: string }): DirectoryObject | undefined {
        if (key.id !== undefined) {
            const obj = this.get(key.id);
            return obj?.set === set ? obj : undefined;
        }
        const appId = key.appId?.toLowerCase();
        return [...this.objects.values()].find((o) => o.set === set && o.appId.toLowerCase() === appId);
    }

    /** All current objects of a set, in creation order. */
    all(set: EntitySet): DirectoryObject[] {
        return [...this.objects.values()].filter((o) => o.set === set);
    }

    /**
     * What a Graph read of `obj` sees, consuming one lagged read: the pre-write snapshot, `null`
     * for an object too fresh to be visible, or the current object.
     */
    readForGraph(obj: DirectoryObject): DirectoryObject | null {
        const state = this.lag.get(obj.id);
        if (state === undefined) {
            return obj;
        }
        state.remaining -= 1;
        if (state.remaining <= 0) {
            this.lag.delete(obj.id);
        }
        return state.snapshot;
    }

    /**
     * One page of a set as a Graph list sees it: from position `offset` of the set (creation
     * order), the next `limit` objects that match. Lag applies per object, and a lagged object
     * that the filter concerns (before or after the write) uses up one of its stale reads when
     * its page is read. `next` is the position to resume from, or null when nothing that could
     * match remains.
     */
    pageForGraph(set: EntitySet, predicate: (o: DirectoryObject) => boolean, offset: number, limit: number): { items: DirectoryObject[]; next: number | null } {
        const objects = this.all(set);
        const items: DirectoryObject[] = [];
        let position = offset;
        for (; position < objects.length && items.length < limit; position++) {
            const obj = objects[position];
            const state = this.lag.get(obj.id);
            if (state === undefined) {
                if (predicate(obj)) {
                    items.push(obj);
                }
            } else if (predicate(obj) || (state.snapshot !== null && predicate(state.snapshot))) {
                const view = this.readForGraph(obj);
                if (view !== null && predicate(view)) {
                    items.push(view);
                }
            }
        }
        const concerned = (obj: DirectoryObject): boolean => {
            const snapshot = this.lag.get(obj.id)?.snapshot;
            return predicate(obj) || (snapshot !== undefined && snapshot !== null && predicate(snapshot));
        };
        const more = objects.slice(position).some(concerned);
        return { items, next: more ? position : null };
    }

    /**
     * Call before mutating `obj` through Graph: with lag configured, the next reads of it return
     * the state from before this write. A run of writes keeps the oldest snapshot (the replica
     * has seen none of them) and restarts the count.
     */
    beforeWrite(obj: DirectoryObject): void {
        const reads = this.lagReads();
        if (reads <= 0) {
            return;
        }
        const existing = this.lag.get(obj.id);
        this.lag.set(obj.id, { remaining: reads, snapshot: existing !== undefined ? existing.snapshot : cloneObject(obj) });
    }

    /** Stored credentials of an object with key bytes and secrets (tests, sandbox, admin endpoint). */
    credentials(objectId: string): CredentialsView {
        const obj = this.mustGet(objectId);
        return {
            keyCredentials: obj.keyCredentials.map((k) => ({
                keyId: k.keyId, type: k.type, usage: k.usage, displayName: k.displayName, customKeyIdentifier: k.customKeyIdentifier,
                startDateTime: graphDate(k.startDateTime), endDateTime: graphDate(k.endDateTime),
                key: k.key.toString("base64"), keyBytes: Buffer.from(k.key), createdDateTime: graphDate(k.createdDateTime),
            })),
            passwordCredentials: obj.passwordCredentials.map((p) => ({
                keyId: p.keyId, displayName: p.displayName, customKeyIdentifier: p.customKeyIdentifier, hint: p.hint, secretText: p.secretText,
                startDateTime: graphDate(p.startDateTime), endDateTime: graphDate(p.endDateTime), createdDateTime: graphDate(p.createdDateTime),
            })),
        };
    }

    /**
     * Adds entries directly, bypassing Graph validation, policy, lag and the request log
     * (scenario setup: lingering secrets, entries made by other tools). Returns the keyIds.
     */
    seedCredentials(objectId: string, seed: SeedCredentials): { keyCredentials: string[]; passwordCredentials: string[] } {
        const obj = this.mustGet(objectId);
        const now = this.clock.now();
        const date = (value: string | undefined, fallback: Date, field: string): Date => {
            if (value === undefined) {
                return fallback;
            }
            const d = new Date(value);
            if (Number.isNaN(d.getTime())) {
                throw new Error(`seedCredentials: ${field} is "${value}", not a date-time; pass an ISO 8601 string.`);
            }
            return d;
        };
        const keyIds: string[] = [];
        for (const k of seed.keyCredentials ?? []) {
            if (!(KEY_TYPES as readonly string[]).includes(k.type) || !(KEY_USAGES as readonly string[]).includes(k.usage)) {
                throw new Error(`seedCredentials: type/usage "${k.type}"/"${k.usage}" is not one Graph stores; use ${KEY_TYPES.join("|")} and Sign|Verify.`);
            }
            const bytes = decodeBase64Strict(k.key);
            if (bytes === null || bytes.length === 0) {
                throw new Error(`seedCredentials: key must be non-empty base64 of the key bytes.`);
            }
            const start = date(k.startDateTime, now, "startDateTime");
            const end = date(k.endDateTime, addYears(start, 1), "endDateTime");
            const keyId = (k.keyId ?? randomUUID()).toLowerCase();
            obj.keyCredentials.push({
                keyId, type: k.type, usage: k.usage, key: bytes, displayName: k.displayName ?? null, customKeyIdentifier: k.customKeyIdentifier ?? null,
                startDateTime: start, endDateTime: end,
                createdDateTime: date(k.createdDateTime, start < now ? start : now, "createdDateTime"), seq: this.nextSeq(),
            });
            keyIds.push(keyId);
        }
        const passwordIds: string[] = [];
        for (const p of seed.passwordCredentials ?? []) {
            const start = date(p.startDateTime, now, "startDateTime");
            const end = date(p.endDateTime, addYears(start, 2), "endDateTime");
            const secretText = p.secretText ?? generateSecretText();
            const keyId = (p.keyId ?? randomUUID()).toLowerCase();
            obj.passwordCredentials.push({
                keyId, displayName: p.displayName ?? null, secretText, hint: secretText.slice(0, 3), customKeyIdentifier: null,
                startDateTime: start, endDateTime: end,
                createdDateTime: date(p.createdDateTime, start < now ? start : now, "createdDateTime"), seq: this.nextSeq(),
            });
            passwordIds.push(keyId);
        }
        return { keyCredentials: keyIds, passwordCredentials: passwordIds };
    }

    /**
     * Seeds a deterministic population of `options.principals` service principals (see
     * emulator/population.ts): ordinary ones and add-ins in each state, created directly like
     * {@link seedCredentials} (no request log, no validation), fast enough for tens of thousands.
     * Returns what was made, with each add-in's state, so tests can assert exact classifications.
     */
    seedPopulation(options: PopulationOptions): PopulationManifest {
        const now = this.clock.now();
        const plan = planPopulation(options, now);
        const taken = new Set([...this.objects.values()].map((o) => o.appId.toLowerCase()));
        const addIns: SeededAddIn[] = [];
        let applications = 0;
        for (const p of plan.principals) {
            if (taken.has(p.appId)) {
                throw new Error(`seedPopulation: appId "${p.appId}" is already registered in the emulator; seed an empty tenant (reset) or pick another seed.`);
            }
            taken.add(p.appId);
            if (p.applicationId !== undefined) {
                applications += 1;
                this.insert({ set: "applications", id: p.applicationId, appId: p.appId, props: applicationProps(p.applicationId, p.appId, p.displayName, "contoso.onmicrosoft.com", now), keyCredentials: [], passwordCredentials: [] });
            }
            this.insert({
                set: "servicePrincipals", id: p.servicePrincipalId, appId: p.appId,
                props: servicePrincipalProps(p.servicePrincipalId, p.appId, p.displayName, p.servicePrincipalType, this.tenantId, now), keyCredentials: [], passwordCredentials: [],
            });
            const holderId = p.holder === "application" && p.applicationId !== undefined ? p.applicationId : p.servicePrincipalId;
            this.seedCredentials(holderId, p.credentials);
            if (p.state !== undefined) {
                addIns.push({ appId: p.appId, displayName: p.displayName, state: p.state, holder: p.holder, holderId, servicePrincipalId: p.servicePrincipalId, signingKeyId: p.signingKeyId });
            }
        }
        return { servicePrincipals: plan.principals.length, applications, addIns };
    }

    /**
     * The object that holds an add-in's credentials: the application with this client id when one
     * exists (app-backed principal, FACTS §2), else the Legacy service principal.
     */
    credentialHolder(appId: string): DirectoryObject | undefined {
        return this.find("applications", { appId }) ?? this.find("servicePrincipals", { appId });
    }

    /** Everything, with secrets, for the admin endpoint's state dump. */
    dump(): JsonValue {
        return [...this.objects.values()].map((o) => ({
            set: o.set, id: o.id, appId: o.appId,
            displayName: o.props.displayName ?? null,
            servicePrincipalType: o.set === "servicePrincipals" ? (o.props.servicePrincipalType ?? null) : null,
            credentials: JSON.parse(JSON.stringify(this.credentials(o.id), (k, v: unknown) => (k === "keyBytes" ? undefined : v))) as JsonValue,
        }));
    }

    /** Empties the directory. */
    reset(): void {
        this.objects.clear();
        this.lag.clear();
        this.seq = 0;
    }

    private mustGet(objectId: string): DirectoryObject {
        const obj = this.get(objectId);
        if (obj === undefined) {
            throw new Error(`No object with id "${objectId}" in the emulator; use the id returned by addLegacyServicePrincipal/addApplication.`);
        }
        return obj;
    }

    private assertAppIdFree(appId: string): void {
        if ([...this.objects.values()].some((o) => o.appId.toLowerCase() === appId.toLowerCase())) {
            throw new Error(`appId "${appId}" is already registered in the emulator; pick another or omit it.`);
        }
    }

    private insert(obj: DirectoryObject): void {
        this.objects.set(obj.id, obj);
        // A fresh object is invisible to the next N reads (Graph's replicas have not seen it).
        const reads = this.lagReads();
        if (reads > 0) {
            this.lag.set(obj.id, { remaining: reads, snapshot: null });
        }
    }
}
