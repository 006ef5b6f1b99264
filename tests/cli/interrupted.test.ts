// A `pulumi up` killed mid-update on the real Pulumi CLI (cli/), then what the pipeline and the
// operator run next. The CLI and every process it started (language host, program, provider hosts)
// get SIGKILL together, as when a pipeline run is cancelled hard or its agent is lost, at an exact
// Graph request (the emulator's onRequest hook): (1) during the first create, the generation's keys
// written and not yet recorded; (2) on the slot replacement day, the new generation recorded, the
// replaced one pending deletion and half removed by the inventory; (3) while an add-in is
// decommissioned, its keys removed and its password not yet. (A generation's own Delete never
// reaches Graph with this program: the component registers the slots with retainOnDelete, and
// the inventory removes what the plan retires, so the deletes that touch Graph are the ones in
// (2) and (3).)
//
// What the CLI v3.276.0 does after such a kill, with a file:// backend (the same for azblob:// and
// s3://: they are the same "diy" backend):
// - The killed update's lock file stays (.pulumi/locks/<org>/<project>/<stack>/<uuid>.json), so
//   every later `pulumi up`, `refresh` or `destroy` fails at once with "the stack is currently
//   locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with
//   `pulumi cancel`." (backend/diy/lock.go). `pulumi preview` takes no lock: the drift job runs,
//   and is red while the state lacks what the killed run made.
// - `pulumi cancel --yes` works with a diy backend: it deletes the stack's lock files
//   (diyBackend.CancelCurrentUpdate). Nothing else about the stack changes.
// - The checkpoint holds the steps that finished and `pending_operations` for those that started.
//   The next successful update drops pending updates (and deletes), but keeps pending creates, which
//   "must require user intervention" (backend/snapshot.go): only `pulumi refresh
//   --clear-pending-creates` (or answering the interactive refresh's prompt) removes them. The
//   warning about pending operations (deployment_executor.go) is printed only when the update does
//   not refresh first, so with `refresh: always` (Pulumi.yaml) nothing says they are there.
// - With file:// only: the blob library writes a file's `.attrs` sidecar by truncating and
//   rewriting it (gocloud.dev fileblob setAttrs), so a kill while the CLI saves the checkpoint can
//   leave `.pulumi/stacks/<project>/<stack>.json.attrs` empty, and every later command then fails
//   with "error: failed to load checkpoint: EOF" (seen once while writing this test; deleting the
//   empty `.attrs` file restores the stack, the checkpoint itself being renamed into place whole).
//   The kills below land while the CLI waits for the provider and no other step runs, so the
//   checkpoint is not being written.
//
// So after a killed update the operator runs, once no update is running (the lock names its host
// and pid): `pulumi cancel --yes`, then `pulumi up --yes` (or lets the next scheduled run do it),
// and when the killed run was creating a generation, `pulumi refresh --clear-pending-creates --yes`
// after that up. Each test below runs exactly that and shows that the runs converge: the object
// holds the generations the plan wants, each entry once, the state says what the object holds,
// nothing valid was removed, and the add-in works every hour with the secrets the last complete
// run delivered.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { AddInCheck } from "../../emulator";
import { RequestMatch } from "../../emulator/faults";
import { CliResult, CliStep, RealProject, resourceSteps, StateResource } from "../../cli/realProject";
import { Lab } from "../../tools/lab";
import { useRealLab } from "../support/realLab";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-12-01T06:00:00Z");
/** Days between generations with the defaults: ceil((1095 + 7) / 2). */
const INTERVAL = 551;
const STACK = "dev";
const GENERATION_TYPE = "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration";
const INVENTORY_TYPE = "pulumi-nodejs:dynamic/addin-credentials:CredentialInventory";
const LOCKED = /error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./;

