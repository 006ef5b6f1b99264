/** The environment that points the Graph client at an emulator, plus extra client settings (tests only). */
import { graphEnv } from "../../components/graph/env";

export function emulatorEnv(emu: { readonly url: string; readonly token: string }, extra: Record<string, string> = {}): Record<string, string> {
    return { ...graphEnv({ url: emu.url, token: emu.token }), ...extra };
}
