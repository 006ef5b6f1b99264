// A deployed add-in's life on the real Pulumi CLI (cli/), with a file:// backend and the emulator,
// each step run as the pipelines run it: the deploy job's `pulumi up --yes --stack <env>` and the
// drift job's `pulumi preview --refresh --expect-no-changes --diff --stack <env>`
// (pipelines/github/*.yml, pipelines/azure-devops/azure-pipelines.yml), verbatim.
//
// Each describe is one story on one stack, its steps in order (each `it` starts where the one before
// left the stack and the clock): the commands cost seconds each, so a story does not start over.
// - "dev", one add-in: nothing to do, a key deleted by hand (drift red, repaired, green), the
//   rotation day, the slot replacement day; then the state file, for 1 and for 10 add-ins.
// - "prod", two add-ins: one taken out of the stack, an emergency rotation with revokePrevious, a
//   hand edit seen by `pulumi refresh --yes`, decommission, `pulumi destroy --yes`.
//
// The runs under test are the pipelines' commands exactly as a pipeline runs them (the program
// type-checked by ts-node). The rest (each story's first deploy, which tests/cli/firstDeployment.test.ts
// covers, the fleet of 10 add-ins, refresh, destroy) run with PULUMI_NODEJS_TRANSPILE_ONLY: not
// type-checked (`npm run typecheck` does that), several seconds less per program run on a busy machine.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { CliResult, CliStep, resourceSteps, StateResource } from "../../cli/realProject";
import { useRealLab } from "../support/realLab";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The deploy job's hour (deploy.yml: 05:17 UTC); the drift job runs 12 hours later. */
const T0 = Date.parse("2026-12-01T06:00:00Z");
/** Days between generations with the defaults: ceil((1095 + 7) / 2). */
const INTERVAL = 551;
const TRANSPILE_ONLY = { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } as const;
const GENERATION_TYPE = "pulumi-nodejs:dynamic/addin-credentials:CredentialGeneration";
/** What the drift job's preview prints on stderr when something would change. */
const CHANGES_PROPOSED = "error: no changes were expected for preview but changes were proposed";

/** One add-in's entry in the stack file (the fields of README "Configuration reference"). */
interface AddInEntry {
    readonly name: string;
    readonly clientId: string;
    readonly firstGenerationStart: string;
    readonly valueSource?: "random-bytes" | "entra-password";
    readonly manualRotations?: readonly { readonly at: string; readonly revokePrevious: boolean }[];
    readonly decommission?: boolean;
}

/** One add-in in `pulumi stack output addins --show-secrets --json`. */
interface AddInOutput {
    readonly clientId: string;
    readonly clientSecret: string | null;
    readonly secondaryClientSecret: string | null;
    readonly generations: readonly { readonly index: number; readonly slot: string; readonly displayName: string; readonly signKeyId: string }[];
}

