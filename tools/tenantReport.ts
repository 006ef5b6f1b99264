// The pure part of the tenant-wide report (`npm run inventory -- --all`) and of its onboarding
// step (`--emit-config`): which principals are add-ins, the credential-holding object of each
// (matched in memory, no per-principal read), their classification (tools/inventoryReport.ts,
// the same as for one add-in), urgency order, the table, and the stack entries that adopt an
// add-in as it is today. No I/O: tools/tenantScan.ts reads Graph, tools/inventory.ts prints.
import * as yaml from "js-yaml";
import type { InventoryEntry } from "../components/classify";
import type { KeyCredentialView, ObjectCredentials, PasswordCredentialView } from "../components/graph/credentials";
import type { TargetKind } from "../components/graph/target";
import { formatTable, Inspection, inspectCredentials, managingSets, nextExpiry, signingKey } from "./inventoryReport";
import { MAX_NAME_LENGTH } from "../program/config";

/** An application as the scan reads it (`$select` of exactly these). */
export interface ApplicationView {
    readonly id: string;
    readonly appId: string;
    readonly displayName?: string | null;
    readonly keyCredentials?: readonly KeyCredentialView[] | null;
    readonly passwordCredentials?: readonly PasswordCredentialView[] | null;
}

/** A service principal as the scan reads it: the same fields and its type ("Legacy" for ACS principals). */
export interface ServicePrincipalView extends ApplicationView {
    readonly servicePrincipalType?: string | null;
}

/** A principal whose credential-holding object has at least one Symmetric key: an add-in. */
export interface AddInPrincipal {
    readonly clientId: string;
    readonly displayName: string;
    readonly servicePrincipalId: string;
    /** Where the credentials live (components/graph/target.ts): the Legacy principal, or the application behind it. */
    readonly target: { readonly kind: TargetKind; readonly objectId: string };
    readonly credentials: ObjectCredentials;
}

/** What {@link findAddIns} found. */
export interface AddInDiscovery {
    readonly addIns: AddInPrincipal[];
    /** Applications with Symmetric keys but no service principal in this tenant: nothing can sign in with them here. */
    readonly applicationsWithoutPrincipal: { readonly appId: string; readonly displayName: string; readonly objectId: string }[];
}

/**
 * The add-ins among the principals: Legacy service principals hold their own credentials; any
 * other principal's are on the application with its appId (components/graph/target.ts). A principal counts
 * when that object holds a Symmetric key.
 */
export function findAddIns(servicePrincipals: readonly ServicePrincipalView[], applications: readonly ApplicationView[]): AddInDiscovery {
    const byAppId = new Map(applications.map((a) => [a.appId.toLowerCase(), a]));
    const withPrincipal = new Set<string>();
    const addIns: AddInPrincipal[] = [];
    for (const sp of servicePrincipals) {
        const app = sp.servicePrincipalType === "Legacy" ? undefined : byAppId.get(sp.appId.toLowerCase());
        if (app !== undefined) {
            withPrincipal.add(app.id);
        }
        const holder = sp.servicePrincipalType === "Legacy" ? sp : app;
        if (holder === undefined || !(holder.keyCredentials ?? []).some((k) => k.type === "Symmetric")) {
            continue;
        }
        addIns.push({
            clientId: sp.appId,
            displayName: sp.displayName ?? holder.displayName ?? "",
            servicePrincipalId: sp.id,
            target: { kind: holder === sp ? "servicePrincipal" : "application", objectId: holder.id },
            credentials: { keyCredentials: holder.keyCredentials ?? [], passwordCredentials: holder.passwordCredentials ?? [] },
        });
    }
    const applicationsWithoutPrincipal = applications
        .filter((a) => !withPrincipal.has(a.id) && (a.keyCredentials ?? []).some((k) => k.type === "Symmetric"))
        .map((a) => ({ appId: a.appId, displayName: a.displayName ?? "", objectId: a.id }));
    return { addIns, applicationsWithoutPrincipal };
}

