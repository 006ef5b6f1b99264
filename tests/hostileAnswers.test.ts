// Hostile or broken Graph answers: a 200 whose body is a proxy's sign-in page, `{}`, `null`,
// `{"keyCredentials":null}`, truncated JSON, an entry without keyId, or an HTML 404, on every
// request the CredentialGeneration provider reads. Each must fail with an error naming the
// request and what was wrong with the body, and change nothing on the object: read as "no
// credentials" it made a create erase every foreign key; read as "gone" it made a refresh drop a
// live generation and a delete report success with all three entries still valid.
//
// The provider's methods run in this process as plain async functions, through the real Graph
// client, against the in-process emulator (its badBody fault stands for whatever answers in
// Graph's place).
import * as assert from "node:assert/strict";
import { credentialGenerationProvider } from "../components/credentialGeneration";
import type { Emulator } from "../emulator";
import { createGeneration, generationInputs, GenerationInputs, GenerationOutputs, inProcessEmulator, principalWithForeignEntries } from "./support/inProcess";

const provider = credentialGenerationProvider;

const SIGN_IN = '<html><head><title>Sign in to your account</title></head><body><form action="/login">…</form></body></html>';
const SIGN_IN_EXCERPT = `text/html; charset=utf-8, ${Buffer.byteLength(SIGN_IN)} bytes, starting "<html><head><title>Sign in to your account</title></head><bo"…`;
const NOT_FOUND = "<html><body><h1>404 Not Found</h1></body></html>";
/** A secret-shaped value in a hostile addPassword answer: must never reach a message. */
const SECRET = "Zq8Q~hostile.answer_secret-text-0123456789";
const DATES = '"startDateTime":"2026-01-01T00:00:00Z","endDateTime":"2027-01-01T00:00:00Z"';

/** What a request reads: its problems differ per shape. */
type Reads = "credentials" | "lookup" | "addPassword";

interface Shape {
    readonly name: string;
    readonly status: number;
    readonly contentType: string;
    readonly body: (reads: Reads, clientId: string) => string;
    /** The problem the error names; undefined for a failure status that is not accepted (a GraphRequestError). */
    readonly problem: (reads: Reads, body: string) => string | undefined;
}

const SHAPES: readonly Shape[] = [
    {
        name: "an HTML sign-in page with 200",
        status: 200,
        contentType: "text/html; charset=utf-8",
        body: () => SIGN_IN,
        problem: () => `the body is not JSON: ${SIGN_IN_EXCERPT}`,
    },
    {
        name: "{}",
        status: 200,
        contentType: "application/json",
        body: () => "{}",
        problem: (reads) => ({ credentials: "keyCredentials is missing, expected an array", lookup: "id is missing, expected a GUID", addPassword: "keyId is missing, expected a GUID" })[reads],
    },
    {
        name: "null",
        status: 200,
        contentType: "application/json",
        body: () => "null",
        problem: () => "the body is null, expected a JSON object",
    },
    {
        name: '{"keyCredentials":null}',
        status: 200,
        contentType: "application/json",
        body: () => '{"keyCredentials":null,"passwordCredentials":[]}',
        problem: (reads) => ({ credentials: "keyCredentials is null, expected an array", lookup: "id is missing, expected a GUID", addPassword: "keyId is missing, expected a GUID" })[reads],
    },
    {
        name: "truncated JSON",
        status: 200,
        contentType: "application/json",
        body: (reads) => (reads === "addPassword" ? `{"keyId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","secretText":"${SECRET}` : '{"keyCredentials":[{"keyId":"0f1e2d3c-4b5a'),
        problem: (_reads, body) => `the body is not valid JSON (truncated or malformed): application/json, ${Buffer.byteLength(body)} bytes, not shown`,
    },
    {
        name: "an entry without keyId",
        status: 200,
        contentType: "application/json",
        body: (reads, clientId) => ({
            credentials: `{"keyCredentials":[{"type":"Symmetric","usage":"Sign",${DATES}}],"passwordCredentials":[]}`,
            lookup: `{"id":"not-a-guid","appId":"${clientId}","servicePrincipalType":"Legacy"}`,
            addPassword: `{"secretText":"${SECRET}","hint":"Zq8"}`,
        })[reads],
        problem: (reads) => ({
            credentials: "keyCredentials[0].keyId is missing, expected a GUID",
            lookup: "id is a string of 10 characters that is not a GUID",
            addPassword: "keyId is missing, expected a GUID",
        })[reads],
    },
    {
        name: "an HTML 404",
        status: 404,
        contentType: "text/html; charset=utf-8",
        body: () => NOT_FOUND,
        // addPassword does not accept a 404: it fails as any failure status does.
        problem: (reads) => (reads === "addPassword"
            ? undefined
            : `expected Graph's error JSON ({"error":{"code":…}}); the body is not JSON: text/html; charset=utf-8, ${Buffer.byteLength(NOT_FOUND)} bytes, starting "${NOT_FOUND}"`),
    },
];