describe("the real Pulumi CLI: a pulumi up killed mid-update, then the next runs", function () {
    this.timeout(900_000);
    // Compiled without type checking: about 2 s less per run on a busy machine (npm run typecheck
    // checks the program).
    const real = useRealLab({ per: "test", project: { transpileOnly: true } });

    it("killed during the first create, its keys written: every run is refused until pulumi cancel, the next up adopts generation 0, and the pending create stays until refresh --clear-pending-creates", async () => {
        // GIVEN a new add-in and its stack
        const sp = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const web = new RemoteWeb(real.lab, sp.appId);
        real.lab.emu.clock.freeze(new Date(T0));
        await initStack(real.project, [{ name: "hr-portal", clientId: sp.appId }]);

        // WHEN the first up is killed once the generation's keyCredentials PATCH has landed: at the
        // provider's next read of the object, before the create returns to the CLI
        const kill = killAtRequest(real.lab, real.project, ["up", "--yes"], { method: "GET", path: sp.id }, { after: { method: "PATCH", path: sp.id } });
        const killed = await kill.result;

        // THEN the object holds all of generation 0, and the state only that its create started
        assert.equal(killed.code, 137, killed.stdout + killed.stderr);
        assert.deepEqual(kill.fired(), [`GET ${sp.id}`], "the kill fired at the read after the PATCH");
        const written = entriesOf(real.lab, sp.id);
        assert.deepEqual(written.map(describeEntry), [
            "Password addin-credentials/hr-portal/gen-0/2026-12-01",
            "Symmetric Sign addin-credentials/hr-portal/gen-0/2026-12-01",
            "Symmetric Verify addin-credentials/hr-portal/gen-0/2026-12-01",
        ]);
        const afterKill = real.project.checkpoint(STACK);
        assert.deepEqual(afterKill.resources.map((r) => nameOf(r)), ["addin-credentials-dev", "hr-portal", "default_4_21_2", "hr-portal-slot-a-bytes", "default"]);
        assert.deepEqual(pendingOperations(real.project), ["creating hr-portal-slot-a"]);

        // AND the drift job (a preview takes no lock) is red: the state lacks the generation and the inventory
        const drift = await real.project.pulumi(["preview", "--refresh", "--expect-no-changes"], { eventLog: true });
        assert.equal(drift.code, 7, drift.stdout + drift.stderr);
        assert.deepEqual(changes(drift.steps), ["create hr-portal-inventory", "create hr-portal-slot-a"]);

        // AND the next scheduled up is refused by the killed run's lock, naming its pid, until pulumi cancel
        await assertLockedBy(real.project, kill.pid);
        const cancel = await real.project.pulumi(["cancel", "--yes"]);
        assert.equal(cancel.code, 0, cancel.stderr);
        assert.match(cancel.stdout, /The currently running update for 'dev' has been canceled!/);

        // WHEN the next up runs
        const up = await real.project.pulumi(["up", "--yes"], { eventLog: true });

        // THEN it creates the generation again, and the inventory. The create adopts the password
        // the killed run added and replaces its two keys, in one PATCH, by keys with the same bytes
        // (the same RandomBytes) and new keyIds: no second set, the same secret
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(up.summary?.resourceChanges, { create: 2, same: 3 });
        assert.match(up.stdout, /CredentialGeneration create on servicePrincipal [0-9a-f-]+: adopting password [0-9a-f-]+ left by an interrupted attempt\./);
        const converged = entriesOf(real.lab, sp.id);
        assert.deepEqual(converged.map(describeEntry), written.map(describeEntry));
        assert.equal(converged[0].keyId, written[0].keyId, "the password is the killed run's");
        for (const i of [1, 2]) {
            assert.notEqual(converged[i].keyId, written[i].keyId, `${describeEntry(written[i])}: a new key`);
            assert.ok(converged[i].key === written[i].key, `${describeEntry(written[i])}: with the bytes the killed run wrote`);
        }
        assertStateMatchesObject(real.project, real.lab, sp.id, ["addin-credentials/hr-portal/gen-0/2026-12-01"]);

        // AND the pending create stays in the state after that update, and nothing says so (with
        // refresh: always the CLI skips its pending-operations warning), until refresh
        // --clear-pending-creates
        assert.doesNotMatch(up.stdout + up.stderr, /pending operations/);
        assert.deepEqual(pendingOperations(real.project), ["creating hr-portal-slot-a"]);
        const clear = await real.project.pulumi(["refresh", "--clear-pending-creates", "--yes"], { eventLog: true });
        assert.equal(clear.code, 0, clear.stdout + clear.stderr);
        assert.deepEqual(pendingOperations(real.project), []);
        assertStateMatchesObject(real.project, real.lab, sp.id, ["addin-credentials/hr-portal/gen-0/2026-12-01"]);

        // AND the stack delivers the killed run's key bytes, which SharePoint accepts once propagated
        web.deliver(await deliveredSecrets(real.project, "hr-portal"));
        const sign = written.find((e) => e.usage === "Sign");
        assert.ok(sign?.key !== undefined && web.clientSecret === sign.key, "ClientSecret is the Sign key's bytes the killed run wrote");
        await web.checkHourly(T0 + DAY, T0 + 3 * DAY);
        assert.deepEqual(web.failedHours, []);
    });

    it("killed on the slot replacement day, the new generation recorded and the displaced one half removed: after pulumi cancel, the next up finishes the removal and drops it from the state, the add-in working every hour", async () => {
        // GIVEN an add-in deployed on day 0 and rotated on day 551: slot a holds generation 0 (expired
        // on day 1095), slot b generation 1, which SharePoint signs with
        const sp = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        const web = new RemoteWeb(real.lab, sp.appId);
        await initStack(real.project, [{ name: "hr-portal", clientId: sp.appId }]);
        for (const day of [0, INTERVAL]) {
            real.lab.emu.clock.freeze(new Date(T0 + day * DAY));
            const up = await real.project.pulumi(["up", "--yes"]);
            assert.equal(up.code, 0, up.stdout + up.stderr);
            web.deliver(await deliveredSecrets(real.project, "hr-portal"));
            await web.checkHourly(T0 + day * DAY + (day === 0 ? DAY : 0), T0 + (day === 0 ? INTERVAL : 2 * INTERVAL) * DAY);
        }
        const gen1 = generationsOn(real.lab, sp.id).get("addin-credentials/hr-portal/gen-1/2028-06-04");
        assert.ok(gen1 !== undefined);

        // WHEN the replacement day's up is killed as the inventory removes generation 0: its keys
        // PATCHed away, its password not yet (at removePassword, before Graph acts on it)
        const replacementDay = T0 + 2 * INTERVAL * DAY;
        real.lab.emu.clock.freeze(new Date(replacementDay));
        const kill = killAtRequest(real.lab, real.project, ["up", "--yes"], { operation: "servicePrincipals.removePassword", path: sp.id });
        const killed = await kill.result;

        // THEN generation 2 exists and is recorded in slot a; the displaced slot a is pending
        // deletion; the inventory's update was cut off; generation 0 has lost its keys only
        assert.equal(killed.code, 137, killed.stdout + killed.stderr);
        assert.deepEqual(kill.fired(), [`POST ${sp.id}`]);
        assert.deepEqual(entriesOf(real.lab, sp.id).map(describeEntry), [
            "Password addin-credentials/hr-portal/gen-0/2026-12-01",
            "Password addin-credentials/hr-portal/gen-1/2028-06-04",
            "Password addin-credentials/hr-portal/gen-2/2029-12-07",
            "Symmetric Sign addin-credentials/hr-portal/gen-1/2028-06-04",
            "Symmetric Sign addin-credentials/hr-portal/gen-2/2029-12-07",
            "Symmetric Verify addin-credentials/hr-portal/gen-1/2028-06-04",
            "Symmetric Verify addin-credentials/hr-portal/gen-2/2029-12-07",
        ]);
        const gen2 = generationsOn(real.lab, sp.id).get("addin-credentials/hr-portal/gen-2/2029-12-07");
        const slots = real.project.checkpoint(STACK).resources.filter((r) => r.type === GENERATION_TYPE)
            .map((r) => `${nameOf(r)} ${String(r.outputs?.displayName)}${r.delete === true ? " (delete)" : ""}`).sort();
        assert.deepEqual(slots, [
            "hr-portal-slot-a addin-credentials/hr-portal/gen-0/2026-12-01 (delete)",
            "hr-portal-slot-a addin-credentials/hr-portal/gen-2/2029-12-07",
            "hr-portal-slot-b addin-credentials/hr-portal/gen-1/2028-06-04",
        ]);
        assert.deepEqual(pendingOperations(real.project), ["updating hr-portal-inventory"]);
        // The remote web keeps what the day-551 run delivered: generation 1, which SharePoint signs with.
        await web.checkHourly(replacementDay, replacementDay + 2 * HOUR);

        // AND the next up is refused until pulumi cancel
        await assertLockedBy(real.project, kill.pid);
        const cancel = await real.project.pulumi(["cancel", "--yes"]);
        assert.equal(cancel.code, 0, cancel.stderr);

        // WHEN the next up runs, two hours later
        real.lab.emu.clock.freeze(new Date(replacementDay + 2 * HOUR));
        const requestsBefore = real.lab.emu.requests.length;
        const up = await real.project.pulumi(["up", "--yes"], { eventLog: true });

        // THEN it finishes the inventory's removal (generation 0's password) and deletes the displaced
        // slot a from the state (retainOnDelete: the provider is not called); nothing is created
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(changes(up.steps), ["delete-replaced hr-portal-slot-a", "delete-replaced hr-portal-slot-a-bytes", "update hr-portal-inventory"]);
        assert.deepEqual(writesSince(real.lab, requestsBefore), ["servicePrincipals.removePassword"], "the inventory's removal is the only write");
        assert.match(up.stdout, /hr-portal: removed password [0-9a-f-]+ \(Password, 2026-12-01\.\.2029-11-30\): retired: generation 0 expired/);
        assertStateMatchesObject(real.project, real.lab, sp.id, ["addin-credentials/hr-portal/gen-1/2028-06-04", "addin-credentials/hr-portal/gen-2/2029-12-07"]);
        assert.deepEqual(generationsOn(real.lab, sp.id).get("addin-credentials/hr-portal/gen-1/2028-06-04"), gen1, "generation 1 is untouched");
        assert.deepEqual(generationsOn(real.lab, sp.id).get("addin-credentials/hr-portal/gen-2/2029-12-07"), gen2, "generation 2 is the one the killed run made");
        assert.deepEqual(pendingOperations(real.project), [], "the next update dropped the pending update");

        // AND the add-in works every hour with what this run delivers, until generation 1 expires and after
        web.deliver(await deliveredSecrets(real.project, "hr-portal"));
        await web.checkHourly(replacementDay + 2 * HOUR, T0 + (INTERVAL + 1095 + 2) * DAY);
        assert.deepEqual(web.failedHours, []);
    });

    it("killed while an add-in is decommissioned, its keys removed and its password not yet: after pulumi cancel, the next up removes the rest and deletes its generation from the state; another tool's key is untouched", async () => {
        // GIVEN an add-in deployed on day 0, and a key another tool added to its object
        const sp = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
        real.lab.emu.clock.freeze(new Date(T0));
        const [foreignKey] = real.lab.emu.tenant.seedCredentials(sp.id, {
            keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: Buffer.from("another tool's certificate").toString("base64"), displayName: "another tool", endDateTime: new Date(T0 + 365 * DAY).toISOString() }],
        }).keyCredentials;
        await initStack(real.project, [{ name: "hr-portal", clientId: sp.appId }]);
        const first = await real.project.pulumi(["up", "--yes"]);
        assert.equal(first.code, 0, first.stdout + first.stderr);

        // WHEN it is decommissioned on day 30, and that up is killed as the inventory removes its
        // generation: the keys PATCHed away, the password not yet
        const day30 = T0 + 30 * DAY;
        real.lab.emu.clock.freeze(new Date(day30));
        await initStack(real.project, [{ name: "hr-portal", clientId: sp.appId, decommission: true }]);
        const kill = killAtRequest(real.lab, real.project, ["up", "--yes"], { operation: "servicePrincipals.removePassword", path: sp.id });
        const killed = await kill.result;

        // THEN the object holds generation 0's password and the other tool's key; the state still
        // has the generation, and the inventory's update is pending
        assert.equal(killed.code, 137, killed.stdout + killed.stderr);
        assert.deepEqual(kill.fired(), [`POST ${sp.id}`]);
        assert.deepEqual(entriesOf(real.lab, sp.id).map(describeEntry), ["AsymmetricX509Cert Verify another tool", "Password addin-credentials/hr-portal/gen-0/2026-12-01"]);
        assert.deepEqual(real.project.checkpoint(STACK).resources.filter((r) => r.type === GENERATION_TYPE).map((r) => nameOf(r)), ["hr-portal-slot-a"]);
        assert.deepEqual(pendingOperations(real.project), ["updating hr-portal-inventory"]);

        // AND the next up is refused until pulumi cancel
        await assertLockedBy(real.project, kill.pid);
        const cancel = await real.project.pulumi(["cancel", "--yes"]);
        assert.equal(cancel.code, 0, cancel.stderr);

        // WHEN the next up runs
        const requestsBefore = real.lab.emu.requests.length;
        const up = await real.project.pulumi(["up", "--yes"], { eventLog: true });

        // THEN it removes the password, and deletes the generation (retainOnDelete: the provider is
        // not called) and its bytes from the state
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(changes(up.steps), ["delete hr-portal-slot-a", "delete hr-portal-slot-a-bytes", "update hr-portal-inventory"]);
        assert.deepEqual(writesSince(real.lab, requestsBefore), ["servicePrincipals.removePassword"], "the inventory's removal is the only write");
        assert.deepEqual(entriesOf(real.lab, sp.id).map((e) => e.keyId), [foreignKey], "only the other tool's key is left");
        assert.deepEqual(real.project.checkpoint(STACK).resources.map((r) => nameOf(r)).filter((n) => n.startsWith("hr-portal")).sort(), ["hr-portal", "hr-portal-inventory"]);
        assert.deepEqual(pendingOperations(real.project), []);
        const inventory = real.project.checkpoint(STACK).resources.find((r) => r.type === INVENTORY_TYPE) as StateResource;
        assert.deepEqual((inventory.outputs?.entries as { keyId: string }[]).map((e) => e.keyId), [foreignKey], "the inventory's state says what the object holds");

        // AND the next day's drift job is green
        real.lab.emu.clock.freeze(new Date(day30 + DAY));
        const drift = await real.project.pulumi(["preview", "--refresh", "--expect-no-changes"], { eventLog: true });
        assert.equal(drift.code, 0, drift.stdout + drift.stderr);
    });
});

