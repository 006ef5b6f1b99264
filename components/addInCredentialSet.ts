import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RefusalError } from "./refusal";
import { CLEANUP_MODES, CleanupMode, InventoryEntry, MANAGED_DISPLAY_NAME_PREFIX } from "./classify";
import { CredentialGeneration, CredentialValueSource } from "./credentialGeneration";
import { CredentialInventory, describeRemoval, inspectInventory, InventoryInspection, RemovedCredential } from "./credentialInventory";
import { isGuid } from "./graph/target";
import { INSTANT_EXAMPLES, parseInstant } from "./instant";
import { formatValue } from "./limits";
import { DEFAULTS, GenerationPlan, ManualRotation as PlannedManualRotation, PlanError, PlanErrorName, RotationPlan, RotationPlanInput, SecretSource, planRotation, validatePlanInput } from "./planner";
import { RANDOM_KEY_BYTES } from "./secrets";

/** Where the shared secret value comes from (the generation's {@link CredentialValueSource}). */
export type ValueSource = CredentialValueSource;

/**
 * An emergency rotation, kept in config as history so the plan stays deterministic: the planner's
 * {@link PlannedManualRotation}, with `revokePrevious` optional (default false).
 */
export type ManualRotation = Omit<PlannedManualRotation, "revokePrevious"> & { readonly revokePrevious?: boolean };

/**
 * Arguments of {@link AddInCredentialSet}. Planning arguments are plain values, not Inputs: they
 * decide which resources exist, which must be known while the program runs (also in preview).
 */
export interface AddInCredentialSetArgs {
    /** The add-in's client id (the app id of its service principal), a GUID. */
    readonly clientId: string;
    /**
     * How the shared secret is made: 32 random bytes (the classic procedure), or Entra's generated
     * password (Microsoft's current procedure).
     * @default "random-bytes"
     */
    readonly valueSource?: ValueSource;
    /**
     * When the first managed generation starts (ISO 8601). Later generations follow from it on a
     * fixed schedule; set it to the date of the first deployment and never change it.
     */
    readonly firstGenerationStart: string;
    /** Lifetime of each generation, in days. @default 1095 (three years) */
    readonly lifetimeDays?: number;
    /** A new generation is in place at least this many days before the current one expires. @default 30 */
    readonly rotateBeforeExpiryDays?: number;
    /** An expired generation is removed only this many days after its end. @default 7 */
    readonly gracePeriodDays?: number;
    /** How long SharePoint takes to accept a new key, in hours. @default 24 */
    readonly propagationHours?: number;
    /** Emergency rotations, oldest first. @default [] */
    readonly manualRotations?: readonly ManualRotation[];
    /**
     * The secret the remote web uses today, when it is not managed by this component yet. It is
     * delivered as SecondaryClientSecret until `adoptedSecretEndDateTime`.
     * @default - none; preview warns if an unmanaged valid Sign key would break the add-in
     */
    readonly adoptedClientSecret?: pulumi.Input<string>;
    /** When the adopted secret expires (ISO 8601). Required with `adoptedClientSecret`. @default - none */
    readonly adoptedSecretEndDateTime?: string;
    /**
     * keyIds of the adopted secret's entries on the object (its Symmetric Sign key at least), as
     * `npm run inventory` prints them: how the inventory tells the adopted secret from any other.
     * Required with `adoptedClientSecret`.
     * @default - none
     */
    readonly adoptedKeyIds?: readonly string[];
    /**
     * Plan as if it were this instant (ISO 8601): for rehearsals in the sandbox and tests, or to
     * preview what a future run will do.
     * @default - the current time
     */
    readonly planningTime?: string;
    /**
     * Which entries on the object that are not this set's generations are removed, after the new
     * generations exist: "expired" (unmanaged entries expired longer ago than `gracePeriodDays`),
     * "none" (report only), or "unmanaged" (also valid ones; refused when the object has no valid
     * managed generation or the adopted secret is among them, unless `forceCleanup`).
     * @default "expired"
     */
    readonly cleanup?: CleanupMode;
    /** keyIds to remove as well (never a declared generation's: use `manualRotations`). @default [] */
    readonly removeKeyIds?: readonly string[];
    /** Let `cleanup` and `removeKeyIds` remove what the safety checks refuse. @default false */
    readonly forceCleanup?: boolean;
    /**
     * Go on although SharePoint signs with a key the remote web would not hold after this run
     * (an add-in onboarded without adopting its current secret, an older valid key nobody
     * delivers): the add-in then fails until that key expires or is removed. Without it, such a
     * run is refused, in the preview, with the fix.
     * @default false
     */
    readonly acceptOutage?: boolean;
    /**
     * Take the add-in out of service: no generation is declared or delivered, and the inventory
     * removes every entry of this set from the object. (Removing an add-in from the stack without
     * this keeps its credentials: the engine's deletes retain them.)
     * @default false
     */
    readonly decommission?: boolean;
}

