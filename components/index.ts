// The package's public API (`import ... from "addin-credentials"`): the component and its parts.
export * from "./addInCredentialSet";
export * from "./remoteWebDelivery";
export * from "./credentialGeneration";
export * from "./credentialInventory";
export { CLEANUP_MODES, MANAGED_DISPLAY_NAME_PREFIX } from "./classify";
export type { Classification, CleanupMode, CredentialKind, InventoryEntry } from "./classify";
export { DEFAULTS as PLANNER_DEFAULTS, PlanErrorName, planRotation, validatePlanInput } from "./planner";
export { formatKind, formatValue, MAX_LIFETIME_DAYS, MIN_LIFETIME_DAYS } from "./limits";
export type { GenerationPlan, RotationPlan, RotationPlanInput } from "./planner";
export { isGuid } from "./graph/target";
export { INSTANT_EXAMPLES, parseInstant } from "./instant";
export type { InstantForm } from "./instant";
export { readDirectoryClock } from "./graph/directoryClock";
export { RefusalError } from "./refusal";