// ---- helpers -------------------------------------------------------------------------------

interface AddInEntry {
    readonly name: string;
    readonly clientId: string;
    readonly decommission?: boolean;
}

/** `pulumi stack init` once (with the passphrase), then the stack file declaring `addIns` from 2026-12-01. */
async function initStack(project: RealProject, addIns: readonly AddInEntry[]): Promise<void> {
    if (!fs.existsSync(project.stackFile(STACK))) {
        const init = await project.pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
        assert.equal(init.code, 0, init.stderr);
    }
    const salt = /^encryptionsalt: .+$/m.exec(fs.readFileSync(project.stackFile(STACK), "utf8"))?.[0];
    assert.ok(salt !== undefined, "stack init writes the passphrase's salt into the stack file");
    fs.writeFileSync(project.stackFile(STACK), [
        salt,
        "config:",
        "  addin-credentials:addins:",
        ...addIns.flatMap((a) => [
            `    - name: ${a.name}`,
            `      clientId: ${a.clientId}`,
            '      firstGenerationStart: "2026-12-01"',
            ...(a.decommission === true ? ["      decommission: true"] : []),
        ]),
        "",
    ].join("\n"));
}

/** A command that gets killed with its whole process tree at a Graph request. */
interface KilledCommand {
    readonly result: Promise<CliResult>;
    /** The CLI's pid (the lock names it). */
    readonly pid: number;
    /** `METHOD path` of the request the kill fired at (empty when it did not fire). */
    fired(): string[];
}

