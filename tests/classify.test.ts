import * as assert from "node:assert/strict";
import { adoptionProblems, classifyCredentials, ClassifyContext, CleanupPolicy, InventoryEntry, planCleanup } from "../components/classify";
import type { ObjectCredentials } from "../components/graph/credentials";

const NOW = new Date("2026-11-26T06:00:00Z");
const GEN0 = "addin-credentials/hr-portal/gen-0/2026-11-26";
const LINGERING_RISK =
    "older valid Sign key the app does not hold: SharePoint signs with the oldest valid key, so it will sign with this one until 2027-03-01 " +
    "and the add-in's context tokens will fail validation";

/** A generation's three entries (ids `<tag>-sign`, `<tag>-verify`, `<tag>-password`). */
function set(tag: string, start: string, end: string, displayName: string | null = null): ObjectCredentials {
    return {
        keyCredentials: [
            { keyId: `${tag}-sign`, type: "Symmetric", usage: "Sign", displayName, startDateTime: start, endDateTime: end, key: null },
            { keyId: `${tag}-verify`, type: "Symmetric", usage: "Verify", displayName, startDateTime: start, endDateTime: end, key: null },
        ],
        passwordCredentials: [{ keyId: `${tag}-password`, displayName, hint: "abc", startDateTime: start, endDateTime: end }],
    };
}

function merge(...parts: ObjectCredentials[]): ObjectCredentials {
    return { keyCredentials: parts.flatMap((p) => p.keyCredentials), passwordCredentials: parts.flatMap((p) => p.passwordCredentials) };
}

const managed = set("gen0", "2026-11-26T06:00:00Z", "2029-11-25T06:00:00Z", GEN0);
const expired = set("expired", "2023-11-25T00:00:00Z", "2026-11-25T00:00:00Z");
const lingering: ObjectCredentials = {
    keyCredentials: [{ keyId: "lingering-sign", type: "Symmetric", usage: "Sign", displayName: null, startDateTime: "2023-06-01T00:00:00Z", endDateTime: "2027-03-01T00:00:00Z" }],
    passwordCredentials: [],
};
const ctx: ClassifyContext = { now: NOW, setName: "hr-portal", declaredDisplayNames: [GEN0], gracePeriodDays: 7 };
const policy = (over: Partial<CleanupPolicy> = {}): CleanupPolicy => ({ cleanup: "expired", removeKeyIds: [], force: false, gracePeriodDays: 7, now: NOW, ...over });
const byId = (entries: InventoryEntry[]) => Object.fromEntries(entries.map((e) => [e.keyId, e]));
const removedIds = (entries: InventoryEntry[], p: CleanupPolicy) => planCleanup(entries, p).remove.map((r) => r.entry.keyId);

/** The entries of `set("adopted", …)`. */
const ADOPTED_IDS = ["adopted-sign", "adopted-verify", "adopted-password"];

