// Public exports of the components.
export * from "./remoteWebDelivery";
export * from "./credentialGeneration";
