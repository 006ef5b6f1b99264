// How a dynamic provider sees a value that is not known yet: in a preview the engine passes the
// inputs that depend on resources still to be created or replaced to Check and Diff as this
// sentinel string (the Node SDK's `runtime.unknownValue`, sdk/nodejs/runtime/rpc.ts). Check and
// Diff must accept it wherever such an input can come from another resource's output.

/** The sentinel of an unknown value. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `v` is the unknown sentinel or contains it (in an array or object). */
export function isUnknown(v: unknown): boolean {
    if (v === UNKNOWN) {
        return true;
    }
    if (Array.isArray(v)) {
        return v.some(isUnknown);
    }
    if (typeof v === "object" && v !== null) {
        return Object.values(v).some(isUnknown);
    }
    return false;
}