/** How urgent an add-in is, most urgent first. */
export const ADD_IN_STATES = ["down", "at-risk", "expiring", "ok"] as const;
/** One of {@link ADD_IN_STATES}: down now, at risk of breaking, its secret due within --warn-days, or nothing to act on. */
export type AddInState = (typeof ADD_IN_STATES)[number];

/** One line of the report. Holds no secret. */
export interface AddInReport {
    readonly clientId: string;
    readonly displayName: string;
    /** The stack name --emit-config would give it (the managing set's name when managed). */
    readonly name: string;
    readonly servicePrincipalId: string;
    readonly target: { readonly kind: TargetKind; readonly objectId: string };
    readonly state: AddInState;
    /** The Symmetric Sign key SharePoint signs with now (the oldest valid one), and until when. */
    readonly signingKey: { readonly keyId: string; readonly endDateTime: string } | null;
    /** The earliest future end among its valid Symmetric keys and passwords. */
    readonly nextExpiry: string | null;
    /** Sets of this project with a generation on it; empty: not managed. */
    readonly managedBy: string[];
    readonly problems: string[];
    readonly entries: InventoryEntry[];
}

/** Classifies every add-in, names it, and sorts by urgency (state, then the date that matters soonest, then name). */
export function reportAddIns(addIns: readonly AddInPrincipal[], now: Date, options: { readonly setName?: string; readonly warnDays: number }): AddInReport[] {
    const inspected = addIns.map((a) => ({ a, inspection: inspectCredentials(a.credentials, now, options) }));
    const names = assignNames(inspected.map(({ a, inspection }) => ({ clientId: a.clientId, displayName: a.displayName, managedBy: managingSets(inspection.entries) })));
    const reports = inspected.map(({ a, inspection }): AddInReport => {
        const signing = signingKey(inspection.entries, now);
        return {
            clientId: a.clientId,
            displayName: a.displayName,
            name: names.get(a.clientId) ?? "",
            servicePrincipalId: a.servicePrincipalId,
            target: a.target,
            state: stateOf(inspection),
            signingKey: signing === undefined ? null : { keyId: signing.keyId, endDateTime: signing.endDateTime },
            nextExpiry: nextExpiry(inspection.entries, now) ?? null,
            managedBy: managingSets(inspection.entries),
            problems: inspection.problems,
            entries: inspection.entries,
        };
    });
    return reports.sort(
        (x, y) => ADD_IN_STATES.indexOf(x.state) - ADD_IN_STATES.indexOf(y.state)
            || Date.parse(deadline(x)) - Date.parse(deadline(y))
            || x.displayName.localeCompare(y.displayName)
            || x.clientId.localeCompare(y.clientId),
    );
}

function stateOf(i: Inspection): AddInState {
    return i.down ? "down" : i.risky ? "at-risk" : i.expiresInDays !== undefined ? "expiring" : "ok";
}

/** The date an add-in is ordered by within its state: the end of its signing key, else (down) of its last Sign key. */
function deadline(r: AddInReport): string {
    const lastSign = r.entries.filter((e) => e.type === "Symmetric" && e.usage === "Sign").map((e) => e.endDateTime).sort().pop();
    return r.signingKey?.endDateTime ?? lastSign ?? "";
}

/** Exit code of the report: 1 when any add-in needs attention. */
export function reportExitCode(reports: readonly AddInReport[]): 0 | 1 {
    return reports.some((r) => r.state !== "ok") ? 1 : 0;
}

/** Add-ins per state. */
export function countByState(reports: readonly AddInReport[]): Record<AddInState, number> {
    const counts = { down: 0, "at-risk": 0, expiring: 0, ok: 0 };
    for (const r of reports) {
        counts[r.state] += 1;
    }
    return counts;
}