/**
 * Starts `pulumi <args>` and SIGKILLs it and every process it started when a request matching
 * `at` arrives, before Graph acts on it (the request is then never carried out nor answered), or,
 * with `after`, at the first such request after one matching `after.after` has been answered.
 */
function killAtRequest(lab: Lab, project: RealProject, args: readonly string[], at: RequestMatch, options: { after?: RequestMatch } = {}): KilledCommand {
    const fired: string[] = [];
    // Armed right after the start, before the CLI can have sent anything.
    const running = project.start(args, { eventLog: true });
    const kill = async (req: { method: string }): Promise<void> => {
        fired.push(`${req.method} ${String(at.path)}`);
        for (const pid of processTree(running.child.pid as number)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
        await running.result;
    };
    const armKill = (): void => {
        // The request in flight never reaches Graph: the kill lands before Graph acts on it. (Without
        // this, the emulator would carry the held request out once the hook returns, for no one.)
        lab.emu.faults.hang({ ms: null, times: 1, match: at });
        lab.emu.faults.onRequest({ when: "before", match: at, run: kill });
    };
    if (options.after === undefined) {
        armKill();
    } else {
        lab.emu.faults.onRequest({ when: "after", match: options.after, run: armKill });
    }
    return { result: running.result, pid: running.child.pid as number, fired: () => [...fired] };
}

/** `root` and every process below it, from /proc (Linux), parents first. */
function processTree(root: number): number[] {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
            continue; // exited meanwhile
        }
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    }
    const tree: number[] = [];
    const queue = [root];
    while (queue.length > 0) {
        const pid = queue.shift() as number;
        tree.push(pid);
        queue.push(...(children.get(pid) ?? []));
    }
    return tree;
}