/** What the inventory of the set's object reports (no secrets). */
export interface InventoryReport {
    /** Every key and password entry on the object, classified. */
    readonly entries: InventoryEntry[];
    /** What this run removed, with the reason. */
    readonly removed: RemovedCredential[];
    /** What the cleanup policy would remove now (a preview after refresh shows it; `up` does it). */
    readonly pending: RemovedCredential[];
    /** One line per entry that will break the add-in. */
    readonly risks: string[];
}

/** What one declared generation holds, as the component reports it. */
export interface GenerationInfo {
    /** "a" or "b": the slot resource (`<name>-slot-a` / `-slot-b`) holding it. */
    readonly slot: SlotName;
    /** Position in the sequence of generations, 0 for the first. */
    readonly index: number;
    /** The display name marking its three entries on the Entra object. */
    readonly displayName: string;
    readonly startDateTime: string;
    readonly endDateTime: string;
    readonly signKeyId: string;
    readonly verifyKeyId: string;
    readonly passwordKeyId: string;
}

/** A removal is this run's when it happened within this long of the run's start (clock skew, long runs). */
const REMOVAL_LOG_WINDOW_MS = 3_600_000;

/** The two generation slots, named so that their resource names never depend on array position. */
export type SlotName = "a" | "b";
const SLOT_NAMES: readonly [SlotName, SlotName] = ["a", "b"];

/**
 * An add-in's credential set on Microsoft Entra ID, rotated without an outage.
 *
 * Two generation slots hold at most two generations (six entries). The pure planner
 * (components/planner.ts) decides from dates and the clock which generation each slot holds; a
 * rotation changes a slot's inputs, so Pulumi replaces that slot (create the new generation,
 * then delete the old one). The schedule guarantees the old one has then been expired for the
 * grace period, so the replacement never removes a key SharePoint may still sign with.
 */
export class AddInCredentialSet extends pulumi.ComponentResource {
    /** The add-in's client id: the web app's `ClientId`. */
    readonly clientId: pulumi.Output<string>;
    /** The web app's `ClientSecret` (secret); undefined before the first generation starts. */
    readonly clientSecret: pulumi.Output<string | undefined>;
    /** The web app's `SecondaryClientSecret` (secret), or undefined when there is none to hold. */
    readonly secondaryClientSecret: pulumi.Output<string | undefined>;
    /** The declared generations, oldest first. */
    readonly generations: pulumi.Output<GenerationInfo[]>;
    /** When the current generation expires (ISO 8601). */
    readonly currentExpiry: pulumi.Output<string | undefined>;
    /** Whole days until the current generation expires. */
    readonly daysLeft: pulumi.Output<number | undefined>;
    /** When the next planned change falls due (ISO 8601). */
    readonly nextActionDate: pulumi.Output<string>;
    /** What the next planned change is, in one sentence. */
    readonly nextAction: pulumi.Output<string>;
    /** The inventory of the object's credentials: classification, removals, pending removals, risks. */
    readonly inventory: pulumi.Output<InventoryReport>;
    /** The plan this run follows (plain data, for tests, the sandbox and status reports). */
    readonly plan: RotationPlan;