/** The report as a table for people, most urgent first. */
export function formatTenantTable(reports: readonly AddInReport[]): string {
    const header = ["state", "name", "client id", "display name", "holder", "signs with", "until", "next expiry", "managed by", "attention"];
    const rows = reports.map((r) => [
        r.state,
        r.name,
        r.clientId,
        r.displayName || "-",
        r.target.kind === "servicePrincipal" ? "Legacy SP" : "application",
        r.signingKey?.keyId ?? "-",
        r.signingKey?.endDateTime.slice(0, 10) ?? "-",
        r.nextExpiry?.slice(0, 10) ?? "-",
        r.managedBy.join(",") || "-",
        r.problems.join(" | "),
    ]);
    return formatTable(header, rows);
}

// ---- names -------------------------------------------------------------------------------------


/** A stack name from a display name: lower-case letters, digits and dashes, 1-40, starting with a letter. */
export function nameFromDisplayName(displayName: string): string {
    // NFKD splits accented letters into letter + combining mark; the marks are dropped, not turned into dashes.
    let name = displayName.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    if (!/^[a-z]/.test(name)) {
        name = name === "" ? "addin" : `addin-${name}`;
    }
    return trimName(name, MAX_NAME_LENGTH);
}

function trimName(name: string, length: number): string {
    return name.slice(0, length).replace(/-+$/, "");
}

/**
 * Gives every add-in a unique name: its managing set's, else one derived from its display name,
 * with `-2`, `-3`, … for repeats. Set names are reserved first; the others are handed out in
 * order of display name then client id, so a principal keeps its name whatever is selected.
 */
export function assignNames(addIns: readonly { clientId: string; displayName: string; managedBy: readonly string[] }[]): Map<string, string> {
    const names = new Map<string, string>();
    const taken = new Set<string>();
    for (const a of addIns) {
        if (a.managedBy.length > 0) {
            names.set(a.clientId, a.managedBy[0]);
            taken.add(a.managedBy[0]);
        }
    }
    const rest = addIns.filter((a) => a.managedBy.length === 0).sort((x, y) => x.displayName.localeCompare(y.displayName) || x.clientId.localeCompare(y.clientId));
    for (const a of rest) {
        const base = nameFromDisplayName(a.displayName);
        let name = base;
        for (let n = 2; taken.has(name); n++) {
            const suffix = `-${n}`;
            name = `${trimName(base, MAX_NAME_LENGTH - suffix.length)}${suffix}`;
        }
        taken.add(name);
        names.set(a.clientId, name);
    }
    return names;
}

// ---- --emit-config -------------------------------------------------------------------------------

/** The adoption fields of one add-in's entry in `addin-credentials:addins`. */
export interface StackEntry {
    readonly name: string;
    readonly clientId: string;
    readonly firstGenerationStart: string;
    readonly adoptedKeyIds?: string[];
    readonly adoptedSecretEndDateTime?: string;
}

/** One add-in's part of the --emit-config output. */
export interface EmittedAddIn {
    readonly clientId: string;
    readonly displayName: string;
    readonly state: AddInState;
    readonly entry: StackEntry;
    /** The command that stores the secret the remote web uses today; null when there is nothing to adopt. */
    readonly secretCommand: string | null;
    /** What the operator must know before deploying it, in words (also the YAML comments). */
    readonly notes: string[];
    /** True when an older valid Sign key makes the adoption unsafe to assume. */
    readonly risky: boolean;
}

/** The --emit-config result. */
export interface EmittedConfig {
    readonly addIns: EmittedAddIn[];
    /** Selected add-ins already managed by a set of this project: their entries exist in some stack. */
    readonly skipped: { readonly clientId: string; readonly displayName: string; readonly reason: string }[];
}

/**
 * Finds the add-ins `selectors` name (client ids, stack names or display names, case-insensitive),
 * in the order given. Throws naming a selector that matches nothing or more than one add-in.
 */
