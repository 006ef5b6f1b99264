/**
 * The checkpoint: what a Pulumi backend keeps between runs (apitype.ResourceV3 in the engine's
 * deployment format), reduced to what the engine's step rules read.
 */
import { Props } from "./wire";

/** One resource in the checkpoint. */
export interface ResourceState {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Custom resources have a provider; components do not. */
    readonly custom: boolean;
    /** The provider's id ("" for components). */
    readonly id: string;
    /** The checked inputs (plain values; secretness in `secretInputs`). */
    readonly inputs: Props;
    /** The outputs (plain values; secretness in `secretOutputs`). */
    readonly outputs: Props;
    /** Input names whose value was secret. */
    readonly secretInputs: readonly string[];
    /** Output names the engine stores as secrets. */
    readonly secretOutputs: readonly string[];
    /** The parent's URN ("" at the top of the stack). */
    readonly parent: string;
    /** URNs this resource depends on (dependsOn and every property dependency). */
    readonly dependencies: readonly string[];
    /** Property name → URNs its value came from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** Replaced by a create-before-delete replacement; deleted at the end of the next successful update. */
    readonly delete: boolean;
    /** Deleted by a delete-before-replace whose create has not happened yet. */
    readonly pendingReplacement: boolean;
    /** The resource option, as written by the last run that registered it. */
    readonly retainOnDelete: boolean;
    /** The resource option, as written by the last run that registered it. */
    readonly protect: boolean;
}

/** A stack's saved state: its resources, in the order the engine wrote them. */
export interface Checkpoint {
    readonly resources: readonly ResourceState[];
}

/** The empty checkpoint of a new stack. */
export const EMPTY_CHECKPOINT: Checkpoint = { resources: [] };

/** A deep copy (runs mutate their working copy; previews throw theirs away). */
export function cloneCheckpoint(checkpoint: Checkpoint): ResourceState[] {
    return checkpoint.resources.map((r) => structuredClone(r) as ResourceState);
}

/** The checkpoint as a backend would store it (JSON), for size measurements and inspection. */
export function checkpointJson(checkpoint: Checkpoint): string {
    return JSON.stringify({ version: 3, resources: checkpoint.resources });
}
