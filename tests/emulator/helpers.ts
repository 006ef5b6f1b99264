/** Test support for the emulator specs: a tiny fetch-based Graph client, certificates, proofs. */
import { randomBytes, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importPKCS8, SignJWT } from "jose";
import type { Emulator } from "../../emulator";

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A response as the specs look at it. */
export interface Reply {
    readonly status: number;
    readonly headers: Headers;
    /** Parsed JSON, or null for an empty body. */
    readonly body: Json;
}

/** Sends one request to the emulator over real HTTP (global fetch). */
export async function call(emu: Emulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(`${emu.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${emu.token}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === "" ? null : (JSON.parse(text) as Json) };
}

/** `call` under /v1.0. */
export function graph(emu: Emulator, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
    return call(emu, method, `/v1.0${path}`, body, headers);
}

/** Narrows a JSON value to an object (fails the test otherwise). */
export function obj(value: Json | undefined): { [key: string]: Json } {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
    }
    return value;
}

/** Narrows a JSON value to an array. */
export function arr(value: Json | undefined): Json[] {
    if (!Array.isArray(value)) {
        throw new Error(`expected a JSON array, got ${JSON.stringify(value)}`);
    }
    return value;
}

/** `error` of a Graph error body, with innerError checked for shape. */
export function graphError(reply: Reply): { code: string; message: string; details?: Json } {
    const error = obj(obj(reply.body).error);
    const inner = obj(error.innerError);
    if (typeof inner.date !== "string" || typeof inner["request-id"] !== "string" || typeof inner["client-request-id"] !== "string") {
        throw new Error(`innerError is not Graph-shaped: ${JSON.stringify(inner)}`);
    }
    return { code: String(error.code), message: String(error.message), ...(error.details !== undefined ? { details: error.details } : {}) };
}

/** 32 random bytes, base64: a seed-style symmetric key / ClientSecret. */
export function newSecret(): string {
    return randomBytes(32).toString("base64");
}

const CERT_DIR = join(__dirname, "..", "fixtures", "certs");

/** A test certificate: DER as base64 (Graph's `key`), its private key, validity. */
export interface TestCert {
    readonly der: string;
    readonly privateKeyPem: string;
    readonly notAfter: Date;
    readonly thumbprint: string;
}

/** Loads tests/fixtures/certs/test-{name}. */
export function loadCert(name: "a" | "b"): TestCert {
    const pem = readFileSync(join(CERT_DIR, `test-${name}.cert.pem`), "utf8");
    const cert = new X509Certificate(pem);
    return {
        der: cert.raw.toString("base64"),
        privateKeyPem: readFileSync(join(CERT_DIR, `test-${name}.key.pem`), "utf8"),
        notAfter: new Date(cert.validTo),
        thumbprint: cert.fingerprint.replace(/:/g, ""),
    };
}

/** base64 of tests/fixtures/certs/test-a.pfx (an X509CertAndPassword key). */
export function loadPfx(): string {
    return readFileSync(join(CERT_DIR, "test-a.pfx")).toString("base64");
}

/** A proof-of-possession JWT for addKey/removeKey (serviceprincipal-addkey.md). */
export async function makeProof(objectId: string, cert: TestCert, now: Date, lifetimeSeconds = 600): Promise<string> {
    const key = await importPKCS8(cert.privateKeyPem, "RS256");
    const nbf = Math.floor(now.getTime() / 1000);
    return new SignJWT({})
        .setProtectedHeader({ alg: "RS256", typ: "JWT" })
        .setAudience("00000002-0000-0000-c000-000000000000")
        .setIssuer(objectId)
        .setNotBefore(nbf)
        .setExpirationTime(nbf + lifetimeSeconds)
        .sign(key);
}

/** Hours in ms. */
export const HOUR = 3600 * 1000;
/** Days in ms. */
export const DAY = 24 * HOUR;