export function selectAddIns(reports: readonly AddInReport[], selectors: readonly string[]): AddInReport[] {
    const chosen: AddInReport[] = [];
    for (const selector of selectors) {
        const s = selector.trim().toLowerCase();
        const byId = reports.filter((r) => r.clientId.toLowerCase() === s || r.name === s);
        const matches = byId.length > 0 ? byId : reports.filter((r) => r.displayName.toLowerCase() === s);
        if (matches.length === 0) {
            throw new Error(
                `--emit-config: "${selector}" is no add-in of this tenant (a client id, a name or a display name from npm run inventory -- --all; ` +
                    "only principals holding Symmetric keys are add-ins).",
            );
        }
        if (matches.length > 1) {
            throw new Error(`--emit-config: "${selector}" is the display name of ${matches.length} add-ins (${matches.map((m) => `${m.name} ${m.clientId}`).join(", ")}); give the client id or name.`);
        }
        if (!chosen.includes(matches[0])) {
            chosen.push(matches[0]);
        }
    }
    return chosen;
}

/** How long SharePoint may take to accept a new key (up to 24 h; the component's propagationHours default). */
const PROPAGATION_HOURS = 24;

/** The placeholder of the secret in the printed command (the operator replaces it). */
export const SECRET_PLACEHOLDER = "<ClientSecret from the remote web's web.config>";

/**
 * The stack entries that bring the chosen add-ins under management as they are today: the
 * first generation starts `today`, and the secret the remote web uses now is adopted: the Sign
 * key SharePoint signs with, plus the Verify key and the Password with exactly its start and
 * end. A down add-in has nothing to adopt; an add-in with another valid Sign key is marked risky
 * (which secret the remote web holds decides whether the adoption is right).
 */
export function emitConfig(chosen: readonly AddInReport[], now: Date): EmittedConfig {
    const today = now.toISOString().slice(0, 10);
    const addIns: EmittedAddIn[] = [];
    const skipped: EmittedConfig["skipped"][number][] = [];
    for (const r of chosen) {
        if (r.managedBy.length > 0) {
            skipped.push({
                clientId: r.clientId, displayName: r.displayName,
                reason: `already managed by set ${r.managedBy.map((s) => `"${s}"`).join(", ")}: its entry is in the stack that manages it; a second entry would make a second set on the same object.`,
            });
            continue;
        }
        const notes: string[] = [];
        const signing = r.signingKey === null ? undefined : r.entries.find((e) => e.keyId === r.signingKey?.keyId);
        let entry: StackEntry = { name: r.name, clientId: r.clientId, firstGenerationStart: today };
        if (signing === undefined) {
            notes.push(
                "down now: no valid Symmetric Sign key, so there is no secret to adopt. The first pulumi up adds generation 0; " +
                    "deliver its ClientSecret to the remote web; SharePoint signs with it once it has propagated (up to 24 h).",
            );
        } else {
            const sameSpan = (e: InventoryEntry): boolean => Date.parse(e.startDateTime) === Date.parse(signing.startDateTime) && Date.parse(e.endDateTime) === Date.parse(signing.endDateTime);
            const verify = r.entries.filter((e) => e.type === "Symmetric" && e.usage === "Verify" && sameSpan(e));
            const password = r.entries.filter((e) => e.kind === "password" && sameSpan(e));
            entry = { ...entry, adoptedKeyIds: [signing, ...verify, ...password].map((e) => e.keyId), adoptedSecretEndDateTime: signing.endDateTime };
            notes.push(
                `adopts the secret SharePoint signs with today: Sign key ${signing.keyId}` +
                    `${verify.length > 0 ? `, Verify key ${verify.map((e) => e.keyId).join(", ")}` : ", no Verify key with its dates"}` +
                    `${password.length > 0 ? `, password ${password.map((e) => e.keyId).join(", ")}` : ", no password with its dates"}; it ends ${signing.endDateTime}.`,
            );
        }
        const t = now.getTime();
        const otherValidSign = r.entries.filter(
            (e) => e.type === "Symmetric" && e.usage === "Sign" && e.keyId !== signing?.keyId && Date.parse(e.endDateTime) > t,
        );
        const risky = r.state === "at-risk" || otherValidSign.length > 0;
        if (risky && signing !== undefined) {
            notes.push(
                `NOT SAFE TO ASSUME: besides the adopted key there ${otherValidSign.length === 1 ? "is another valid Sign key" : `are ${otherValidSign.length} other valid Sign keys`} ` +
                    `(${otherValidSign.map((e) => `${e.keyId}, ${e.startDateTime.slice(0, 10)} to ${e.endDateTime.slice(0, 10)}`).join("; ")}). ` +
                    `SharePoint signs with the oldest valid key, ${signing.keyId}, until ${signing.endDateTime.slice(0, 10)}: adopt it only if web.config's ClientSecret ` +
                    "(or SecondaryClientSecret) is that key's secret. If the remote web holds a newer secret, the add-in is failing now; if it does not hold the others, " +
                    "SharePoint moves to them when the adopted key expires and the add-in fails then, unless their keyIds are in removeKeyIds or cleanup is \"unmanaged\".",
            );
        }
        if (signing !== undefined) {
            const hours = (Date.parse(signing.endDateTime) - t) / 3_600_000;
            if (hours < PROPAGATION_HOURS) {
                notes.push(
                    `the adopted secret ends in ${Math.floor(hours)} h, sooner than the up to ${PROPAGATION_HOURS} h SharePoint may take to accept a new key: ` +
                        "run pulumi up now; the add-in can fail from its end until the new generation has propagated.",
                );
            } else if (r.state === "expiring") {
                notes.push(`the adopted secret ends on ${signing.endDateTime.slice(0, 10)}: run the first pulumi up now, so that the new generation has propagated by then.`);
            }
        }
        addIns.push({
            clientId: r.clientId,
            displayName: r.displayName,
            state: r.state,
            entry,
            secretCommand: signing === undefined ? null : `pulumi config set --secret --path 'adoptedClientSecrets.${r.name}' '${SECRET_PLACEHOLDER}'`,
            notes,
            risky,
        });
    }
    return { addIns, skipped };
}