describe("Hostile or broken Graph answers (CredentialGeneration provider in-process)", function () {
    this.timeout(30_000);

    const emulator = inProcessEmulator();
    let emu: Emulator;
    let seq = 0;

    before(() => {
        emu = emulator();
    });

    // ---- helpers ----------------------------------------------------------------------------

    /** A principal with another tool's entries: a create that read "no credentials" would erase them. */
    const principal = (): { appId: string; objectId: string } => principalWithForeignEntries(emu);

    function inputs(clientId: string, valueSource: "random-bytes" | "entra-password"): GenerationInputs {
        return generationInputs(emu.clock.now(), clientId, valueSource, `hostile gen ${++seq}`);
    }

    async function failure(run: () => Promise<unknown>): Promise<Error> {
        return run().then(
            () => assert.fail("the operation succeeded on a hostile answer"),
            (e: unknown) => e as Error,
        );
    }

    function badBodyHits(mark = 0): { operation: string; status: number | null }[] {
        return emu.requests.slice(mark).filter((r) => r.faults.includes("badBody")).map((r) => ({ operation: r.operation, status: r.status }));
    }

    /** What the error must name, and how often the fault must have fired on which request. */
    interface Expected {
        readonly operation: string;
        readonly object: string;
        readonly hits: number;
        readonly hitOperation: string;
    }

    interface Case {
        readonly name: string;
        readonly reads: Reads;
        /** Runs the operation under the fault (armed by `arm`); resolves with its error. */
        run(p: { appId: string; objectId: string }, arm: (match: { method?: string; path?: string; operation?: string }, times?: number) => void, gen: { id: string; outs: GenerationOutputs } | undefined): Promise<Error>;
        expected(p: { appId: string; objectId: string }, shape: Shape): Expected;
        /** The operation acts on an existing generation, created before the fault is armed. @default false */
        readonly needsGeneration?: boolean;
    }

    const onObject = (p: { objectId: string }, operation: string): Expected => ({ operation, object: `servicePrincipal ${p.objectId}`, hits: 1, hitOperation: "servicePrincipals.get" });

    const CASES: readonly Case[] = [
        {
            name: "the read before create",
            reads: "credentials",
            async run(p, arm) {
                arm({ method: "GET", path: p.objectId });
                const error = await failure(() => provider.create!(inputs(p.appId, "random-bytes")));
                assert.ok(!emu.requests.some((r) => r.operation.endsWith(".addPassword")), "nothing was written");
                return error;
            },
            expected: (p) => onObject(p, "read credentials before create"),
        },
        {
            name: "the read of a refresh",
            reads: "credentials",
            needsGeneration: true,
            async run(p, arm, gen) {
                arm({ method: "GET", path: p.objectId });
                return failure(() => provider.read!(gen!.id, gen!.outs));
            },
            expected: (p) => onObject(p, "read credentials"),
        },
        {
            name: "the read before delete",
            reads: "credentials",
            needsGeneration: true,
            async run(p, arm, gen) {
                arm({ method: "GET", path: p.objectId });
                return failure(() => provider.delete!(gen!.id, gen!.outs));
            },
            expected: (p) => onObject(p, "read credentials before delete"),
        },
        {
            name: "the confirmation poll after the key write (create rolls back)",
            reads: "credentials",
            async run(p, arm) {
                emu.faults.onRequest({ when: "after", match: { method: "PATCH" }, run: () => arm({ method: "GET", path: p.objectId }) });
                const error = await failure(() => provider.create!(inputs(p.appId, "random-bytes")));
                const patch = emu.requests.findIndex((r) => r.operation === "servicePrincipals.update");
                assert.deepEqual(emu.requests[patch + 1].faults, ["badBody"], "the read right after the PATCH got the bad body");
                return error;
            },
            expected: (p) => onObject(p, "confirm create"),
        },
        {
            name: "the target resolution (appId lookup)",
            reads: "lookup",
            async run(p, arm) {
                arm({ method: "GET", path: `(appId='${p.appId}')` });
                return failure(() => provider.create!(inputs(p.appId, "random-bytes")));
            },
            expected: (p) => ({ operation: "get servicePrincipal by appId", object: `client id ${p.appId}`, hits: 1, hitOperation: "servicePrincipals.get" }),
        },
        {
            name: "addPassword's answer",
            reads: "addPassword",
            async run(p, arm) {
                // A 2xx with a bad body may have created the password (ambiguous): create re-reads
                // and tries again, 3 rounds in all; a 404 is final at once.
                arm({ operation: "servicePrincipals.addPassword" }, 3);
                return failure(() => provider.create!(inputs(p.appId, "entra-password")));
            },
            expected: (p, shape) => ({ operation: "addPassword", object: `servicePrincipal ${p.objectId}`, hits: shape.status === 200 ? 3 : 1, hitOperation: "servicePrincipals.addPassword" }),
        },
    ];

    for (const c of CASES) {
        describe(c.name, () => {
            for (const shape of SHAPES) {
                it(`fails naming the request and changes nothing when the answer is ${shape.name}`, async () => {
                    // GIVEN a principal with another tool's entries (and, for refresh and delete, a generation)
                    const p = principal();
                    const gen = c.needsGeneration ? await createGeneration(inputs(p.appId, "random-bytes")) : undefined;
                    const before = emu.tenant.credentials(p.objectId);
                    const mark = emu.requests.length;
                    const body = shape.body(c.reads, p.appId);
                    const arm = (match: { method?: string; path?: string; operation?: string }, times = 1): void =>
                        emu.faults.badBody({ status: shape.status, contentType: shape.contentType, body, times, match });

                    // WHEN the operation runs and the request gets the hostile answer
                    const error = await c.run(p, arm, gen);

                    // THEN it fails with the named error, naming the request and what was wrong with the body
                    const e = c.expected(p, shape);
                    const problem = shape.problem(c.reads, body);
                    if (problem === undefined) {
                        assert.equal(error.name, "GraphRequestError");
                        assert.equal(
                            error.message,
                            `Graph ${e.operation} on ${e.object} failed with HTTP 404 unknown: no Graph error JSON; the body is not JSON: ` +
                                `text/html; charset=utf-8, ${Buffer.byteLength(NOT_FOUND)} bytes, starting "${NOT_FOUND}"`,
                        );
                    } else {
                        const ambiguous = c.reads === "addPassword" && shape.status === 200 ? "; the request may have taken effect" : "";
                        assert.equal(error.name, "GraphResponseError");
                        assert.equal(error.message, `Graph ${e.operation} on ${e.object} answered HTTP ${shape.status} with a body that is not what Graph documents: ${problem}${ambiguous}`);
                    }
                    assert.ok(!error.message.includes(SECRET), "a secret from the answer reached the message");
                    // AND the fault fired as often as expected, on that request
                    assert.deepEqual(badBodyHits(mark), Array.from({ length: e.hits }, () => ({ operation: e.hitOperation, status: shape.status })));
                    // AND the object's entries are exactly as before the operation
                    assert.deepEqual(emu.tenant.credentials(p.objectId), before);
                });
            }
        });
    }

    it("recovers with exactly one password when addPassword's bad answer came once (it may have been applied: re-read, then add)", async () => {
        const p = principal();
        emu.faults.badBody({ status: 200, contentType: "text/html; charset=utf-8", body: SIGN_IN, match: { operation: "servicePrincipals.addPassword" } });
        const news = inputs(p.appId, "entra-password");
        const created = await provider.create!(news);
        assert.deepEqual(badBodyHits(), [{ operation: "servicePrincipals.addPassword", status: 200 }]);
        const ours = emu.tenant.credentials(p.objectId).passwordCredentials.filter((pw) => pw.displayName === news.displayName);
        assert.deepEqual(ours.map((pw) => pw.keyId), [created.outs?.passwordKeyId]);
        assert.equal(emu.requests.filter((r) => r.operation === "servicePrincipals.addPassword").length, 2);
    });
});
