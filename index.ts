// The Pulumi program: reads stack config, builds one AddInCredentialSet per add-in, exports outputs.
export {};