/** The next `pulumi up` fails at once on the killed run's lock, which names its pid. */
async function assertLockedBy(project: RealProject, pid: number): Promise<void> {
    const locked = await project.pulumi(["up", "--yes"]);
    assert.notEqual(locked.code, 0);
    assert.match(locked.stderr, LOCKED);
    assert.match(locked.stderr, new RegExp(`/\\.pulumi/locks/organization/addin-credentials/dev/[0-9a-f-]+\\.json.*: created by .+ \\(pid ${pid}\\) at `));
}

/** The operations of the Graph requests since `index` that write (not GET). */
function writesSince(lab: Lab, index: number): string[] {
    return lab.emu.requests.slice(index).filter((r) => r.method !== "GET").map((r) => r.operation);
}

/** `op name` of the checkpoint's pending operations, sorted. */
function pendingOperations(project: RealProject): string[] {
    return (project.checkpoint(STACK).pending_operations ?? []).map((o) => `${o.type} ${nameOf(o.resource)}`).sort();
}

function nameOf(r: { urn: string }): string {
    return r.urn.slice(r.urn.lastIndexOf("::") + 2);
}

/** Every step that changes something (not same, not refresh, not read), `op name`, sorted. */
function changes(steps: readonly CliStep[] | undefined): string[] {
    return resourceSteps(steps).filter((s) => !["same", "refresh", "read"].includes(s.op)).map((s) => `${s.op} ${s.name}`).sort();
}