describe("the real Pulumi CLI: a deployed add-in's life, as the pipelines run it", function () {
    this.timeout(600_000);
    const real = useRealLab({ per: "suite" });

    /** `pulumi stack init <stack>` with a passphrase, and a stack file that declares `addins`. */
    async function initStack(stack: string, addins: readonly AddInEntry[]): Promise<void> {
        const init = await real.project.pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        assert.equal(init.code, 0, init.stderr);
        writeStack(stack, addins);
    }

    /** Rewrites the stack file with `addins` (JSON is YAML), keeping the passphrase's salt `stack init` wrote. */
    function writeStack(stack: string, addins: readonly AddInEntry[]): void {
        const salt = /^encryptionsalt: .+$/m.exec(fs.readFileSync(real.project.stackFile(stack), "utf8"))?.[0];
        assert.ok(salt !== undefined, "stack init writes the passphrase's salt into the stack file");
        fs.writeFileSync(real.project.stackFile(stack), `${salt}\nconfig:\n  addin-credentials:addins: ${JSON.stringify(addins)}\n`);
    }

    /** The deploy job's command, verbatim. */
    async function deploy(stack: string, env?: Record<string, string>): Promise<CliResult> {
        const up = await real.project.pulumi(["up", "--yes", "--stack", stack], { eventLog: true, env, timeoutMs: 300_000 });
        assert.equal(up.code, 0, up.stdout + up.stderr);
        return up;
    }

    /** The drift job's command, verbatim. */
    function drift(stack: string): Promise<CliResult> {
        return real.project.pulumi(["preview", "--refresh", "--expect-no-changes", "--diff", "--stack", stack], { eventLog: true });
    }

    async function stackOutput(stack: string): Promise<Record<string, AddInOutput>> {
        const output = await real.project.pulumi(["stack", "output", "addins", "--show-secrets", "--json", "--stack", stack]);
        assert.equal(output.code, 0, output.stderr);
        return JSON.parse(output.stdout) as Record<string, AddInOutput>;
    }

    /** The generations on the object: `<type> <usage> <displayName>` of each entry, sorted. */
    function entries(objectId: string): string[] {
        const creds = real.lab.emu.tenant.credentials(objectId);
        return [
            ...creds.keyCredentials.map((k) => `${k.type} ${k.usage} ${k.displayName ?? ""}`),
            ...creds.passwordCredentials.map((p) => `Password ${p.displayName ?? ""}`),
        ].sort();
    }

    /** keyId of every entry of one generation on the object, by its display name. */
    function keyIdsOf(objectId: string, displayName: string): { sign?: string; verify?: string; password?: string } {
        const creds = real.lab.emu.tenant.credentials(objectId);
        const key = (usage: string) => creds.keyCredentials.find((k) => k.usage === usage && k.displayName === displayName)?.keyId;
        return { sign: key("Sign"), verify: key("Verify"), password: creds.passwordCredentials.find((p) => p.displayName === displayName)?.keyId };
    }

    /** The base64 key bytes of a generation's Sign key: the ClientSecret of the remote web. */
    function signKeyOf(objectId: string, displayName: string): string | undefined {
        return real.lab.emu.tenant.credentials(objectId).keyCredentials.find((k) => k.usage === "Sign" && k.displayName === displayName)?.key;
    }

    /** The Graph requests after the `from`-th that write (anything but GET). */
    function writesSince(from: number): string[] {
        return real.lab.emu.requests.slice(from).filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.operation}`);
    }

    /**
     * Every secret value the objects hold, in each form it could take in a state file: the key
     * bytes as base64 (a Symmetric key, a ClientSecret) and as hex (RandomBytes' other output), and
     * each password's secretText.
     */
    function secretsOn(objectIds: readonly string[]): string[] {
        return objectIds.flatMap((id) => {
            const creds = real.lab.emu.tenant.credentials(id);
            return [...creds.keyCredentials.flatMap((k) => [k.key, k.keyBytes.toString("hex")]), ...creds.passwordCredentials.map((p) => p.secretText)];
        });
    }

    /** Every secret value seen on an object so far, removed generations' included. */
    const seenSecrets = new Set<string>();

    /**
     * Fails when the stack's state file holds, in plain text, any secret the objects hold now or
     * held at an earlier check. Names how many were found, never a value.
     */
    function assertStateHasNoSecret(stack: string, objectIds: readonly string[], where: string): void {
        secretsOn(objectIds).forEach((s) => seenSecrets.add(s));
        const text = real.project.stateText(stack);
        const found = [...seenSecrets].filter((s) => text.includes(s)).length;
        assert.equal(found, 0, `${found} of ${seenSecrets.size} secret values appear in plain text in ${where}`);
    }

    const stateBytes = (stack: string): number => Buffer.byteLength(real.project.stateText(stack));
    /** Bytes of the state file of the 1-add-in story ("dev") after each of its deploys. */
    const devStateBytes: Record<string, number> = {};

    describe("stack dev, one add-in: a day with nothing to do, a key deleted by hand, the rotation day, the slot replacement day", () => {
        const STACK = "dev";
        let sp: { id: string; appId: string };
        /** The secret the first up delivered (generation 0's). */
        let gen0Secret: string;
        /** keyIds of generation 0's entries as the first up wrote them. */
        let gen0KeyIds: { sign?: string; verify?: string; password?: string };
        const GEN0 = "addin-credentials/hr-portal/gen-0/2026-12-01";
        const GEN1 = "addin-credentials/hr-portal/gen-1/2028-06-04";
        const GEN2 = "addin-credentials/hr-portal/gen-2/2029-12-07";

        before(async () => {
            // GIVEN an add-in deployed by the deploy job on its first day
            sp = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
            real.lab.emu.clock.freeze(new Date(T0));
            await initStack(STACK, [{ name: "hr-portal", clientId: sp.appId, firstGenerationStart: "2026-12-01" }]);
            const up = await deploy(STACK, TRANSPILE_ONLY);
            assert.deepEqual(up.summary?.resourceChanges, { create: 5 });
            gen0KeyIds = keyIdsOf(sp.id, GEN0);
            gen0Secret = signKeyOf(sp.id, GEN0) ?? "";
            assertSecret((await stackOutput(STACK))["hr-portal"].clientSecret, gen0Secret, "ClientSecret is generation 0's key bytes");
            devStateBytes["first up"] = stateBytes(STACK);
            assertStateHasNoSecret(STACK, [sp.id], "the state after the first up");
        });

        it("the drift job and the next deploy have nothing to do: both exit 0, and nothing is written to Graph", async () => {
            // WHEN the drift job runs that evening, and the deploy job the next morning
            real.lab.emu.clock.freeze(new Date(T0 + 12 * HOUR));
            const before = real.lab.emu.requests.length;
            const evening = await drift(STACK);
            real.lab.emu.clock.freeze(new Date(T0 + DAY));
            const morning = await deploy(STACK);

            // THEN both exit 0, change nothing and write nothing
            assert.equal(evening.code, 0, evening.stdout + evening.stderr);
            assert.deepEqual(changes(evening.steps), []);
            assert.deepEqual(morning.summary?.resourceChanges, { same: 5 });
            assert.deepEqual(changes(morning.steps), []);
            assert.deepEqual(writesSince(before), []);
            assert.deepEqual(entries(sp.id), [`Password ${GEN0}`, `Symmetric Sign ${GEN0}`, `Symmetric Verify ${GEN0}`]);
        });

        it("a Sign key deleted by hand: the drift job exits 7 naming the generation to repair, the next deploy puts it back under its own keyId with its own bytes, and drift is green again", async () => {
            // GIVEN someone deletes generation 0's Sign key on the object during day 1
            const holder = real.lab.emu.tenant.get(sp.id);
            assert.ok(holder);
            holder.keyCredentials = holder.keyCredentials.filter((k) => k.keyId !== gen0KeyIds.sign);
            assert.deepEqual(entries(sp.id), [`Password ${GEN0}`, `Symmetric Verify ${GEN0}`]);

            // WHEN the drift job runs that evening
            real.lab.emu.clock.freeze(new Date(T0 + DAY + 12 * HOUR));
            const before = real.lab.emu.requests.length;
            const red = await drift(STACK);

            // THEN it fails the job, with the CLI's exit code for --expect-no-changes, and says what would change:
            // an update of hr-portal-slot-a, whose refresh found its Sign key missing
            assert.equal(red.code, 7, red.stdout + red.stderr);
            assert.deepEqual(changes(red.steps), ["update hr-portal-slot-a"]);
            assert.ok(red.stderr.includes(CHANGES_PROPOSED), red.stderr);
            assert.match(red.stdout, new RegExp(
                `~ ${escape(GENERATION_TYPE)}: \\(update\\)\\n\\s+\\[id=${sp.id}/credentialGeneration/${gen0KeyIds.password}\\]\\n` +
                `\\s+\\[urn=urn:pulumi:dev::addin-credentials::addin-credentials:index:AddInCredentialSet\\$${escape(GENERATION_TYPE)}::hr-portal-slot-a\\]`,
            ));
            assert.match(red.stdout, /~ missing\s*: \[\n\s*\+ \[0\]: "sign"\n\s*\]/);
            assert.match(red.stdout, /Resources:\n\s+~ 1 to update\n\s+4 unchanged/);
            assert.ok(!red.stdout.includes(gen0Secret) && !red.stderr.includes(gen0Secret), "the preview prints no secret");
            assert.deepEqual(writesSince(before), [], "a preview writes nothing");

            // WHEN the deploy job runs the next morning
            real.lab.emu.clock.freeze(new Date(T0 + 2 * DAY));
            const repair = await deploy(STACK);

            // THEN it repairs the generation in place: the Sign key is back under its own keyId with
            // the same bytes, nothing else is touched, and the delivered secret is unchanged
            assert.deepEqual(changes(repair.steps), ["update hr-portal-slot-a"]);
            assert.deepEqual(keyIdsOf(sp.id, GEN0), gen0KeyIds);
            assertSecret(signKeyOf(sp.id, GEN0), gen0Secret, "the repaired Sign key holds generation 0's bytes");
            assert.deepEqual(entries(sp.id), [`Password ${GEN0}`, `Symmetric Sign ${GEN0}`, `Symmetric Verify ${GEN0}`]);
            assertSecret((await stackOutput(STACK))["hr-portal"].clientSecret, gen0Secret, "ClientSecret is still generation 0's key bytes");

            // AND the drift job that evening is green
            real.lab.emu.clock.freeze(new Date(T0 + 2 * DAY + 12 * HOUR));
            const green = await drift(STACK);
            assert.equal(green.code, 0, green.stdout + green.stderr);
            assert.deepEqual(changes(green.steps), []);
        });

        it("the rotation day: the deploy creates generation 1 in slot b beside generation 0, and delivers the newer as ClientSecret, the older as SecondaryClientSecret", async () => {
            // WHEN the deploy job runs on generation 1's start day (firstGenerationStart + 551 days)
            const rotationDay = T0 + INTERVAL * DAY;
            real.lab.emu.clock.freeze(new Date(rotationDay));
            const up = await deploy(STACK);

            // THEN slot b is created, then the inventory is updated; slot a is unchanged
            assert.deepEqual(changes(up.steps), ["create hr-portal-slot-b-bytes", "create hr-portal-slot-b", "update hr-portal-inventory"]);
            assert.deepEqual(entries(sp.id), [
                `Password ${GEN0}`, `Password ${GEN1}`, `Symmetric Sign ${GEN0}`, `Symmetric Sign ${GEN1}`, `Symmetric Verify ${GEN0}`, `Symmetric Verify ${GEN1}`,
            ]);
            assert.deepEqual(keyIdsOf(sp.id, GEN0), gen0KeyIds);

            // AND the remote web gets generation 1 as ClientSecret and generation 0 as SecondaryClientSecret
            const out = (await stackOutput(STACK))["hr-portal"];
            assertSecret(out.clientSecret, signKeyOf(sp.id, GEN1), "ClientSecret is generation 1's key bytes");
            assertSecret(out.secondaryClientSecret, gen0Secret, "SecondaryClientSecret is generation 0's key bytes");
            assert.deepEqual(out.generations.map((g) => [g.index, g.slot, g.displayName]), [[0, "a", GEN0], [1, "b", GEN1]]);

            // AND with them the add-in works: SharePoint still signs with generation 0
            const check = await real.lab.emu.checkAddIn(sp.appId, { clientSecret: out.clientSecret, secondaryClientSecret: out.secondaryClientSecret });
            assert.deepEqual([check.contextTokenValid, check.accessTokenOk, check.activeKeyId, check.reason], [true, true, gen0KeyIds.sign, null]);
            devStateBytes["rotation day (generation 1 added)"] = stateBytes(STACK);
            assertStateHasNoSecret(STACK, [sp.id], "the state after the rotation day");
        });

        it("the slot replacement day: generation 2 replaces slot a (create-replacement, then delete-replaced), generation 0's three entries are removed, generation 1's stay, and the add-in keeps working", async () => {
            // GIVEN generation 1 as the rotation day left it
            const gen1KeyIds = keyIdsOf(sp.id, GEN1);
            const gen1Secret = signKeyOf(sp.id, GEN1);

            // WHEN the deploy job runs on the day generation 0 is expired + 7 days of grace (generation 2's start)
            const replacementDay = T0 + 2 * INTERVAL * DAY;
            real.lab.emu.clock.freeze(new Date(replacementDay));
            const up = await deploy(STACK);

            // THEN slot a is replaced, create before delete; the replaced generation's delete is
            // retained at the provider, and the inventory removes generation 0, saying why
            assert.deepEqual(changes(up.steps), [
                "create-replacement hr-portal-slot-a-bytes", "replace hr-portal-slot-a-bytes",
                "create-replacement hr-portal-slot-a", "replace hr-portal-slot-a",
                "update hr-portal-inventory",
                "delete-replaced hr-portal-slot-a", "delete-replaced hr-portal-slot-a-bytes",
            ]);
            assertRetainedDelete(up, "hr-portal-slot-a", true);
            const retired = "retired: generation 0 expired 2029-11-30T00:00:00.000Z and its grace period of 7 day(s) ended 2029-12-07T00:00:00.000Z";
            for (const line of [
                `hr-portal: removed key ${gen0KeyIds.sign} (Symmetric/Sign, 2026-12-01..2029-11-30): ${retired}`,
                `hr-portal: removed key ${gen0KeyIds.verify} (Symmetric/Verify, 2026-12-01..2029-11-30): ${retired}`,
                `hr-portal: removed password ${gen0KeyIds.password} (Password, 2026-12-01..2029-11-30): ${retired}`,
            ]) {
                assert.ok(up.stdout.includes(line), `the update says: ${line}`);
            }
            assert.deepEqual(entries(sp.id), [
                `Password ${GEN1}`, `Password ${GEN2}`, `Symmetric Sign ${GEN1}`, `Symmetric Sign ${GEN2}`, `Symmetric Verify ${GEN1}`, `Symmetric Verify ${GEN2}`,
            ]);
            assert.deepEqual(keyIdsOf(sp.id, GEN1), gen1KeyIds, "generation 1 is untouched");
            const slots = real.project.checkpoint(STACK).resources.filter((r) => r.type === GENERATION_TYPE).map((r) => [nameOf(r), r.outputs?.displayName, r.delete ?? false]);
            assert.deepEqual(slots.sort(), [["hr-portal-slot-a", GEN2, false], ["hr-portal-slot-b", GEN1, false]], "slot a holds generation 2, nothing is left pending deletion");

            // AND the remote web gets generation 2 and generation 1, with which the add-in works:
            // SharePoint signs with generation 1 now
            const out = (await stackOutput(STACK))["hr-portal"];
            assertSecret(out.clientSecret, signKeyOf(sp.id, GEN2), "ClientSecret is generation 2's key bytes");
            assertSecret(out.secondaryClientSecret, gen1Secret, "SecondaryClientSecret is generation 1's key bytes");
            const check = await real.lab.emu.checkAddIn(sp.appId, { clientSecret: out.clientSecret, secondaryClientSecret: out.secondaryClientSecret });
            assert.deepEqual([check.contextTokenValid, check.accessTokenOk, check.activeKeyId, check.reason], [true, true, gen1KeyIds.sign, null]);
            devStateBytes["slot replacement day (generation 2 added, 0 removed)"] = stateBytes(STACK);
            assertStateHasNoSecret(STACK, [sp.id], "the state after the slot replacement day (generation 0's secret included)");
        });

        it("the state file holds no secret in plain text, and grows linearly with the add-ins: 10 add-ins take at most 10 times the state of 1", async () => {
            // GIVEN a stack of 10 add-ins on their first day, then on their rotation day
            const FLEET = "fleet";
            const sps = Array.from({ length: 10 }, (_, i) => real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: `Add-in ${i + 1}` }));
            real.lab.emu.clock.freeze(new Date(T0));
            await initStack(FLEET, sps.map((s, i) => ({ name: `addin-${String(i + 1).padStart(2, "0")}`, clientId: s.appId, firstGenerationStart: "2026-12-01" })));
            const first = await deploy(FLEET, TRANSPILE_ONLY);
            assert.deepEqual(first.summary?.resourceChanges, { create: 41 });
            const fleetFirst = stateBytes(FLEET);
            assertStateHasNoSecret(FLEET, sps.map((s) => s.id), "the fleet's state after the first up");
            real.lab.emu.clock.freeze(new Date(T0 + INTERVAL * DAY));
            const rotation = await deploy(FLEET, TRANSPILE_ONLY);
            assert.deepEqual(rotation.summary?.resourceChanges, { create: 20, update: 10, same: 31 });
            const fleetRotation = stateBytes(FLEET);

            // THEN no generated secret (key bytes in base64 or hex, password texts, the delivered
            // secrets, which are the key bytes) is in the state file in plain text
            const secrets = secretsOn(sps.map((s) => s.id));
            assert.equal(secrets.length, 10 * (4 * 2 + 2));
            const fleetOut = await stackOutput(FLEET);
            const delivered = Object.values(fleetOut).flatMap((o) => [o.clientSecret, o.secondaryClientSecret]);
            assert.equal(delivered.filter((d) => d === null || !secrets.includes(d)).length, 0, "every delivered secret is key bytes on an object");
            assertStateHasNoSecret(FLEET, sps.map((s) => s.id), "the fleet's state after the rotation day");
            assert.match(real.project.stateText(FLEET), /"ciphertext"/);

            // AND the state per add-in is linear: what the 9 more add-ins add is between half of and
            // all of the 1-add-in stack's state (which also holds the stack and the providers)
            const perAddIn = (fleet: number, one: number) => Math.round((fleet - one) / 9);
            const one = { first: devStateBytes["first up"], rotation: devStateBytes["rotation day (generation 1 added)"] };
            assert.ok(one.first > 0 && one.rotation > 0, "the dev story measured the 1-add-in state");
            for (const [label, fleet, single] of [["first up", fleetFirst, one.first], ["rotation day", fleetRotation, one.rotation]] as const) {
                const added = perAddIn(fleet, single);
                assert.ok(added >= single / 2 && added <= single, `${label}: 10 add-ins ${fleet} B, 1 add-in ${single} B: ${added} B per add-in`);
            }
            console.log(`      state file (bytes): 1 add-in ${JSON.stringify(devStateBytes)}; 10 add-ins: first up ${fleetFirst}, rotation day ${fleetRotation}; ` +
                `each add-in beyond the first: first up ${perAddIn(fleetFirst, one.first)}, rotation day ${perAddIn(fleetRotation, one.rotation)}`);
        });
    });

    describe("stack prod, two add-ins: one taken out of the stack, an emergency rotation, a hand edit and refresh, decommission, destroy", () => {
        const STACK = "prod";
        let hr: { id: string; appId: string };
        let crm: { id: string; appId: string };
        let hrEntry: AddInEntry;
        const EMERGENCY = T0 + 100 * DAY;
        const ROTATIONS = [{ at: new Date(EMERGENCY).toISOString(), revokePrevious: true }];
        const HR0 = "addin-credentials/hr-portal/gen-0/2026-12-01";
        const HR1 = "addin-credentials/hr-portal/gen-1/2027-03-11";
        const CRM0 = "addin-credentials/crm/gen-0/2026-12-01";

        before(async () => {
            // GIVEN two add-ins deployed on their first day, crm with Entra's generated password as its secret
            hr = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "HR portal" });
            crm = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "CRM" });
            hrEntry = { name: "hr-portal", clientId: hr.appId, firstGenerationStart: "2026-12-01" };
            real.lab.emu.clock.freeze(new Date(T0));
            await initStack(STACK, [hrEntry, { name: "crm", clientId: crm.appId, firstGenerationStart: "2026-12-01", valueSource: "entra-password" }]);
            const up = await deploy(STACK, TRANSPILE_ONLY);
            assert.deepEqual(up.summary?.resourceChanges, { create: 8 });
            assert.deepEqual(entries(crm.id), [`Password ${CRM0}`, `Symmetric Sign ${CRM0}`, `Symmetric Verify ${CRM0}`]);
            // The password text Entra generated is crm's secret: the state holds it only encrypted
            assertStateHasNoSecret(STACK, [hr.id, crm.id], "the state of the two add-ins");
        });

        it("an add-in taken out of the stack keeps its credentials: its three resources are deleted from the state, the generation's delete is retained, and nothing is written to Graph", async () => {
            // GIVEN crm's generation is registered with retainOnDelete
            const crmSlot = real.project.checkpoint(STACK).resources.find((r) => nameOf(r) === "crm-slot-a");
            assert.equal(crmSlot?.retainOnDelete, true);
            const crmKeyIds = keyIdsOf(crm.id, CRM0);
            assert.deepEqual(crmKeyIds, { sign: crmSlot?.outputs?.signKeyId, verify: crmSlot?.outputs?.verifyKeyId, password: crmSlot?.outputs?.passwordKeyId });

            // WHEN crm is removed from the stack file and the deploy job runs
            writeStack(STACK, [hrEntry]);
            real.lab.emu.clock.freeze(new Date(T0 + DAY));
            const before = real.lab.emu.requests.length;
            const up = await deploy(STACK);

            // THEN crm's resources are deleted from the state, the generation "[retain]" as the CLI
            // prints it, and its three entries stay on the object, untouched
            assert.deepEqual(changes(up.steps), ["delete crm-inventory", "delete crm-slot-a", "delete crm"], "no RandomBytes: crm's secret is Entra's password");
            assertRetainedDelete(up, "crm-slot-a");
            assert.deepEqual(real.project.checkpoint(STACK).resources.filter((r) => nameOf(r).startsWith("crm")), []);
            assert.deepEqual(writesSince(before), []);
            assert.deepEqual(keyIdsOf(crm.id, CRM0), crmKeyIds);
            assert.deepEqual(entries(crm.id), [`Password ${CRM0}`, `Symmetric Sign ${CRM0}`, `Symmetric Verify ${CRM0}`]);
        });

        it("an emergency rotation with revokePrevious: generation 1 is created and primary, generation 0's entries are removed in the same up, and the add-in is down until the new key has propagated", async () => {
            const hr0KeyIds = keyIdsOf(hr.id, HR0);

            // WHEN the operator adds a manual rotation with revokePrevious at now, and the deploy job runs
            real.lab.emu.clock.freeze(new Date(EMERGENCY));
            writeStack(STACK, [{ ...hrEntry, manualRotations: ROTATIONS }]);
            const up = await deploy(STACK);

            // THEN generation 1 is created in slot b, the inventory removes generation 0 (saying
            // why), and slot a leaves the state with its delete retained
            assert.deepEqual(changes(up.steps), [
                "create hr-portal-slot-b-bytes", "create hr-portal-slot-b", "update hr-portal-inventory", "delete hr-portal-slot-a", "delete hr-portal-slot-a-bytes",
            ]);
            assertRetainedDelete(up, "hr-portal-slot-a");
            assert.deepEqual(entries(hr.id), [`Password ${HR1}`, `Symmetric Sign ${HR1}`, `Symmetric Verify ${HR1}`]);
            assert.deepEqual(real.lab.emu.tenant.credentials(hr.id).keyCredentials.map((k) => k.endDateTime), ["2030-03-10T06:00:00Z", "2030-03-10T06:00:00Z"]);
            const revoked = "retired: generation 0 was revoked by manualRotations[0] at 2027-03-11T06:00:00.000Z";
            assert.ok(up.stdout.includes(`hr-portal: removed key ${hr0KeyIds.sign} (Symmetric/Sign, 2026-12-01..2029-11-30): ${revoked}`), up.stdout);
            assert.ok(up.stdout.includes(
                "warning: hr-portal: manualRotations[0] (2027-03-11T06:00:00.000Z) revokes generation 0 at once: the only remaining managed key, generation 1, " +
                "can take up to propagationHours (24) to propagate, so the add-in can fail until 2027-03-12T06:00:00.000Z.",
            ), up.stdout);

            assertStateHasNoSecret(STACK, [hr.id], "the state after the emergency rotation (generation 0's secret included)");

            // AND generation 1 alone is delivered
            const out = (await stackOutput(STACK))["hr-portal"];
            assertSecret(out.clientSecret, signKeyOf(hr.id, HR1), "ClientSecret is generation 1's key bytes");
            assert.equal(out.secondaryClientSecret, null);
            assert.deepEqual(out.generations.map((g) => [g.index, g.slot, g.displayName]), [[1, "b", HR1]]);

            // AND, as the warning says, the add-in fails until generation 1 has propagated, then works
            const secrets = { clientSecret: out.clientSecret, secondaryClientSecret: null };
            const now = await real.lab.emu.checkAddIn(hr.appId, secrets);
            assert.deepEqual([now.contextTokenValid, now.activeKeyId], [false, null]);
            assert.match(now.reason ?? "", /no active signing key \(not-yet-propagated\)/);
            real.lab.emu.clock.freeze(new Date(EMERGENCY + DAY));
            const later = await real.lab.emu.checkAddIn(hr.appId, secrets);
            assert.deepEqual([later.contextTokenValid, later.accessTokenOk, later.reason], [true, true, null]);
        });

        it("pulumi refresh --yes after a hand edit (generation 1's password deleted, its Verify key's end date changed) records both in the state and writes nothing to Graph", async () => {
            // GIVEN someone deletes generation 1's password and re-creates its Verify key with another end date
            const slotBefore = slotOf(STACK, "hr-portal-slot-b");
            assert.deepEqual([slotBefore?.outputs?.missing, slotBefore?.outputs?.drift], [[], []]);
            const holder = real.lab.emu.tenant.get(hr.id);
            assert.ok(holder);
            holder.passwordCredentials = [];
            holder.keyCredentials = holder.keyCredentials.map((k) => (k.usage === "Verify" ? { ...k, endDateTime: new Date("2029-03-10T06:00:00Z") } : k));
            const edited = real.lab.emu.tenant.credentials(hr.id);

            // WHEN the operator refreshes the stack
            real.lab.emu.clock.freeze(new Date(EMERGENCY + 2 * DAY));
            const before = real.lab.emu.requests.length;
            const refresh = await real.project.pulumi(["refresh", "--yes", "--stack", STACK], { eventLog: true, env: TRANSPILE_ONLY });

            // THEN the state of slot b says what is missing and what changed; nothing else changes
            assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
            assert.deepEqual(refresh.summary?.resourceChanges, { same: 4, update: 1 });
            const slot = slotOf(STACK, "hr-portal-slot-b");
            assert.deepEqual(slot?.outputs?.missing, ["password"]);
            assert.deepEqual(slot?.outputs?.drift, ['verify: endDateTime is 2029-03-10T06:00:00Z, expected 2030-03-10T06:00:00Z']);
            assert.equal(slot?.outputs?.displayName, HR1);
            // (the inventory's state too, though the CLI counts no update for it: its Diff, which the
            // refresh asks, sees no input change)
            const inventory = slotOf(STACK, "hr-portal-inventory")?.outputs?.entries as { kind: string; usage: string; endDateTime: string }[] | undefined;
            assert.deepEqual(inventory?.map((e) => `${e.kind} ${e.usage} ${e.endDateTime}`).sort(), ["key Sign 2030-03-10T06:00:00Z", "key Verify 2029-03-10T06:00:00Z"]);

            // AND the object is as the hand edit left it: a refresh only reads
            assert.deepEqual(writesSince(before), []);
            assert.ok(isDeepStrictEqual(real.lab.emu.tenant.credentials(hr.id), edited), "the object holds exactly what the hand edit left");
        });

        it("decommission removes every entry of the set in one up, then pulumi destroy --yes empties the state and writes nothing to Graph", async () => {
            // WHEN hr-portal is decommissioned and the deploy job runs
            real.lab.emu.clock.freeze(new Date(EMERGENCY + 3 * DAY));
            writeStack(STACK, [{ ...hrEntry, manualRotations: ROTATIONS, decommission: true }]);
            const up = await deploy(STACK);

            // THEN the inventory removes what is left of generation 1 (its edited Verify key
            // included), the slot leaves the state with its delete retained, and nothing is delivered
            assert.deepEqual(changes(up.steps), ["update hr-portal-inventory", "delete hr-portal-slot-b", "delete hr-portal-slot-b-bytes"]);
            assertRetainedDelete(up, "hr-portal-slot-b");
            assert.deepEqual(entries(hr.id), []);
            assert.ok(up.stdout.includes("warning: hr-portal: decommission is set: no generation is declared or delivered, and the inventory removes every entry of this set."), up.stdout);
            const out = (await stackOutput(STACK))["hr-portal"];
            assert.deepEqual([out.clientSecret, out.secondaryClientSecret, out.generations], [null, null, []]);
            assert.deepEqual(real.project.checkpoint(STACK).resources.filter((r) => !r.type.startsWith("pulumi:providers:")).map(nameOf), ["addin-credentials-prod", "hr-portal", "hr-portal-inventory"]);
            assertStateHasNoSecret(STACK, [hr.id], "the state after decommission");

            // WHEN the stack is destroyed
            const before = real.lab.emu.requests.length;
            const destroy = await real.project.pulumi(["destroy", "--yes", "--stack", STACK], { eventLog: true, env: TRANSPILE_ONLY });

            // THEN the inventory, the component and the stack are deleted, the state holds no
            // resource, and Graph sees only reads; crm, out of the stack since day 1, keeps its generation
            assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
            assert.deepEqual(changes(destroy.steps), ["delete hr-portal-inventory", "delete hr-portal", "delete addin-credentials-prod"]);
            const latest = (JSON.parse(real.project.stateText(STACK)) as { checkpoint: { latest: { resources?: unknown[] } } }).checkpoint.latest;
            assert.equal(latest.resources, undefined);
            assert.deepEqual(writesSince(before), []);
            assert.deepEqual(entries(hr.id), []);
            assert.deepEqual(entries(crm.id), [`Password ${CRM0}`, `Symmetric Sign ${CRM0}`, `Symmetric Verify ${CRM0}`]);
        });
    });

    function slotOf(stack: string, name: string): StateResource | undefined {
        return real.project.checkpoint(stack).resources.find((r) => nameOf(r) === name);
    }
});

/** Every step that changes something (not same, not refresh, not read), `op name`, in the order they started. */
function changes(steps: readonly CliStep[] | undefined): string[] {
    return resourceSteps(steps).filter((s) => !["same", "refresh", "read"].includes(s.op)).map((s) => `${s.op} ${s.name}`);
}

/**
 * The CLI's own line for a generation deleted from the state and retained at the provider (its
 * entries stay on the object): `- … deleted (0.04s)[retain]`, or for the replaced generation of a
 * replacement `-- … deleted original (0.02s)[retain] [diff: …]`.
 */
function assertRetainedDelete(up: CliResult, name: string, replaced = false): void {
    const line = replaced ? `-- ${escape(GENERATION_TYPE)} ${name} deleted original` : `- {2}${escape(GENERATION_TYPE)} ${name} deleted`;
    assert.match(up.stdout, new RegExp(`${line} \\([\\d.]+s\\)\\[retain\\]`));
}

/** Compares two secret values without printing either when they differ. */
function assertSecret(actual: string | null | undefined, expected: string | null | undefined, what: string): asserts actual is string {
    assert.ok(typeof expected === "string" && expected !== "", `${what}: there is such a secret to compare with`);
    assert.ok(actual === expected, what);
}

/** A state resource's name: the URN's last part. */
function nameOf(r: StateResource): string {
    return r.urn.slice(r.urn.lastIndexOf("::") + 2);
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