    constructor(name: string, args: AddInCredentialSetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("addin-credentials:index:AddInCredentialSet", name, {}, opts);
        validateAddInCredentialSetArgs(args);

        // One instant for the plan and the inventory's removal log: read twice, the clock would move between them.
        const runAt = planningInstant(args.planningTime);
        this.plan = planRotation(plannerInput(args), runAt);
        const valueSource = args.valueSource ?? "random-bytes";
        const decommission = args.decommission ?? false;
        const slots = this.plan.slots.map((generation, i) =>
            generation && !decommission ? this.createSlot(name, SLOT_NAMES[i], generation, args.clientId, valueSource) : undefined,
        );
        if (decommission) {
            void pulumi.log.warn(`${name}: decommission is set: no generation is declared or delivered, and the inventory removes every entry of this set.`, this);
        }
        for (const warning of this.plan.warnings) {
            void pulumi.log.warn(`${name}: ${warning}`, this);
        }
        void pulumi.log.info(`${name}: next: ${this.plan.nextAction.reason}`, this);

        const secretFrom = (source: SecretSource): pulumi.Output<string | undefined> => {
            if (decommission) {
                return pulumi.output(undefined);
            }
            const generation = generationFor(this.plan, source);
            if (generation) {
                const slot = slots[generation.slot];
                return slot ? slot.resource.deliveredSecret : pulumi.output(undefined);
            }
            return source === "adopted" ? pulumi.output(args.adoptedClientSecret) : pulumi.output(undefined);
        };
        this.clientId = pulumi.output(args.clientId);
        const declared = slots
            .filter((s): s is DeclaredSlot => s !== undefined)
            .sort((x, y) => x.generation.index - y.generation.index);
        const inventory = this.createInventory(name, args, declared, runAt);
        this.inventory = inventory.report;
        // The secrets are handed out only once the inventory has accepted the object: a refused
        // run (SharePoint would sign with a key the remote web does not get) delivers nothing.
        const accepted = (secret: pulumi.Output<string | undefined>): pulumi.Output<string | undefined> =>
            pulumi.all([inventory.id, secret]).apply(([, value]) => value);
        this.clientSecret = pulumi.secret(accepted(secretFrom(this.plan.primarySource)));
        this.secondaryClientSecret = pulumi.secret(accepted(secretFrom(this.plan.secondarySource)));
        this.generations = pulumi.all(declared.map((s) => describeSlot(s)));
        this.currentExpiry = pulumi.output(this.plan.current?.endDateTime);
        this.daysLeft = pulumi.output(this.plan.daysLeft);
        this.nextActionDate = pulumi.output(this.plan.nextAction.at);
        this.nextAction = pulumi.output(this.plan.nextAction.reason);

        this.registerOutputs({
            clientId: this.clientId,
            clientSecret: this.clientSecret,
            secondaryClientSecret: this.secondaryClientSecret,
            generations: this.generations,
            currentExpiry: this.currentExpiry,
            daysLeft: this.daysLeft,
            nextActionDate: this.nextActionDate,
            nextAction: this.nextAction,
            inventory: this.inventory,
        });
    }

    /**
     * The inventory and cleanup of the object, after the declared generations exist (dependsOn),
     * so cleanup never runs before a new generation is in place. Logs each risk as a warning and
     * each removal (done, or pending in a preview) as info.
     */
    private createInventory(
        name: string,
        args: AddInCredentialSetArgs,
        declared: readonly DeclaredSlot[],
        runAt: Date,
    ): { report: pulumi.Output<InventoryReport>; id: pulumi.Output<string> } {
        const policy = {
            clientId: args.clientId.toLowerCase(),
            setName: name,
            retiredGenerations: this.plan.retired.map((g) => ({ displayName: generationDisplayName(name, g), reason: g.reason })),
            cleanup: args.cleanup ?? "expired",
            removeKeyIds: [...(args.removeKeyIds ?? [])],
            forceCleanup: args.forceCleanup ?? false,
            gracePeriodDays: args.gracePeriodDays ?? DEFAULTS.gracePeriodDays,
            adoptedKeyIds: [...(args.adoptedKeyIds ?? [])],
            adoptedSecretEndDateTime: args.adoptedSecretEndDateTime,
            acceptOutage: args.acceptOutage ?? false,
            decommission: args.decommission ?? false,
        };
        // A preview cannot show the inventory's outputs when it has work to do (they are unknown
        // until the update), so the program reads the object itself and tells what will happen.
        const preview = pulumi.runtime.isDryRun()
            ? pulumi.output(inspectInventory({ ...policy, declaredDisplayNames: declared.map((s) => s.displayName), declared: declared.map((s) => ({ displayName: s.displayName, ...s.generation })) }))
            : undefined;
        // A refusal fails the preview, as it will fail the update: the inventory's inputs wait for it.
        const verdict = preview?.apply((inspection) => {
            this.logInspection(name, inspection);
            if (inspection.refusals.length > 0) {
                throw new RefusalError(`${name}: the inventory's cleanup would be refused, so the update would fail. ${inspection.refusals.join(" ")}`);
            }
            return true;
        }) ?? pulumi.output(true);
        // The inventory takes nothing from the generations' outputs (dependsOn orders it after
        // them): an output-only property is unknown in a preview that updates its resource, and an
        // input made from it would show an update the update then does not make.
        const displayNames = declared.map((s) => s.displayName);
        const inventory = new CredentialInventory(`${name}-inventory`, {
            ...policy,
            declaredDisplayNames: verdict.apply(() => displayNames),
        }, { parent: this, dependsOn: declared.map((s) => s.resource) });
        const report = pulumi.all([inventory.entries, inventory.removed, inventory.pending, inventory.risks]).apply(([entries, removed, pending, risks]) => {
            const report: InventoryReport = { entries: entries ?? [], removed: removed ?? [], pending: pending ?? [], risks: risks ?? [] };
            if (pulumi.runtime.isDryRun()) {
                return report; // the preview's inspection has said it
            }
            for (const risk of report.risks) {
                void pulumi.log.warn(`${name}: ${risk}`, this);
            }
            // `removed` stays in state until the next cleanup: log only what this run removed.
            for (const r of report.removed.filter((x) => Math.abs(Date.parse(x.removedAt ?? "") - runAt.getTime()) <= REMOVAL_LOG_WINDOW_MS)) {
                void pulumi.log.info(`${name}: removed ${describeRemoval(r)}`, this);
            }
            return report;
        });
        return { report, id: inventory.id };
    }

