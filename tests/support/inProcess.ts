/**
 * Runs the CredentialGeneration provider's methods in this process, as plain async functions,
 * against an in-process emulator: the provider builds its Graph client from the environment
 * (docs/ARCHITECTURE.md, "Environment variables"), so the spec points this process's environment
 * at the emulator for its duration.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { credentialGenerationProvider, validateGenerationInputs } from "../../components/credentialGeneration";
import { Emulator, startEmulator } from "../../emulator";
import { generationProps } from "../../tools/lab";
import { emulatorEnv } from "./emulatorEnv";

/** The provider's checked inputs. */
export type GenerationInputs = Parameters<NonNullable<typeof credentialGenerationProvider.create>>[0];
/** The provider's outputs. */
export type GenerationOutputs = NonNullable<Awaited<ReturnType<NonNullable<typeof credentialGenerationProvider.create>>>["outs"]>;

/** Client settings of in-process specs: fast backoff, a short per-request timeout. */
export const IN_PROCESS_CLIENT_ENV = { ADDIN_CREDENTIALS_RETRY_BASE_MS: "5", ADDIN_CREDENTIALS_MAX_ATTEMPTS: "4", ADDIN_CREDENTIALS_TIMEOUT_MS: "500" };

/** Points this process's Graph client environment at `emu`; returns the function that restores it. */
export function pointProcessAt(emu: { readonly url: string; readonly token: string }): () => void {
    const saved = new Map<string, string | undefined>();
    for (const [name, value] of Object.entries(emulatorEnv(emu, IN_PROCESS_CLIENT_ENV))) {
        saved.set(name, process.env[name]);
        process.env[name] = value;
    }
    return () => {
        for (const [name, value] of saved) {
            if (value === undefined) {
                delete process.env[name];
            } else {
                process.env[name] = value;
            }
        }
    };
}

/**
 * Registers the spec's mocha hooks: an emulator started before the spec and closed after it,
 * this process pointed at it meanwhile, its state reset before each test. Returns the emulator
 * (available from the spec's own `before` hooks on).
 */
export function inProcessEmulator(): () => Emulator {
    let emu: Emulator | undefined;
    let restore: () => void = () => undefined;
    before(async () => {
        emu = await startEmulator({ port: 0 });
        restore = pointProcessAt(emu);
    });
    after(async () => {
        restore();
        await emu?.close();
    });
    beforeEach(() => emu?.reset());
    return () => {
        assert.ok(emu, "the emulator starts in the spec's first before hook");
        return emu;
    };
}

/** Checked inputs of a generation that started an hour before `now` and lasts a year. */
export function generationInputs(now: Date, clientId: string, valueSource: "random-bytes" | "entra-password", displayName: string): GenerationInputs {
    const { inputs, failures } = validateGenerationInputs(generationProps(now, clientId, valueSource, displayName));
    assert.deepEqual(failures, []);
    return inputs as unknown as GenerationInputs;
}

/** Creates a generation in-process; returns its id and outputs. */
export async function createGeneration(inputs: GenerationInputs): Promise<{ id: string; outs: GenerationOutputs }> {
    const created = await credentialGenerationProvider.create!(inputs);
    assert.ok(created.outs);
    return { id: created.id, outs: created.outs };
}

/** Another tool's Symmetric Verify key, put on the object as that tool's write would leave it; returns its keyId. */
export function addForeignKey(emu: Emulator, objectId: string, displayName = "other tool"): string {
    const key = crypto.randomBytes(32).toString("base64");
    return emu.tenant.seedCredentials(objectId, { keyCredentials: [{ type: "Symmetric", usage: "Verify", key, displayName }] }).keyCredentials[0];
}

/** A Legacy principal that already carries another tool's key and password. */
export function principalWithForeignEntries(emu: Emulator): { appId: string; objectId: string } {
    const sp = emu.tenant.addLegacyServicePrincipal({ displayName: "Contoso add-in" });
    addForeignKey(emu, sp.id);
    emu.tenant.seedCredentials(sp.id, { passwordCredentials: [{ displayName: "other tool" }] });
    return { appId: sp.appId, objectId: sp.id };
}