/** One entry on the object: a key (with its bytes, base64) or a password. */
interface Entry {
    readonly keyId: string;
    readonly type: string;
    readonly usage: string;
    readonly displayName: string | null;
    readonly key?: string;
}

/** The object's keys and passwords, sorted by type, usage and display name. */
function entriesOf(lab: Lab, objectId: string): Entry[] {
    const creds = lab.emu.tenant.credentials(objectId);
    return [
        ...creds.keyCredentials.map((k) => ({ keyId: k.keyId, type: k.type, usage: k.usage, displayName: k.displayName, key: k.key })),
        ...creds.passwordCredentials.map((p) => ({ keyId: p.keyId, type: "Password", usage: "", displayName: p.displayName })),
    ].sort((a, b) => describeEntry(a).localeCompare(describeEntry(b)));
}

function describeEntry(e: Entry): string {
    return [e.type, e.usage, e.displayName ?? ""].filter((s) => s !== "").join(" ");
}

/** The generations on the object by display name: the keyIds of their Sign, Verify and Password entries. */
function generationsOn(lab: Lab, objectId: string): Map<string, { sign: string[]; verify: string[]; password: string[] }> {
    const byName = new Map<string, { sign: string[]; verify: string[]; password: string[] }>();
    for (const e of entriesOf(lab, objectId).filter((x) => x.displayName?.startsWith("addin-credentials/") === true)) {
        const g = byName.get(e.displayName as string) ?? { sign: [], verify: [], password: [] };
        (e.type === "Password" ? g.password : e.usage === "Sign" ? g.sign : g.verify).push(e.keyId);
        byName.set(e.displayName as string, g);
    }
    return byName;
}