    /** What a preview says of the inventory: each risk and each removal the update will make. */
    private logInspection(name: string, inspection: InventoryInspection): void {
        for (const risk of inspection.risks) {
            void pulumi.log.warn(`${name}: ${risk}`, this);
        }
        for (const r of inspection.removals) {
            void pulumi.log.info(`${name}: this update removes ${describeRemoval(r)}`, this);
        }
        for (const note of inspection.notes) {
            void pulumi.log.warn(`${name}: ${note}`, this);
        }
        for (const d of inspection.duplicates) {
            void pulumi.log.info(`${name}: ${d}`, this);
        }
    }

    /** One slot: the random key bytes (random-bytes only) and the generation written to Entra. */
    private createSlot(name: string, slot: SlotName, generation: GenerationPlan, clientId: string, valueSource: ValueSource): DeclaredSlot {
        const displayName = generationDisplayName(name, generation);
        // keepers tie the bytes to the generation: a new generation gets new bytes (RandomBytes
        // keeps its value otherwise, docs/FACTS.md §5).
        const bytes = valueSource === "random-bytes"
            ? new random.RandomBytes(`${name}-slot-${slot}-bytes`, { length: RANDOM_KEY_BYTES, keepers: { displayName } }, { parent: this })
            : undefined;
        // retainOnDelete: the engine's delete of a replaced or undeclared slot leaves the entries on
        // the object; the set's inventory removes a generation once the plan retires it (after
        // the generations that follow it exist), and an add-in taken out of the stack keeps its
        // credentials.
        const resource = new CredentialGeneration(`${name}-slot-${slot}`, {
            clientId,
            valueSource,
            keyMaterial: bytes?.base64,
            startDateTime: generation.startDateTime,
            endDateTime: generation.endDateTime,
            displayName,
        }, { parent: this, retainOnDelete: true });
        return { slot, generation, displayName, resource };
    }
}

interface DeclaredSlot {
    readonly slot: SlotName;
    readonly generation: GenerationPlan;
    readonly displayName: string;
    readonly resource: CredentialGeneration;
}

function describeSlot(s: DeclaredSlot): pulumi.Output<GenerationInfo> {
    return pulumi.all([s.resource.signKeyId, s.resource.verifyKeyId, s.resource.passwordKeyId]).apply(
        ([signKeyId, verifyKeyId, passwordKeyId]): GenerationInfo => ({
            slot: s.slot,
            index: s.generation.index,
            displayName: s.displayName,
            startDateTime: s.generation.startDateTime,
            endDateTime: s.generation.endDateTime,
            signKeyId,
            verifyKeyId,
            passwordKeyId,
        }),
    );
}

function generationFor(plan: RotationPlan, source: SecretSource): GenerationPlan | undefined {
    switch (source) {
        case "current-generation":
            return plan.current;
        case "previous-generation":
            return plan.previous;
        default:
            return undefined;
    }
}

/** The prefix every managed entry's display name starts with (defined in classify.ts, which inventory and cleanup share). */
export { MANAGED_DISPLAY_NAME_PREFIX };

/**
 * The display name of a generation's three entries: the set's name, the generation's index and
 * its start date, so it is unique per generation on the object and readable in the Entra portal.
 */
export function generationDisplayName(setName: string, generation: Pick<GenerationPlan, "index" | "startDateTime">): string {
    return `${MANAGED_DISPLAY_NAME_PREFIX}/${setName}/gen-${generation.index}/${generation.startDateTime.slice(0, 10)}`;
}

/**
 * What is wrong with the arguments, as `{property, reason}`: every problem of its own checks, or,
 * when there is none, the planner's refusal (validatePlanInput; `property` is the PlanError's
 * input). Each reason names the argument, the value (never a secret) and the fix. The constructor
 * throws for the first; the stack config parser calls it to refuse a configuration in the parser.
 */
