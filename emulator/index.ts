/**
 * Local Microsoft Graph + ACS + TokenHelper emulator. Start one with {@link startEmulator}; see
 * docs/ARCHITECTURE.md ("Emulator contract") and emulator/admin.ts for the admin routes.
 */
export { startEmulator } from "./server";
export type { Emulator, EmulatorOptions } from "./surface";
export { EmulatorClock } from "./clock";
export { Faults } from "./faults";
export type {
    AppManagementPolicy, BadBodyOptions, HangOptions, HookMoment, OnRequestOptions, RequestInfo, RequestMatch, ServerErrorOptions, ThrottleOptions, TokenBucketOptions,
} from "./faults";
export { Tenant, generateSecretText } from "./tenant";
export type {
    ApplicationRef, CredentialsView, KeyCredentialWithKey, LegacyServicePrincipalRef, NewObjectOptions, PasswordCredentialWithSecret,
    PopulationManifest, SeededAddIn,
} from "./tenant";
export type { SeedCredentials, SeedKeyCredential, SeedPasswordCredential } from "./model";
export { planPopulation, POPULATION_STATES } from "./population";
export type { PlannedPrincipal, PopulationHolder, PopulationOptions, PopulationPlan, PopulationState } from "./population";
export { AcsError, AcsModel, ACS_PRINCIPAL, SHAREPOINT_PRINCIPAL, TokenHelperModel } from "./acs";
export type { AccessTokenAttempt, ActiveSigningKey, AcsTokenResponse, AddInCheck, ContextTokenValidation, NoActiveKeyReason, RemoteWebSecrets, SecretSlot } from "./acs";
export type { RequestLogEntry } from "./http";
export { decodeBase64Strict, isBase64 } from "./base64";
export { GraphError } from "./errors";