/**
 * The object holds exactly `displayNames`, one Sign, Verify and Password entry each, and the
 * checkpoint agrees: one CredentialGeneration per generation (none pending deletion) whose keyIds
 * are those entries, and the set's inventory listing every entry of the object.
 */
function assertStateMatchesObject(project: RealProject, lab: Lab, objectId: string, displayNames: readonly string[]): void {
    const onObject = generationsOn(lab, objectId);
    assert.deepEqual([...onObject.keys()].sort(), [...displayNames].sort(), "the generations on the object");
    for (const [name, g] of onObject) {
        assert.deepEqual([g.sign.length, g.verify.length, g.password.length], [1, 1, 1], `${name}: one Sign, one Verify, one Password entry`);
    }
    const setName = displayNames[0].split("/")[1];
    const resources = project.checkpoint(STACK).resources.filter((r) => r.urn.includes(`::${setName}-`));
    assert.deepEqual(resources.filter((r) => r.delete === true).map((r) => nameOf(r)), [], "nothing pending deletion");
    const recorded = resources.filter((r) => r.type === GENERATION_TYPE).map((r) => {
        const o = r.outputs ?? {};
        return [String(o.displayName), { sign: [String(o.signKeyId)], verify: [String(o.verifyKeyId)], password: [String(o.passwordKeyId)] }] as const;
    });
    assert.deepEqual(new Map(recorded), onObject, "the state's generations are the object's");
    const inventory = resources.find((r) => r.type === INVENTORY_TYPE);
    const listed = ((inventory?.outputs?.entries ?? []) as { keyId: string }[]).map((e) => e.keyId).sort();
    assert.deepEqual(listed, entriesOf(lab, objectId).map((e) => e.keyId).sort(), "the inventory's state lists the object's entries");
}

/** The add-in's ClientSecret and SecondaryClientSecret from the stack's outputs (never printed). */
async function deliveredSecrets(project: RealProject, name: string): Promise<{ clientSecret: string; secondaryClientSecret?: string }> {
    const output = await project.pulumi(["stack", "output", "addins", "--show-secrets", "--json"]);
    assert.equal(output.code, 0, output.stderr);
    const addIn = (JSON.parse(output.stdout) as Record<string, { clientSecret?: string; secondaryClientSecret?: string }>)[name];
    assert.ok(typeof addIn?.clientSecret === "string" && addIn.clientSecret !== "", `the stack outputs a ClientSecret for ${name}`);
    return { clientSecret: addIn.clientSecret, secondaryClientSecret: addIn.secondaryClientSecret };
}

/** The remote web: the secrets the last complete deploy job gave it, checked as SharePoint and TokenHelper would. */
class RemoteWeb {
    readonly failedHours: string[] = [];
    private secrets: { clientSecret: string; secondaryClientSecret?: string } | undefined;
    private last: { key: string; check: AddInCheck } | undefined;

    constructor(private readonly lab: Lab, private readonly appId: string) {}

    get clientSecret(): string | undefined {
        return this.secrets?.clientSecret;
    }

    deliver(secrets: { clientSecret: string; secondaryClientSecret?: string }): void {
        this.secrets = secrets;
    }

    /** Every hour of [fromMs, toMs): in full whenever ACS's signing key or the settings changed. */
    async checkHourly(fromMs: number, toMs: number): Promise<void> {
        const secrets = this.secrets;
        assert.ok(secrets !== undefined, "nothing delivered yet");
        for (let t = fromMs; t < toMs; t += HOUR) {
            this.lab.emu.clock.freeze(new Date(t));
            const key = `${this.lab.emu.acs.activeSigningKey(this.appId)?.keyId}|${secrets.clientSecret}|${secrets.secondaryClientSecret}`;
            if (this.last?.key !== key) {
                this.last = { key, check: await this.lab.emu.checkAddIn(this.appId, { clientSecret: secrets.clientSecret, secondaryClientSecret: secrets.secondaryClientSecret ?? null }) };
            }
            if (!(this.last.check.contextTokenValid && this.last.check.accessTokenOk)) {
                this.failedHours.push(`${new Date(t).toISOString()}: ${this.last.check.reason}`);
            }
        }
    }
}