export function addInCredentialSetArgsFailures(args: AddInCredentialSetArgs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const fail = (property: string, reason: string): void => void failures.push({ property, reason });
    if (typeof args.clientId !== "string" || !isGuid(args.clientId)) {
        fail("clientId", `clientId must be the add-in's client id, a GUID like 00000000-0000-0000-0000-000000000000; got ${formatValue(args.clientId)}.`);
    }
    if (args.valueSource !== undefined && args.valueSource !== "random-bytes" && args.valueSource !== "entra-password") {
        fail("valueSource", `valueSource must be "random-bytes" or "entra-password"; got ${formatValue(args.valueSource)}.`);
    }
    const adoptedKeyIds = args.adoptedKeyIds;
    const badAdoptedKeyIds = adoptedKeyIds !== undefined &&
        (!Array.isArray(adoptedKeyIds) || adoptedKeyIds.length === 0 || adoptedKeyIds.some((id) => typeof id !== "string" || !isGuid(id)));
    if (badAdoptedKeyIds) {
        fail(
            "adoptedKeyIds",
            `adoptedKeyIds must be a list of the keyIds of the adopted secret's entries (GUIDs, as npm run inventory prints them); got ${formatValue(adoptedKeyIds)}.`,
        );
    }
    const adoption = [args.adoptedClientSecret, args.adoptedSecretEndDateTime, args.adoptedKeyIds?.length ? args.adoptedKeyIds : undefined];
    if (!badAdoptedKeyIds && adoption.some((a) => a === undefined) && adoption.some((a) => a !== undefined)) {
        fail(
            "adoptedClientSecret",
            "adoptedClientSecret, adoptedSecretEndDateTime and adoptedKeyIds go together: give the secret the app uses today, " +
                "the date it expires and the keyIds of its entries (npm run inventory lists them), or none of them.",
        );
    }
    if (args.cleanup !== undefined && !CLEANUP_MODES.includes(args.cleanup)) {
        fail("cleanup", `cleanup must be one of ${CLEANUP_MODES.map((m) => `"${m}"`).join(", ")}; got ${formatValue(args.cleanup)}.`);
    }
    const removeKeyIds = args.removeKeyIds ?? [];
    const badKeyIds = Array.isArray(removeKeyIds) ? removeKeyIds.filter((id) => typeof id !== "string" || !isGuid(id)) : [];
    if (!Array.isArray(removeKeyIds) || badKeyIds.length > 0) {
        fail("removeKeyIds", `removeKeyIds must be a list of keyIds (GUIDs, as npm run inventory prints them); got ${formatValue(badKeyIds.length > 0 ? badKeyIds : removeKeyIds)}.`);
    }
    for (const flag of ["forceCleanup", "acceptOutage", "decommission"] as const) {
        if (args[flag] !== undefined && typeof args[flag] !== "boolean") {
            fail(flag, `${flag} must be true or false; got ${formatValue(args[flag])}.`);
        }
    }
    if (args.planningTime !== undefined && args.planningTime !== "" && parseInstant(args.planningTime) === undefined) {
        fail("planningTime", `planningTime must be ${INSTANT_EXAMPLES}, or empty for now; got ${formatValue(args.planningTime)}.`);
    }
    if (failures.length > 0) {
        return failures;
    }
    // The planner's rules (dates, durations, manual rotations), whatever the clock.
    try {
        validatePlanInput(plannerInput(args));
    } catch (e) {
        if (!(e instanceof Error) || e.name !== PlanErrorName) {
            throw e;
        }
        fail((e as PlanError).input, e.message);
    }
    return failures;
}

/** Throws a plain Error naming the argument, the value and the fix for the first of {@link addInCredentialSetArgsFailures}. */
export function validateAddInCredentialSetArgs(args: AddInCredentialSetArgs): void {
    const [first] = addInCredentialSetArgsFailures(args);
    if (first !== undefined) {
        throw new Error(`AddInCredentialSet: ${first.reason}`);
    }
}

function plannerInput(args: AddInCredentialSetArgs): RotationPlanInput {
    return {
        firstGenerationStart: args.firstGenerationStart,
        lifetimeDays: args.lifetimeDays,
        rotateBeforeExpiryDays: args.rotateBeforeExpiryDays,
        gracePeriodDays: args.gracePeriodDays,
        propagationHours: args.propagationHours,
        manualRotations: (args.manualRotations ?? []).map((m) => ({ at: m.at, revokePrevious: m.revokePrevious ?? false })),
        adoptedSecretEndDateTime: args.adoptedSecretEndDateTime,
    };
}

function planningInstant(planningTime: string | undefined): Date {
    return planningTime ? new Date(parseInstant(planningTime) ?? Number.NaN) : new Date();
}