describe("classifyCredentials", () => {
    it("classifies declared generations as managed, with their generation index, and never reports key values or hints", () => {
        const entries = classifyCredentials(managed, ctx);

        assert.deepEqual(entries[0], {
            keyId: "gen0-sign", kind: "key", type: "Symmetric", usage: "Sign", displayName: GEN0,
            startDateTime: "2026-11-26T06:00:00Z", endDateTime: "2029-11-25T06:00:00Z", classification: "managed", generation: 0, adopted: false,
        });
        assert.deepEqual(entries.map((e) => `${e.kind} ${e.keyId} ${e.classification}`), [
            "key gen0-sign managed", "key gen0-verify managed", "password gen0-password managed",
        ]);
        assert.equal(entries[2].type, "Password");
        assert.equal(entries[2].usage, "");
        assert.ok(!JSON.stringify(entries).includes("abc"), "no password hint");
    });

    it("classifies this set's undeclared entries as managed-orphan, and another set's as unmanaged", () => {
        const orphan = set("orphan", "2026-10-01T00:00:00Z", "2029-09-30T00:00:00Z", "addin-credentials/hr-portal/gen-3/2026-10-01");
        const other = set("other", "2026-10-01T00:00:00Z", "2029-09-30T00:00:00Z", "addin-credentials/crm/gen-0/2026-10-01");
        const e = byId(classifyCredentials(merge(managed, orphan, other), ctx));

        assert.equal(e["orphan-sign"].classification, "managed-orphan");
        assert.equal(e["orphan-sign"].generation, 3);
        assert.equal(e["other-password"].classification, "unmanaged-valid");
        assert.equal(e["other-password"].generation, 0);
    });

    it("classifies an entry with a declared name but not one of the generation's keyIds as managed-duplicate", () => {
        const duplicate: ObjectCredentials = {
            keyCredentials: [],
            passwordCredentials: [{ keyId: "late-password", displayName: GEN0, startDateTime: "2026-11-26T06:00:00Z", endDateTime: "2029-11-25T06:00:00Z" }],
        };
        const own = ["gen0-sign", "gen0-verify", "gen0-password"];

        const e = byId(classifyCredentials(merge(managed, duplicate), { ...ctx, declaredKeyIds: own }));
        const unknownOwn = byId(classifyCredentials(merge(managed, duplicate), ctx));

        assert.equal(e["late-password"].classification, "managed-duplicate");
        assert.equal(e["gen0-password"].classification, "managed");
        assert.equal(unknownOwn["late-password"].classification, "managed", "without the generation's keyIds nothing is a duplicate");
    });

    it("classifies unmanaged entries as valid or expired by the directory's clock", () => {
        const e = byId(classifyCredentials(merge(managed, expired, lingering), ctx));

        assert.equal(e["expired-sign"].classification, "unmanaged-expired");
        assert.equal(e["expired-password"].classification, "unmanaged-expired");
        assert.equal(e["lingering-sign"].classification, "unmanaged-valid");
        assert.equal(e["expired-sign"].risk, undefined, "expired keys are harmless (sp-dev-docs issue 8912)");
    });

    it("describes an older valid Sign key the app does not hold as a risk, with its end date", () => {
        const e = byId(classifyCredentials(merge(managed, expired, lingering), ctx));

        assert.equal(e["lingering-sign"].risk, LINGERING_RISK);
        assert.equal(e["gen0-sign"].risk, undefined);
    });

    it("gives the risk's start when an older key the app holds still signs until then", () => {
        const adoptedSet = set("adopted", "2022-01-01T00:00:00Z", "2027-01-15T00:00:00Z");
        const e = byId(classifyCredentials(merge(managed, adoptedSet, lingering), { ...ctx, adoptedKeyIds: ADOPTED_IDS }));

        assert.equal(
            e["lingering-sign"].risk,
            "older valid Sign key the app does not hold: SharePoint signs with the oldest valid key, so it will sign with this one from 2027-01-15 until 2027-03-01 " +
                "and the add-in's context tokens will fail validation",
        );
    });

    it("marks the entries listed in adoptedKeyIds as adopted, never as risky; another key ending the same day is not adopted", () => {
        const adoptedSet = set("adopted", "2024-01-01T00:00:00Z", "2027-12-01T00:00:00Z");
        const sameDay = set("sameday", "2023-01-01T00:00:00Z", "2027-12-01T00:00:00Z");
        const e = byId(classifyCredentials(merge(managed, adoptedSet, sameDay), { ...ctx, adoptedKeyIds: ADOPTED_IDS }));

        assert.deepEqual(["adopted-sign", "adopted-verify", "adopted-password", "sameday-sign"].map((id) => e[id].adopted), [true, true, true, false]);
        assert.equal(e["adopted-sign"].risk, undefined);
        assert.match(e["sameday-sign"].risk ?? "", /^older valid Sign key the app does not hold/);
    });

    it("reports no risk for a Sign key newer than every key the app holds, or one an older held key outlives", () => {
        const newer: ObjectCredentials = {
            keyCredentials: [
                { keyId: "newer-sign", type: "Symmetric", usage: "Sign", startDateTime: "2026-11-27T00:00:00Z", endDateTime: "2027-03-01T00:00:00Z" },
                { keyId: "shadowed-sign", type: "Symmetric", usage: "Sign", startDateTime: "2025-01-01T00:00:00Z", endDateTime: "2026-12-01T00:00:00Z" },
            ],
            passwordCredentials: [],
        };
        const adoptedSet = set("adopted", "2024-01-01T00:00:00Z", "2027-12-01T00:00:00Z");
        const e = byId(classifyCredentials(merge(managed, adoptedSet, newer), { ...ctx, adoptedKeyIds: ADOPTED_IDS }));

        assert.equal(e["newer-sign"].risk, undefined);
        assert.equal(e["shadowed-sign"].risk, undefined);
    });

    it("reports no risk when nothing tells what the app holds (no managed generation, nothing adopted)", () => {
        const e = byId(classifyCredentials(merge(expired, lingering), ctx));

        assert.equal(e["lingering-sign"].risk, undefined);
    });
});

