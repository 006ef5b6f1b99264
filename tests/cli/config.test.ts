// Pulumi.yaml's config declarations checked the way the real CLI checks them, before any program
// runs (pkg/workspace/config.go: project defaults merged into the stack's config, declared keys
// typed, a declared key without default required): every stack file in stacks/ passes that check
// and previews, and the CLI's own refusals and the program's refusal of a plain-text
// adoptedClientSecrets read as they should. (The README's stack block is run by tests/readme.test.ts.)
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { resourceSteps } from "../../cli/realProject";
import { useRealLab } from "../support/realLab";

const STACKS = path.join(__dirname, "..", "..", "stacks");
const NOW = new Date("2026-12-08T06:00:00Z");
/** The CLI's words when a stack's config fails the check; a program never starts after it. */
const CLI_CONFIG_ERROR = "error: validating stack config:";

interface StackEntry { name: string; clientId: string; valueSource?: string; adoptedKeyIds?: string[]; adoptedSecretEndDateTime?: string }

describe("the real Pulumi CLI: stack config", function () {
    this.timeout(300_000);
    const real = useRealLab({ per: "suite", project: { transpileOnly: true } });

    before(() => {
        real.lab.emu.clock.freeze(NOW);
    });

    /** `pulumi stack init` for a stack whose file is `text` (its salt added by the CLI). */
    async function stackWithFile(stack: string, text: string): Promise<void> {
        const init = await real.project.pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        assert.equal(init.code, 0, init.stderr);
        const salt = fs.readFileSync(real.project.stackFile(stack), "utf8");
        fs.writeFileSync(real.project.stackFile(stack), `${salt}${text}`);
    }

    /** Each add-in of a stack file, as an object of the emulator's tenant with that client id. */
    function addInsOf(text: string): StackEntry[] {
        const doc = yaml.load(text) as { config: Record<string, unknown> };
        return doc.config["addin-credentials:addins"] as StackEntry[];
    }

    it("stacks/Pulumi.prod.yaml passes the CLI's check and previews every add-in, once the adopted secret is set encrypted", async () => {
        // GIVEN the committed file, and the tenant it describes: the two add-ins, the adopted
        // secret's three entries on the expense tracker's Legacy principal
        const text = fs.readFileSync(path.join(STACKS, "Pulumi.prod.yaml"), "utf8");
        for (const entry of addInsOf(text)) {
            if (entry.valueSource === "entra-password") {
                real.lab.emu.tenant.addApplication({ appId: entry.clientId });
                continue;
            }
            const sp = real.lab.emu.tenant.addLegacyServicePrincipal({ appId: entry.clientId });
            const [sign, verify, password] = entry.adoptedKeyIds ?? [];
            const key = randomBytes(32).toString("base64");
            const dates = { startDateTime: "2024-03-15T00:00:00Z", endDateTime: entry.adoptedSecretEndDateTime };
            real.lab.emu.tenant.seedCredentials(sp.id, {
                keyCredentials: [{ type: "Symmetric", usage: "Sign", key, keyId: sign, ...dates }, { type: "Symmetric", usage: "Verify", key, keyId: verify, ...dates }],
                passwordCredentials: [{ keyId: password, secretText: key, ...dates }],
            });
        }
        await stackWithFile("prod", text);

        // WHEN previewed as committed, the CLI accepts the config and the program refuses the adoption
        // that lacks its secret; with the secret set as the file's header says, it previews
        const withoutSecret = await real.project.pulumi(["preview", "--stack", "prod"]);
        assert.equal(withoutSecret.code, 1, withoutSecret.stdout);
        assert.ok(!withoutSecret.stdout.includes(CLI_CONFIG_ERROR), withoutSecret.stdout);
        assert.match(withoutSecret.stdout, /error: Config addin-credentials:addins\[1\] \(expense-tracker\)\.adoptedKeyIds is \["7c1e2f30-.*? but addin-credentials:adoptedClientSecrets has no entry "expense-tracker": set the secret/);
        assert.doesNotMatch(withoutSecret.stdout, /unhandled exception|at parseAddIns/, "a config refusal is shown without the program's stack trace");
        const set = await real.project.pulumi(["config", "set", "--stack", "prod", "--secret", "--path", "adoptedClientSecrets.expense-tracker", "s3cret-from-web.config"]);
        assert.equal(set.code, 0, set.stderr);
        assert.match(fs.readFileSync(real.project.stackFile("prod"), "utf8"), /addin-credentials:adoptedClientSecrets:\n\s+expense-tracker:\n\s+secure: v1:/);
        const preview = await real.project.pulumi(["preview", "--stack", "prod"], { eventLog: true });

        // THEN the preview plans both add-ins' sets (contract-review's generation 0 starts on
        // 2027-01-04, so it plans no generation yet, and nothing is delivered before then)
        assert.equal(preview.code, 0, preview.stdout + preview.stderr);
        assert.deepEqual(resourceSteps(preview.steps).filter((s) => s.op === "create").map((s) => s.name).sort(), [
            "addin-credentials-prod", "contract-review", "contract-review-inventory",
            "expense-tracker", "expense-tracker-delivery", "expense-tracker-inventory", "expense-tracker-slot-a", "expense-tracker-slot-a-bytes",
        ]);
    });

    it("stacks/Pulumi.dev.yaml passes the CLI's check; its preview stops only where azure-native (Key Vault delivery) is needed, which cannot be built here", async () => {
        const text = fs.readFileSync(path.join(STACKS, "Pulumi.dev.yaml"), "utf8");
        for (const entry of addInsOf(text)) {
            real.lab.emu.tenant.addLegacyServicePrincipal({ appId: entry.clientId });
        }
        await stackWithFile("dev", text);
        const preview = await real.project.pulumi(["preview", "--stack", "dev"]);
        assert.equal(preview.code, 1);
        assert.ok(!preview.stdout.includes(CLI_CONFIG_ERROR), preview.stdout);
        assert.match(preview.stdout + preview.stderr, /no resource plugin 'pulumi-resource-azure-native' found in the workspace/);
    });

    it("refuses what Pulumi.yaml types otherwise, and a stack without add-ins, before the program runs", async () => {
        await stackWithFile("typo", "config:\n  addin-credentials:addins: hr-portal\n");
        const typed = await real.project.pulumi(["preview", "--stack", "typo"]);
        assert.equal(typed.code, 1);
        assert.match(typed.stdout + typed.stderr, /error: validating stack config: Stack 'typo' with configuration key 'addins' must be of type 'array<object>'/);

        await stackWithFile("empty", "config: {}\n");
        const missing = await real.project.pulumi(["preview", "--stack", "empty"]);
        assert.equal(missing.code, 1);
        assert.match(missing.stdout + missing.stderr, /Stack 'empty' is missing configuration value 'addins'/);
    });

    it("an adoptedClientSecrets set without --secret is refused by the program, naming the key and the fix, never the secret", async () => {
        const sp = real.lab.emu.tenant.addLegacyServicePrincipal({ displayName: "Plain text" });
        await stackWithFile("plain", `config:\n  addin-credentials:addins:\n    - name: crm\n      clientId: ${sp.appId}\n      firstGenerationStart: "2026-12-01"\n`);
        const set = await real.project.pulumi(["config", "set", "--stack", "plain", "--plaintext", "--path", "adoptedClientSecrets.crm", "pl41n-t3xt-s3cret"]);
        assert.equal(set.code, 0, set.stderr);
        const preview = await real.project.pulumi(["preview", "--stack", "plain"]);
        assert.equal(preview.code, 1);
        assert.match(preview.stdout, /Config addin-credentials:adoptedClientSecrets is stored in plain text in the stack file, and it holds client secrets: remove it from the stack file \(pulumi config rm addin-credentials:adoptedClientSecrets\)/);
        assert.ok(!(preview.stdout + preview.stderr).includes("pl41n-t3xt-s3cret"), "the refusal shows the secret");
        assert.equal(real.lab.emu.tenant.credentials(sp.id).keyCredentials.length, 0);
    });
});
