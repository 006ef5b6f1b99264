// The emulator in a process of its own, for the fleet measurement: Microsoft Graph is another
// machine, so its answers must not wait for the harness's event loop, which runs the program
// (1,000 add-ins take most of a core to evaluate) and the engine stand-in. Driven over IPC by
// bench/fleet.ts (`startGraphProcess`); started as
//   node -r ts-node/register/transpile-only bench/graphProcess.ts
//
// Besides the emulator's own token bucket (every request takes a token: Graph's resource-unit
// quota), it keeps Graph's write quota, which the emulator's bucket cannot express (a bucket
// matches one method at most, and a write is a PATCH or a POST): a second token bucket that only
// writes draw from. A write is refused by whichever quota is empty first, takes a token from both
// when it is served, and is answered as the emulator answers its own bucket's refusals (429,
// Retry-After in whole seconds until a token is back).
import { startEmulator } from "../emulator";
import type { Faults } from "../emulator";

/** A token bucket that starts full. */
interface Bucket {
    readonly capacity: number;
    readonly refillPerSecond: number;
    tokens: number;
    at: number;
}

/** The IPC requests the parent sends: `{ id, op, args }`; the answer is `{ id, ok, value | error }`. */
export type GraphProcessOp =
    | { op: "addLegacyServicePrincipals"; args: { count: number } }
    | { op: "freezeClock"; args: { at: string } }
    | { op: "faults"; args: { latencyMs: number; resourceUnits: { capacity: number; refillPerSecond: number } | null; writes: { capacity: number; refillPerSecond: number } | null } }
    | { op: "requestCount"; args: Record<string, never> }
    | { op: "requests"; args: { from: number } }
    | { op: "holdings"; args: { objectIds: string[] } }
    | { op: "cpuMs"; args: Record<string, never> };

async function main(): Promise<void> {
    const emu = await startEmulator({ port: 0, logErrors: false });
    let writes: Bucket | null = null;
    const faults: Faults = emu.faults;
    const decide = faults.decide.bind(faults);
    faults.decide = (req) => {
        const write = req.method.toUpperCase() !== "GET";
        if (write && writes !== null) {
            const now = performance.now();
            writes.tokens = Math.min(writes.capacity, writes.tokens + ((now - writes.at) / 1000) * writes.refillPerSecond);
            writes.at = now;
            if (writes.tokens < 1) {
                return { kind: "throttle", retryAfterSeconds: Math.max(1, Math.ceil((1 - writes.tokens) / writes.refillPerSecond)) };
            }
        }
        const decision = decide(req);
        if (decision === undefined && write && writes !== null) {
            writes.tokens -= 1;
        }
        return decision;
    };

    const handle = (m: GraphProcessOp): unknown => {
        switch (m.op) {
            case "addLegacyServicePrincipals":
                return Array.from({ length: m.args.count }, (_, i) => emu.tenant.addLegacyServicePrincipal({ displayName: `Fleet add-in ${String(i).padStart(4, "0")}` }));
            case "freezeClock":
                emu.clock.freeze(new Date(m.args.at));
                return null;
            case "faults":
                emu.faults.latency(m.args.latencyMs);
                emu.faults.tokenBucket(m.args.resourceUnits);
                writes = m.args.writes === null ? null : { ...m.args.writes, tokens: m.args.writes.capacity, at: performance.now() };
                return null;
            case "requestCount":
                return emu.requests.length;
            case "requests":
                return emu.requests.slice(m.args.from).map((r) => ({ method: r.method, operation: r.operation, status: r.status }));
            case "holdings":
                // What each object holds, without key bytes or secret text.
                return m.args.objectIds.map((id) => {
                    const c = emu.tenant.credentials(id);
                    return {
                        objectId: id,
                        keys: c.keyCredentials.map((k) => ({ keyId: k.keyId, usage: k.usage, displayName: k.displayName ?? "" })),
                        passwords: c.passwordCredentials.map((p) => ({ keyId: p.keyId, displayName: p.displayName ?? "" })),
                    };
                });
            case "cpuMs": {
                const u = process.cpuUsage();
                return (u.user + u.system) / 1000;
            }
        }
    };
    process.on("message", (msg: GraphProcessOp & { id: number }) => {
        try {
            process.send?.({ id: msg.id, ok: true, value: handle(msg) });
        } catch (e) {
            process.send?.({ id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) });
        }
    });
    process.on("disconnect", () => {
        void emu.close().then(() => process.exit(0));
    });
    process.send?.({ id: 0, ok: true, value: { url: emu.url, token: emu.token } });
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : String(e));
    process.exit(1);
});
