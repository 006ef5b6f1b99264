import * as assert from "node:assert/strict";
import { keyMaterialFromPassword, keyMaterialFromRandomBytes } from "../components/secrets";

// 32 fixed bytes 0x00..0x1f: base64 is deterministic, and decoding must give them back.
const BYTES = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const BYTES_BASE64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// Shaped like an Entra addPassword secretText (40 characters, with `~`, `.`, `_`, `-`).
const ENTRA_PASSWORD = "Ab3~Q8Q~x.yZ_1-kLmN0pQrStUvWxYz0123456Ab";

/** Runs fn, expects it to throw, and returns the message. */
function messageOf(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        return (e as Error).message;
    }
    assert.fail("expected an error");
}

describe("keyMaterialFromRandomBytes", () => {
    it("returns the input as key and ClientSecret when given base64 of 32 bytes", () => {
        assert.equal(BYTES.toString("base64"), BYTES_BASE64);
        assert.deepEqual(keyMaterialFromRandomBytes(BYTES_BASE64), { keyBase64: BYTES_BASE64, clientSecret: BYTES_BASE64 });
    });

    it("round-trips: TokenHelper's base64-decode of ClientSecret gives the 32 key bytes", () => {
        const material = keyMaterialFromRandomBytes(BYTES_BASE64);
        assert.deepEqual(Buffer.from(material.clientSecret, "base64"), BYTES);
        assert.deepEqual(Buffer.from(material.keyBase64, "base64"), BYTES);
    });

    it("throws naming the byte count when given base64 of 31 bytes", () => {
        const short = BYTES.subarray(0, 31).toString("base64");
        assert.equal(
            messageOf(() => keyMaterialFromRandomBytes(short)),
            "keyMaterial must be base64 of 32 bytes; got 31 bytes. Generate it with RandomBytes({ length: 32 }).",
        );
    });

    it("throws naming the byte count when given base64 of 33 bytes", () => {
        const long = Buffer.concat([BYTES, Buffer.from([0xff])]).toString("base64");
        assert.equal(
            messageOf(() => keyMaterialFromRandomBytes(long)),
            "keyMaterial must be base64 of 32 bytes; got 33 bytes. Generate it with RandomBytes({ length: 32 }).",
        );
    });

    it("throws when given an Entra password, which is not base64", () => {
        // 40 characters: a multiple of 4, so only the alphabet check can catch it.
        assert.equal(
            messageOf(() => keyMaterialFromRandomBytes(ENTRA_PASSWORD)),
            "keyMaterial must be standard padded base64 (A-Z a-z 0-9 + /, '=' padding, no whitespace); " +
            "got 40 characters that are not. Pass the base64 output of a 32-byte RandomBytes.",
        );
    });

    it("throws when given base64url, which Buffer would silently accept", () => {
        const url = BYTES.toString("base64url");
        assert.match(messageOf(() => keyMaterialFromRandomBytes(url)), /^keyMaterial must be standard padded base64/);
    });

    it("throws when given base64 with a trailing newline", () => {
        assert.match(messageOf(() => keyMaterialFromRandomBytes(`${BYTES_BASE64}\n`)), /^keyMaterial must be standard padded base64/);
    });

    it("throws when given base64 with non-zero padding bits", () => {
        // "…Hh8=" and "…Hh9=" decode to the same 32 bytes; only the canonical one is accepted.
        const nonCanonical = `${BYTES_BASE64.slice(0, -2)}9=`;
        assert.deepEqual(Buffer.from(nonCanonical, "base64"), BYTES);
        assert.equal(
            messageOf(() => keyMaterialFromRandomBytes(nonCanonical)),
            "keyMaterial must be canonical base64 (unused padding bits set to zero). Pass the base64 output of a 32-byte RandomBytes unchanged.",
        );
    });

    it("never includes the rejected value in its errors", () => {
        const rejected = [
            BYTES.subarray(0, 31).toString("base64"),
            ENTRA_PASSWORD,
            `${BYTES_BASE64.slice(0, -2)}9=`,
            BYTES.toString("base64url"),
        ];
        for (const value of rejected) {
            const message = messageOf(() => keyMaterialFromRandomBytes(value));
            assert.ok(!message.includes(value), "message contains the secret");
            assert.ok(!message.includes(value.slice(0, 8)), "message contains a prefix of the secret");
        }
    });
});

describe("keyMaterialFromPassword", () => {
    it("returns base64 of the password's UTF-8 bytes as key and ClientSecret when given an Entra password with `~`", () => {
        const expected = Buffer.from(ENTRA_PASSWORD, "utf8").toString("base64");
        assert.deepEqual(keyMaterialFromPassword(ENTRA_PASSWORD), { keyBase64: expected, clientSecret: expected });
    });

    it("round-trips: TokenHelper's base64-decode of ClientSecret gives the password's UTF-8 bytes", () => {
        const material = keyMaterialFromPassword(ENTRA_PASSWORD);
        assert.equal(Buffer.from(material.clientSecret, "base64").toString("utf8"), ENTRA_PASSWORD);
        assert.deepEqual(Buffer.from(material.keyBase64, "base64"), Buffer.from(ENTRA_PASSWORD, "utf8"));
        // The ClientSecret is valid strict base64 even though the password is not.
        assert.match(material.clientSecret, /^[A-Za-z0-9+/]+={0,2}$/);
    });

    it("accepts the shortest and longest addPassword lengths when given 16 and 64 characters", () => {
        assert.equal(Buffer.from(keyMaterialFromPassword("a".repeat(16)).clientSecret, "base64").length, 16);
        assert.equal(Buffer.from(keyMaterialFromPassword("a".repeat(64)).clientSecret, "base64").length, 64);
    });

    it("throws naming the length when given 15 characters", () => {
        assert.equal(
            messageOf(() => keyMaterialFromPassword("a".repeat(15))),
            "secretText must be 16 to 64 characters; got 15. Pass the secretText returned by addPassword unchanged.",
        );
    });

    it("throws naming the length when given 65 characters", () => {
        assert.equal(
            messageOf(() => keyMaterialFromPassword("a".repeat(65))),
            "secretText must be 16 to 64 characters; got 65. Pass the secretText returned by addPassword unchanged.",
        );
    });

    it("throws naming the position when given a password with a trailing space", () => {
        assert.equal(
            messageOf(() => keyMaterialFromPassword(`${ENTRA_PASSWORD} `)),
            "secretText must be printable ASCII without spaces; got a character outside that range at position 40. " +
            "Pass the secretText returned by addPassword unchanged (no surrounding whitespace or quotes).",
        );
    });

    it("throws when given a password with a non-ASCII character", () => {
        assert.match(messageOf(() => keyMaterialFromPassword("päßwörd-päßwörd-1")), /^secretText must be printable ASCII without spaces; got a character outside that range at position 1\./);
    });

    it("never includes the rejected value in its errors", () => {
        for (const value of [`${ENTRA_PASSWORD} `, `${ENTRA_PASSWORD}${ENTRA_PASSWORD}`, ENTRA_PASSWORD.slice(0, 15)]) {
            const message = messageOf(() => keyMaterialFromPassword(value));
            assert.ok(!message.includes(value.trim()), "message contains the secret");
            assert.ok(!message.includes(value.slice(0, 8)), "message contains a prefix of the secret");
        }
    });
});
