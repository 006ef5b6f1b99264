// CredentialGeneration run as `pulumi up` runs it: the serialized provider text is served by
// Pulumi's own dynamic provider host (a child process, over gRPC), which talks HTTP to the
// in-process Graph emulator. Each test starts from a reset emulator.
import * as assert from "node:assert/strict";
import { CREDENTIAL_GENERATION_MODULE, CREDENTIAL_GENERATION_TYPE } from "../components/credentialGeneration";
import { graphEnv } from "../components/graph/env";
import { providerShim } from "../components/providerShim";
import { Emulator, startEmulator } from "../emulator";
import { dynamicUrn, ProviderHost, serializeProvider, startProviderHost, withProvider } from "../engine/providerHost";
import { Props } from "../engine/wire";
import { addAddInPrincipal, AddInKind, generationProps } from "../tools/lab";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("CredentialGeneration in Pulumi's dynamic provider host", function () {
    this.timeout(30_000);

    let emu: Emulator;
    let host: ProviderHost;
    let providerText: string;
    /** Every secret value seen in the run: scanned for in errors, logs and non-secret outputs. */
    const secrets = new Set<string>();
    /** Every error message the host returned. */
    const errorMessages: string[] = [];
    /** Request counts per operation, printed at the end. */
    const counts: { operation: string; requests: number; minimum: number; detail: string }[] = [];
    let seq = 0;

    before(async () => {
        emu = await startEmulator({ port: 0 });
        providerText = await serializeProvider(providerShim("CredentialGeneration"));
        host = await startProviderHost({
            env: graphEnv({ url: emu.url, token: emu.token, retryBaseMs: 5, maxAttempts: 4, timeoutMs: 500 }),
        });
    });

    beforeEach(() => emu.reset());

    after(async () => {
        await host?.stop();
        await emu?.close();
        if (counts.length > 0) {
            console.log("\n    Graph requests per operation (emulator log) vs the API minimum:");
            for (const c of counts) {
                console.log(`      ${c.operation.padEnd(44)} ${String(c.requests).padStart(2)}  (minimum ${c.minimum}: ${c.detail})`);
            }
        }
    });

    // ---- helpers ----------------------------------------------------------------------------

    type Kind = AddInKind;

    /** A principal of the given kind; returns its client id and the object holding credentials. */
    const principal = (kind: Kind): { appId: string; objectId: string } => addAddInPrincipal(emu, kind);

    function inputs(clientId: string, valueSource: "random-bytes" | "entra-password", overrides: Props = {}): Props {
        const keyMaterial = valueSource === "random-bytes" ? randomKey() : undefined;
        return { ...generationProps(emu.clock.now(), clientId, valueSource, `addin-credentials gen ${++seq}`, keyMaterial), ...overrides };
    }

    function randomKey(): string {
        const k = Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString("base64");
        secrets.add(k);
        return k;
    }

    function urn(name: string): string {
        return dynamicUrn(name, CREDENTIAL_GENERATION_MODULE, CREDENTIAL_GENERATION_TYPE);
    }

    /** check + create, as the engine does for a new resource. */
    async function up(news: Props, name = "gen"): Promise<{ id: string; outs: Props }> {
        const checked = await host.check(urn(name), {}, withProvider(providerText, news));
        assert.deepEqual(checked.failures, []);
        const created = await host.create(urn(name), checked.inputs);
        secrets.add(String(created.outs.clientSecret));
        return created;
    }

    /** The object's stored credentials; every password seen is added to the secrets to scan for. */
    function holdings(objectId: string) {
        const c = emu.tenant.credentials(objectId);
        c.passwordCredentials.forEach((p) => secrets.add(p.secretText));
        return c;
    }

    /** The entries named `displayName`; a successful create has exactly three. */
    function tagged(objectId: string, displayName: unknown) {
        const c = holdings(objectId);
        return {
            keys: c.keyCredentials.filter((k) => k.displayName === displayName),
            passwords: c.passwordCredentials.filter((p) => p.displayName === displayName),
        };
    }

    function assertGeneration(objectId: string, outs: Props): void {
        const t = tagged(objectId, outs.displayName);
        assert.equal(t.keys.length, 2, "two Symmetric keys");
        assert.equal(t.passwords.length, 1, "one password");
        const sign = t.keys.find((k) => k.keyId === outs.signKeyId);
        const verify = t.keys.find((k) => k.keyId === outs.verifyKeyId);
        assert.ok(sign && verify);
        assert.equal(sign.type, "Symmetric");
        assert.equal(sign.usage, "Sign");
        assert.equal(verify.type, "Symmetric");
        assert.equal(verify.usage, "Verify");
        assert.equal(t.passwords[0].keyId, outs.passwordKeyId);
        const keyBytes = Buffer.from(String(outs.clientSecret), "base64");
        for (const entry of [sign, verify, t.passwords[0]]) {
            assert.equal(Date.parse(entry.startDateTime), Date.parse(String(outs.startDateTime)));
            assert.equal(Date.parse(entry.endDateTime), Date.parse(String(outs.endDateTime)));
        }
        assert.deepEqual(sign.keyBytes, keyBytes);
        assert.deepEqual(verify.keyBytes, keyBytes);
        if (outs.valueSource === "entra-password") {
            assert.deepEqual(keyBytes, Buffer.from(t.passwords[0].secretText, "utf8"), "key bytes are the UTF-8 of the password");
        } else {
            assert.equal(outs.clientSecret, outs.keyMaterial);
            assert.equal(keyBytes.length, 32);
        }
    }

    /** Outputs that the engine does not mark secret must not contain a secret. */
    function assertNoSecretInPublicOutputs(outs: Props): void {
        const { clientSecret: _c, keyMaterial: _k, __provider: _p, ...rest } = outs;
        const text = JSON.stringify(rest);
        for (const s of secrets) {
            assert.ok(!text.includes(s), "a secret appears in a non-secret output");
        }
    }

    function requestsSince(mark: number) {
        return emu.requests.slice(mark).filter((r) => !r.operation.startsWith("acs."));
    }

    // ---- both value sources on both target kinds --------------------------------------------

    for (const kind of ["servicePrincipal", "application"] as const) {
        for (const valueSource of ["random-bytes", "entra-password"] as const) {
            it(`writes Sign, Verify and Password with shared dates and key bytes on a ${kind} (${valueSource})`, async () => {
                // GIVEN an add-in principal with one unrelated credential
                const p = principal(kind);
                emu.tenant.seedCredentials(p.objectId, { passwordCredentials: [{ displayName: "someone else's" }] });
                // WHEN the generation is checked (preview) and created through the host
                const mark = emu.requests.length;
                const checked = await host.check(urn("gen"), {}, withProvider(providerText, inputs(p.appId, valueSource)));
                assert.deepEqual(checked.failures, []);
                const afterCheck = emu.requests.length;
                const { id, outs } = await host.create(urn("gen"), checked.inputs);
                secrets.add(String(outs.clientSecret));

                // THEN the three entries hold the secret the outputs report
                assert.equal(outs.targetKind, kind);
                assert.equal(outs.objectId, p.objectId);
                assert.equal(id, `${p.objectId}/credentialGeneration/${String(outs.passwordKeyId)}`);
                assertGeneration(p.objectId, outs);
                assertNoSecretInPublicOutputs(outs);

                // AND the requests are the API minimum plus one GET. check: resolving the client
                // id (1 GET; 2 for an application-backed principal). create: resolve again (another
                // process may run it), GET for leftovers, addPassword, GET for the merge (right
                // before the PATCH, so that a key another tool added meanwhile is kept; the one
                // request above the minimum), PATCH, and 2 confirming reads (Graph is eventually
                // consistent; one read could be a lagging replica).
                const resolve = kind === "servicePrincipal" ? 1 : 2;
                const set = kind === "servicePrincipal" ? "servicePrincipals" : "applications";
                const checkOps = requestsSince(mark).slice(0, afterCheck - mark).map((r) => r.operation);
                const createOps = requestsSince(afterCheck).map((r) => r.operation);
                assert.equal(checkOps.length, resolve, checkOps.join(", "));
                assert.deepEqual(createOps.slice(resolve), [`${set}.get`, `${set}.addPassword`, `${set}.get`, `${set}.update`, `${set}.get`, `${set}.get`]);
                assert.equal(createOps.length, resolve + 4 + 2, createOps.join(", "));
                counts.push({ operation: `check ${kind}`, requests: checkOps.length, minimum: resolve, detail: checkOps.join(", ") });
                counts.push({
                    operation: `create ${kind} ${valueSource}`,
                    requests: createOps.length,
                    minimum: resolve + 3 + 2,
                    detail: `resolve ${resolve}, GET, addPassword, GET (merge base right before the PATCH), PATCH, 2 confirming GETs`,
                });

                // AND once propagated, ACS and TokenHelper accept the ClientSecret
                emu.clock.advance(25 * HOUR);
                const check = await emu.checkAddIn(p.appId, { clientSecret: String(outs.clientSecret) });
                assert.equal(check.reason, null);
                assert.ok(check.contextTokenValid && check.accessTokenOk);
            });
        }
    }

    // ---- delete -------------------------------------------------------------------------------

    it("deletes only its own three entries; foreign entries survive byte for byte", async () => {
        // GIVEN foreign keys and passwords and two generations on one object
        const p = principal("servicePrincipal");
        emu.tenant.seedCredentials(p.objectId, {
            keyCredentials: [
                { type: "Symmetric", usage: "Sign", key: randomKey(), displayName: "lingering" },
                { type: "AsymmetricX509Cert", usage: "Verify", key: Buffer.from("not really a cert").toString("base64") },
            ],
            passwordCredentials: [{ displayName: "other tool" }],
        });
        const kept = await up(inputs(p.appId, "entra-password"), "kept");
        const foreign = holdings(p.objectId);
        const doomed = await up(inputs(p.appId, "random-bytes"), "doomed");
        const before = emu.requests.length;

        // WHEN one generation is deleted
        await host.delete(doomed.id, urn("doomed"), doomed.outs);

        // THEN everything else is exactly as before it was created
        assert.deepEqual(holdings(p.objectId), foreign);
        assertGeneration(p.objectId, kept.outs);
        // AND the request count is the API minimum: GET for the merge, PATCH, removePassword, and
        // two confirming reads after each of the two writes.
        const used = requestsSince(before);
        counts.push({ operation: "delete", requests: used.length, minimum: 7, detail: "GET, PATCH, 2 confirming GETs, removePassword, 2 confirming GETs" });
        assert.equal(used.length, 7, used.map((r) => r.operation).join(", "));
    });

    it("tolerates entries already gone when deleting", async () => {
        const p = principal("application");
        const gen = await up(inputs(p.appId, "random-bytes"));
        await outOfBandRemove(p.objectId, [String(gen.outs.signKeyId), String(gen.outs.verifyKeyId)], [String(gen.outs.passwordKeyId)]);
        await host.delete(gen.id, urn("gen"), gen.outs);
        assert.deepEqual(tagged(p.objectId, gen.outs.displayName), { keys: [], passwords: [] });
    });

    // ---- concurrency ----------------------------------------------------------------------------

    it("loses nothing when two generations are created and one deleted concurrently on one object", async () => {
        // GIVEN an existing generation and a foreign key, with stale reads after every write
        const p = principal("servicePrincipal");
        emu.tenant.seedCredentials(p.objectId, { keyCredentials: [{ type: "Symmetric", usage: "Verify", key: randomKey(), displayName: "foreign" }] });
        const old = await up(inputs(p.appId, "random-bytes"), "old");
        emu.faults.readAfterWriteLag(2);

        // WHEN two creates and the delete run at the same time in one provider process
        const a = inputs(p.appId, "random-bytes");
        const b = inputs(p.appId, "entra-password");
        const [ca, cb] = await Promise.all([
            host.check(urn("a"), {}, withProvider(providerText, a)).then((c) => host.create(urn("a"), c.inputs)),
            host.check(urn("b"), {}, withProvider(providerText, b)).then((c) => host.create(urn("b"), c.inputs)),
            host.delete(old.id, urn("old"), old.outs),
        ]);
        secrets.add(String(cb.outs.clientSecret));

        // THEN both new generations are complete, the old one is gone, the foreign key is intact
        assertGeneration(p.objectId, ca.outs);
        assertGeneration(p.objectId, cb.outs);
        assert.deepEqual(tagged(p.objectId, old.outs.displayName), { keys: [], passwords: [] });
        assert.equal(tagged(p.objectId, "foreign").keys.length, 1);
        assert.equal(holdings(p.objectId).keyCredentials.length, 5);
        assert.equal(holdings(p.objectId).passwordCredentials.length, 2);
    });

    // ---- faults ---------------------------------------------------------------------------------

    /** Runs a create under a fault; returns the outcome and asserts "three or nothing". */
    async function createUnder(kind: Kind, valueSource: "random-bytes" | "entra-password", arrange: () => void) {
        const p = principal(kind);
        const news = inputs(p.appId, valueSource);
        const checked = await host.check(urn("f"), {}, withProvider(providerText, news));
        arrange();
        const mark = emu.requests.length;
        const started = Date.now();
        const result = await host.create(urn("f"), checked.inputs).then(
            (r) => ({ ok: true as const, outs: r.outs }),
            (e: unknown) => ({ ok: false as const, error: e as Error }),
        );
        emu.faults.reset();
        const t = tagged(p.objectId, news.displayName);
        if (result.ok) {
            secrets.add(String(result.outs.clientSecret));
            assertGeneration(p.objectId, result.outs);
        } else {
            errorMessages.push(result.error.message);
            assert.deepEqual({ keys: t.keys.length, passwords: t.passwords.length }, { keys: 0, passwords: 0 }, "a failed create leaves nothing behind");
        }
        // What the faults did, "<operation> <status> <fault>" per request they acted on, so each
        // test proves its fault fired (a stale read is a 404 or an older view, which no status shows).
        const fired = emu.requests.slice(mark).filter((r) => r.faults.length > 0).map((r) => `${r.operation} ${r.status} ${r.faults.join("+")}`);
        const reads = emu.requests.slice(mark).filter((r) => r.method === "GET").length;
        return { ...result, p, ms: Date.now() - started, fired, reads };
    }

    it("honours Retry-After on a 429", async () => {
        const r = await createUnder("servicePrincipal", "random-bytes", () => emu.faults.throttle({ retryAfterSeconds: 1, match: { method: "PATCH" } }));
        assert.ok(r.ok);
        assert.deepEqual(r.fired, ["servicePrincipals.update 429 throttle"]);
        assert.ok(r.ms >= 1000, `waited ${r.ms} ms`);
    });

    it("backs off on 429s without Retry-After, including on addPassword", async () => {
        const r = await createUnder("application", "entra-password", () => emu.faults.throttle({ times: 2, match: { operation: "applications.addPassword" } }));
        assert.ok(r.ok);
        assert.deepEqual(r.fired, ["applications.addPassword 429 throttle", "applications.addPassword 429 throttle"]);
    });

    it("adopts rather than duplicates when addPassword fails with a 5xx", async () => {
        const r = await createUnder("servicePrincipal", "random-bytes", () => emu.faults.serverError({ status: 500, match: { operation: "servicePrincipals.addPassword" } }));
        assert.ok(r.ok);
        assert.deepEqual(r.fired, ["servicePrincipals.addPassword 500 serverError"]);
    });

    it("retries a PATCH that fails with 503s", async () => {
        const r = await createUnder("application", "random-bytes", () => emu.faults.serverError({ times: 2, match: { method: "PATCH" } }));
        assert.ok(r.ok);
        assert.deepEqual(r.fired, ["applications.update 503 serverError", "applications.update 503 serverError"]);
    });

    it("rolls the password back when the PATCH keeps failing", async () => {
        const r = await createUnder("servicePrincipal", "entra-password", () => emu.faults.serverError({ times: 4, match: { method: "PATCH" } }));
        assert.ok(!r.ok);
        assert.match(r.error.message, /update keyCredentials on servicePrincipal [0-9a-f-]+ failed with HTTP 503/);
    });

    it("times out a request that never answers and retries it", async () => {
        const r = await createUnder("servicePrincipal", "random-bytes", () => emu.faults.hang({ ms: null, match: { method: "PATCH" } }));
        assert.ok(r.ok);
        assert.ok(r.ms >= 500, `waited ${r.ms} ms`);
    });

    it("adopts rather than duplicates when addPassword times out", async () => {
        const r = await createUnder("application", "entra-password", () => emu.faults.hang({ ms: null, match: { operation: "applications.addPassword" } }));
        assert.ok(r.ok);
        assert.equal(r.fired.filter((f) => f.startsWith("applications.addPassword ") && f.endsWith(" hang")).length, 1, r.fired.join("; "));
    });

    it("confirms through stale reads", async () => {
        const plain = await createUnder("application", "entra-password", () => undefined);
        const r = await createUnder("application", "entra-password", () => emu.faults.readAfterWriteLag(3));
        assert.ok(r.ok);
        // The stale reads showed: the create read more often than without the lag, until it saw its keys.
        assert.ok(r.reads > plain.reads, `${r.reads} reads with the lag, ${plain.reads} without`);
    });

    it("fails clearly and leaves nothing when a policy caps the key lifetime", async () => {
        const r = await createUnder("servicePrincipal", "random-bytes", () => emu.faults.policy({ symmetricKeyLifetime: "P90D" }));
        assert.ok(!r.ok);
        assert.match(r.error.message, /update keyCredentials on servicePrincipal \S+ failed with HTTP 400 CredentialInvalidLifetimeAsPerAppPolicy/);
    });

    it("fails clearly and leaves nothing when a policy caps the password lifetime", async () => {
        const r = await createUnder("application", "entra-password", () => emu.faults.policy({ passwordLifetime: "P90D" }));
        assert.ok(!r.ok);
        assert.match(r.error.message, /addPassword on application \S+ failed with HTTP 400 CredentialInvalidLifetimeAsPerAppPolicy/);
    });

    it("adopts the password of an interrupted random-bytes create instead of adding a second", async () => {
        const p = principal("servicePrincipal");
        const news = inputs(p.appId, "random-bytes");
        const [leftover] = emu.tenant.seedCredentials(p.objectId, {
            passwordCredentials: [{ displayName: String(news.displayName), startDateTime: String(news.startDateTime), endDateTime: String(news.endDateTime) }],
        }).passwordCredentials;
        const { outs } = await up(news);
        assert.equal(outs.passwordKeyId, leftover);
        assertGeneration(p.objectId, outs);
    });

    it("replaces the unrecoverable password of an interrupted entra-password create", async () => {
        const p = principal("application");
        const news = inputs(p.appId, "entra-password");
        const dates = { displayName: String(news.displayName), startDateTime: String(news.startDateTime), endDateTime: String(news.endDateTime) };
        const leftovers = emu.tenant.seedCredentials(p.objectId, {
            passwordCredentials: [dates],
            keyCredentials: [{ type: "Symmetric", usage: "Sign", key: randomKey(), ...dates }],
        });
        const { outs } = await up(news);
        assert.notEqual(outs.passwordKeyId, leftovers.passwordCredentials[0]);
        assertGeneration(p.objectId, outs);
    });

    // ---- check, read, diff ------------------------------------------------------------------------

    it("reports a missing principal and invalid inputs in check, naming the input and never the secret", async () => {
        const missing = "11111111-2222-3333-4444-555555555555";
        const bad = await host.check(urn("x"), {}, withProvider(providerText, inputs(missing, "random-bytes")));
        assert.deepEqual(bad.failures.map((f) => f.property), ["clientId"]);
        assert.match(bad.failures[0].reason, new RegExp(`client id \\(appId\\) ${missing}`));

        const secretish = "c2VjcmV0IGJ1dCBub3QgMzIgYnl0ZXMgbG9uZw==";
        const p = principal("servicePrincipal");
        const invalid = await host.check(urn("x"), {}, withProvider(providerText, inputs(p.appId, "random-bytes", { keyMaterial: secretish, endDateTime: "2000-01-01T00:00:00Z" })));
        assert.deepEqual(invalid.failures.map((f) => f.property).sort(), ["endDateTime", "keyMaterial"]);
        assert.ok(!JSON.stringify(invalid.failures).includes(secretish));
    });

    it("reports out-of-band deletion and changes in read; diff plans an update that repairs them in place, same keyIds, same secret", async () => {
        // GIVEN a generation
        const p = principal("servicePrincipal");
        const gen = await up(inputs(p.appId, "random-bytes"));
        const props = gen.outs;

        // WHEN nothing changed THEN read reports no drift
        const clean = await host.read(gen.id, urn("gen"), props, props);
        assert.deepEqual([clean.id, clean.props.missing, clean.props.drift], [gen.id, [], []]);
        assert.equal(clean.props.clientSecret, props.clientSecret, "secrets are carried over from state");

        // WHEN the Verify key's end date is changed and the Sign key removed out of band
        // (Graph refuses to update an existing key in place, so the changed key is removed over
        // Graph and put back with the same keyId through the emulator's seeding, as other tooling
        // or a directory restore could leave it.)
        const newEnd = new Date(Date.parse(String(props.endDateTime)) - DAY).toISOString().replace(".000Z", "Z");
        await outOfBandRemove(p.objectId, [String(props.signKeyId), String(props.verifyKeyId)], []);
        emu.tenant.seedCredentials(p.objectId, {
            keyCredentials: [{
                keyId: String(props.verifyKeyId), type: "Symmetric", usage: "Verify", key: String(props.clientSecret),
                displayName: String(props.displayName), startDateTime: String(props.startDateTime), endDateTime: newEnd,
            }],
        });
        const drifted = await host.read(gen.id, urn("gen"), props, props);

        // THEN read reports both, and diff plans an update (no replacement)
        assert.equal(drifted.id, gen.id);
        assert.deepEqual(drifted.props.missing, ["sign"]);
        assert.deepEqual(drifted.props.drift, [`verify: endDateTime is ${newEnd}, expected ${String(props.endDateTime)}`]);
        const news = withProvider(providerText, pick(props));
        const diff = await host.diff(gen.id, urn("gen"), drifted.props, news, {});
        assert.deepEqual(diff, { changes: "some", replaces: [], deleteBeforeReplace: false });

        // AND the update puts the missing Sign key back under its own keyId, and adds a correct copy
        // of the changed Verify key (same bytes) beside it: Graph cannot change a key in place,
        // and the changed one holds the generation's bytes, so it is kept until it expires.
        const updated = await host.update(gen.id, urn("gen"), drifted.props, news, {});
        const keys = emu.tenant.credentials(p.objectId).keyCredentials;
        const shape = (keyId: unknown) => {
            const k = keys.find((x) => x.keyId === keyId);
            return [k?.usage, k?.key, k?.endDateTime.replace(".000Z", "Z")];
        };
        assert.deepEqual(shape(props.signKeyId), ["Sign", props.clientSecret, props.endDateTime]);
        assert.notEqual(updated.outs.verifyKeyId, props.verifyKeyId);
        assert.deepEqual(shape(updated.outs.verifyKeyId), ["Verify", props.clientSecret, props.endDateTime]);
        assert.deepEqual(shape(props.verifyKeyId), ["Verify", props.clientSecret, newEnd], "the changed key is still there");
        assert.deepEqual([updated.outs.clientSecret, updated.outs.signKeyId, updated.outs.supersededKeyIds, updated.outs.missing, updated.outs.drift],
            [props.clientSecret, props.signKeyId, [props.verifyKeyId], [], []]);
        const reread = await host.read(gen.id, urn("gen"), updated.outs, props);
        assert.deepEqual([reread.props.missing, reread.props.drift], [[], []]);

        // WHEN the superseded key has expired THEN read reports it and the next update removes it
        emu.clock.freeze(new Date(Date.parse(newEnd) + 3_600_000));
        const later = await host.read(gen.id, urn("gen"), updated.outs, props);
        assert.deepEqual(later.props.drift, [`duplicate key ${String(props.verifyKeyId)}`]);
        const cleaned = await host.update(gen.id, urn("gen"), later.props, news, {});
        assert.ok(!emu.tenant.credentials(p.objectId).keyCredentials.some((k) => k.keyId === props.verifyKeyId));
        assert.equal(cleaned.outs.supersededKeyIds, undefined);
        emu.clock.unfreeze();

        // WHEN the rest is removed too THEN read returns an empty id (refresh drops it)
        await outOfBandRemove(p.objectId, [String(cleaned.outs.signKeyId), String(cleaned.outs.verifyKeyId)], [String(props.passwordKeyId)]);
        const gone = await host.read(gen.id, urn("gen"), cleaned.outs, props);
        assert.equal(gone.id, "");
    });

    it("plans a replacement, create before delete, only for a new displayName", async () => {
        const p = principal("servicePrincipal");
        const gen = await up(inputs(p.appId, "random-bytes"));
        const same = await host.diff(gen.id, urn("gen"), gen.outs, withProvider(providerText, pick(gen.outs)), {});
        assert.deepEqual(same, { changes: "none", replaces: [], deleteBeforeReplace: false });
        const renamed = await host.diff(gen.id, urn("gen"), gen.outs, withProvider(providerText, { ...pick(gen.outs), displayName: "next", keyMaterial: randomKey() }), {});
        assert.deepEqual(renamed, { changes: "some", replaces: ["displayName"], deleteBeforeReplace: false });
    });

    // ---- leaks ----------------------------------------------------------------------------------

    it("never puts a secret in an error message or a log line of the host", () => {
        assert.ok(secrets.size > 10, "the scan saw the secrets of the tests above");
        assert.ok(errorMessages.length >= 3);
        const text = [...errorMessages, host.stdout(), host.stderr()].join("\n");
        for (const s of secrets) {
            assert.ok(!text.includes(s), "a secret leaked into an error message or the host's output");
        }
    });

    // ---- helpers that talk Graph directly (out of band) ---------------------------------------------

    function pick(outs: Props): Props {
        const { clientId, valueSource, keyMaterial, startDateTime, endDateTime, displayName } = outs;
        return { clientId, valueSource, keyMaterial, startDateTime, endDateTime, displayName };
    }

    /** Removes entries with plain Graph calls, as an administrator would in the portal. */
    async function outOfBandRemove(objectId: string, keyIds: string[], passwordKeyIds: string[]): Promise<void> {
        const set = emu.tenant.get(objectId)?.set ?? "servicePrincipals";
        const base = `${emu.url}/v1.0/${set}/${objectId}`;
        const headers = { authorization: `Bearer ${emu.token}`, "content-type": "application/json" };
        const current = (await (await fetch(`${base}?$select=keyCredentials`, { headers })).json()) as { keyCredentials: { keyId: string }[] };
        const res = await fetch(base, { method: "PATCH", headers, body: JSON.stringify({ keyCredentials: current.keyCredentials.filter((k) => !keyIds.includes(k.keyId)) }) });
        assert.equal(res.status, 204);
        for (const keyId of passwordKeyIds) {
            const r = await fetch(`${base}/removePassword`, { method: "POST", headers, body: JSON.stringify({ keyId }) });
            assert.equal(r.status, 204);
        }
    }
});