/** Indentation of list items under `addin-credentials:addins:` in stacks/Pulumi.<stack>.yaml. */
const ITEM_INDENT = "    ";

/**
 * The --emit-config output as YAML to paste under `config:` → `addin-credentials:addins:` of a
 * stack file (items indented as in stacks/Pulumi.dev.yaml), each entry led by comments that say
 * what it adopts and what to watch, and ending with the commands the operator must still run.
 */
export function formatEmittedYaml(config: EmittedConfig): string {
    const lines: string[] = [
        "# Paste under `config:` -> `addin-credentials:addins:` of stacks/Pulumi.<stack>.yaml (generated by npm run inventory -- --emit-config).",
    ];
    for (const a of config.addIns) {
        lines.push(`${ITEM_INDENT}# ${a.displayName || "(no display name)"} (client id ${a.clientId}): ${a.state}`);
        for (const note of a.notes) {
            lines.push(...wrap(note, 96).map((l) => `${ITEM_INDENT}#   ${l}`));
        }
        const item = yaml.dump([a.entry], { indent: 2, lineWidth: -1, noRefs: true }).trimEnd();
        lines.push(...item.split("\n").map((l) => `${ITEM_INDENT}${l}`));
    }
    for (const s of config.skipped) {
        lines.push(`${ITEM_INDENT}# skipped ${s.displayName || "(no display name)"} (client id ${s.clientId}): ${s.reason}`);
    }
    const commands = config.addIns.filter((a) => a.secretCommand !== null);
    if (commands.length > 0) {
        lines.push(
            "# Still to provide: the secret each adopted add-in's remote web uses today, as a secret config value",
            "# (replace the placeholder with the ClientSecret value; add --stack <stack> unless it is selected):",
            ...commands.map((a) => `#   ${a.secretCommand}`),
        );
    }
    lines.push("# Then: pulumi preview, and pulumi up.");
    return `${lines.join("\n")}\n`;
}

/** Splits text into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
    const out: string[] = [];
    let line = "";
    for (const word of text.split(" ")) {
        if (line !== "" && line.length + 1 + word.length > width) {
            out.push(line);
            line = word;
        } else {
            line = line === "" ? word : `${line} ${word}`;
        }
    }
    if (line !== "") {
        out.push(line);
    }
    return out;
}