describe("planCleanup", () => {
    const orphanExpired = set("orphan", "2023-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "addin-credentials/hr-portal/gen-9/2023-01-01");
    const oldExpired = set("old", "2020-01-01T00:00:00Z", "2023-01-01T00:00:00Z");
    const otherSetExpired = set("other", "2020-01-01T00:00:00Z", "2023-01-01T00:00:00Z", "addin-credentials/crm/gen-0/2020-01-01");
    const all = classifyCredentials(merge(managed, expired, oldExpired, orphanExpired, otherSetExpired, lingering), ctx);

    it('"expired" removes unmanaged entries and orphans expired longer ago than the grace period, with the reason', () => {
        const plan = planCleanup(all, policy());

        assert.deepEqual(plan.refusals, []);
        assert.deepEqual(plan.remove.map((r) => r.entry.keyId), ["old-sign", "old-verify", "orphan-sign", "orphan-verify", "old-password", "orphan-password"]);
        assert.equal(plan.remove[0].reason, "expired on 2023-01-01, longer ago than the grace period of 7 day(s)");
    });

    it('"expired" keeps entries inside the grace period, valid unmanaged ones, managed ones and another set\'s', () => {
        const ids = removedIds(all, policy());

        for (const kept of ["expired-sign", "lingering-sign", "gen0-sign", "other-sign"]) {
            assert.ok(!ids.includes(kept), kept);
        }
        assert.deepEqual(removedIds(all, policy({ now: new Date("2026-12-02T06:00:00Z") })).filter((id) => id.startsWith("expired")), [
            "expired-sign", "expired-verify", "expired-password",
        ]);
    });

    it("removes a managed-duplicate under every policy but none, saying why", () => {
        const duplicate: ObjectCredentials = {
            keyCredentials: [],
            passwordCredentials: [{ keyId: "late-password", displayName: GEN0, startDateTime: "2026-11-26T06:00:00Z", endDateTime: "2029-11-25T06:00:00Z" }],
        };
        const entries = classifyCredentials(merge(managed, duplicate), { ...ctx, declaredKeyIds: ["gen0-sign", "gen0-verify", "gen0-password"] });

        for (const cleanup of ["expired", "unmanaged"] as const) {
            assert.deepEqual(planCleanup(entries, policy({ cleanup })), {
                remove: [{ entry: byId(entries)["late-password"], reason: `a duplicate of generation "${GEN0}" left by a create attempt Graph applied late; nobody holds its value` }],
                refusals: [],
                notes: [],
            });
        }
        assert.deepEqual(removedIds(entries, policy({ cleanup: "none" })), []);
    });

    it('"none" removes nothing', () => {
        assert.deepEqual(planCleanup(all, policy({ cleanup: "none" })), { remove: [], refusals: [], notes: [] });
    });

    it('"unmanaged" also removes valid unmanaged entries, saying why and what risk they posed', () => {
        const plan = planCleanup(all, policy({ cleanup: "unmanaged" }));

        assert.deepEqual(plan.refusals, []);
        const lingeringRemoval = plan.remove.find((r) => r.entry.keyId === "lingering-sign");
        assert.equal(lingeringRemoval?.reason, `unmanaged, valid until 2027-03-01, and cleanup is "unmanaged"; ${LINGERING_RISK}`);
        assert.ok(!plan.remove.some((r) => r.entry.classification === "managed"));
        assert.ok(!plan.remove.some((r) => r.entry.keyId.startsWith("other")), "another set's entries are never removed by policy");
    });

    it('"unmanaged" removes valid orphans of this set', () => {
        const orphan = set("orphan", "2026-10-01T00:00:00Z", "2029-09-30T00:00:00Z", "addin-credentials/hr-portal/gen-3/2026-10-01");
        const plan = planCleanup(classifyCredentials(merge(managed, orphan), ctx), policy({ cleanup: "unmanaged" }));

        assert.deepEqual(plan.remove.map((r) => r.reason), Array(3).fill(
            'left by an earlier run of this set (not a declared generation), valid until 2029-09-30, and cleanup is "unmanaged"',
        ));
    });

    it('refuses "unmanaged" when the adopted secret is among the removals, unless forced', () => {
        const adoptedSet = set("adopted", "2022-01-01T00:00:00Z", "2027-12-01T00:00:00Z");
        const entries = classifyCredentials(merge(managed, adoptedSet), { ...ctx, adoptedKeyIds: ADOPTED_IDS });

        assert.deepEqual(planCleanup(entries, policy({ cleanup: "unmanaged" })).refusals, [
            "cleanup would remove key adopted-sign (Symmetric/Sign), key adopted-verify (Symmetric/Verify), password adopted-password (Password): " +
                "the adopted secret the app uses today (ends 2027-12-01). Removing it breaks the add-in; wait until it has expired " +
                '(cleanup "expired" removes it after the grace period), drop these keyIds from removeKeyIds, or set forceCleanup: true to remove it anyway.',
        ]);
        const forced = planCleanup(entries, policy({ cleanup: "unmanaged", force: true }));
        assert.deepEqual(forced.refusals, []);
        assert.equal(forced.remove.length, 3);
    });

    it('refuses "unmanaged" when the object holds no valid managed generation, unless forced', () => {
        const entries = classifyCredentials(merge(expired, lingering), ctx);

        assert.deepEqual(planCleanup(entries, policy({ cleanup: "unmanaged" })).refusals, [
            "cleanup would remove the valid entries key lingering-sign (Symmetric/Sign) while the object holds no valid managed generation, " +
                "which could leave the add-in without any key the app holds. Run again once a generation of this set is in place, " +
                'use cleanup "expired", or set forceCleanup: true to remove them anyway.',
        ]);
        assert.deepEqual(planCleanup(entries, policy({ cleanup: "unmanaged", force: true })).remove.map((r) => r.entry.keyId), ["lingering-sign"]);
        // Removing only expired entries needs no managed generation.
        assert.deepEqual(planCleanup(classifyCredentials(oldExpired, ctx), policy()).refusals, []);
    });

    it("removes exactly the listed keyIds, whatever the policy", () => {
        const plan = planCleanup(all, policy({ cleanup: "none", removeKeyIds: ["lingering-sign", "expired-password"] }));

        assert.deepEqual(plan.refusals, []);
        assert.deepEqual(plan.remove.map((r) => [r.entry.keyId, r.reason]), [
            ["lingering-sign", `listed in removeKeyIds; ${LINGERING_RISK}`],
            ["expired-password", "listed in removeKeyIds"],
        ]);
    });

    it("notes a keyId in removeKeyIds that is on no entry, naming it, unless an earlier run removed it, and refuses nothing", () => {
        const plan = planCleanup(all, policy({ removeKeyIds: ["nope"] }));
        assert.deepEqual([plan.refusals, plan.notes], [[], [
            "removeKeyIds: keyId nope is neither a key nor a password on this object: removed earlier, or mistyped (npm run inventory lists the keyIds).",
        ]]);
        assert.deepEqual(planCleanup(all, policy({ removeKeyIds: ["nope"], alreadyRemovedKeyIds: ["nope"] })).notes, []);
    });

    it("refuses a keyId of a declared generation in removeKeyIds (manualRotations replaces generations)", () => {
        assert.deepEqual(planCleanup(all, policy({ removeKeyIds: ["gen0-sign"] })).refusals, [
            `removeKeyIds: keyId gen0-sign belongs to the declared generation "${GEN0}"; ` +
                "to replace a managed generation add a manualRotations entry instead, then it is removed by the rotation.",
        ]);
    });
});

describe("adoptionProblems", () => {
    const adoptedSet = set("adopted", "2024-01-01T00:00:00Z", "2027-12-01T00:00:00Z");
    const now = new Date("2026-11-26T06:00:00Z");
    const entries = classifyCredentials(adoptedSet, { now, declaredDisplayNames: [], gracePeriodDays: 7, adoptedKeyIds: ADOPTED_IDS });
    const adoption = (ids: string[], end = "2027-12-01T00:00:00Z") => adoptionProblems(entries, { adoptedKeyIds: ids, adoptedSecretEndDateTime: end }, now);

    it("accepts the keyIds of the secret the app uses, ending when the config says", () => {
        assert.deepEqual(adoption(ADOPTED_IDS), []);
    });

    it("names a keyId that is on no entry, an end that differs, and a set without a Sign key", () => {
        assert.deepEqual(adoption(["adopted-verify", "nope"], "2027-11-30T00:00:00Z"), [
            "adoptedKeyIds: keyId adopted-verify ends 2027-12-01T00:00:00Z, but adoptedSecretEndDateTime is 2027-11-30T00:00:00Z; give the end date npm run inventory shows for it.",
            "adoptedKeyIds: keyId nope is on no entry of this object; copy the keyIds of the secret the app uses today from npm run inventory.",
            "adoptedKeyIds: none of them is a Symmetric Sign key, the entry SharePoint signs with; include the Sign key of the secret the app uses today.",
        ]);
    });

    it("asks nothing once the adopted secret has ended (its entries may be gone)", () => {
        assert.deepEqual(adoptionProblems(entries, { adoptedKeyIds: ["gone"], adoptedSecretEndDateTime: "2026-01-01T00:00:00Z" }, now), []);
    });
});
