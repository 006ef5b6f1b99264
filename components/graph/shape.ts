// Strict reading of Graph's JSON answers. An answer that is not the documented shape is an error,
// never a state: a 200 whose body is a proxy's sign-in page, `{}` or `null` must not be read as
// "no credentials" (a create would then erase every other key on the object) or as "not found"
// (a refresh would drop a live generation). Each check names the field and what it found: its
// JSON kind, never its value (an answer may hold a secret: addPassword's secretText).
//
// Plain functions, no classes: this file is serialized by value with the provider.

/** Reports a problem with a body and does not return (the client turns it into a GraphResponseError). */
export type Fail = (problem: string) => never;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `s` is a GUID in its usual 8-4-4-4-12 form. */
export function isGuid(s: string): boolean {
    return GUID.test(s);
}

/** The JSON kind of a value, for a message: "missing", "null", "an array", "a string", "a number", "a boolean", "an object". */
export function kindOf(v: unknown): string {
    if (v === undefined) {
        return "missing";
    }
    if (v === null) {
        return "null";
    }
    if (Array.isArray(v)) {
        return "an array";
    }
    return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** True for a JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The body as a JSON object; fails for an empty body or any other JSON value. */
export function objectBody(body: unknown, fail: Fail): Record<string, unknown> {
    if (body === undefined) {
        fail("the body is empty, expected a JSON object");
    }
    if (!isJsonObject(body)) {
        fail(`the body is ${kindOf(body)}, expected a JSON object`);
    }
    return body;
}

/** `obj[name]` as an array; missing or null is a failure, not an empty list. */
export function arrayField(obj: Record<string, unknown>, name: string, where: string, fail: Fail): unknown[] {
    const v = obj[name];
    if (!Array.isArray(v)) {
        fail(`${where}${name} is ${kindOf(v)}, expected an array`);
    }
    return v;
}

/** `list[index]` as a JSON object. */
export function entryObject(v: unknown, where: string, fail: Fail): Record<string, unknown> {
    if (!isJsonObject(v)) {
        fail(`${where} is ${kindOf(v)}, expected an object`);
    }
    return v;
}

/** `obj[name]` as a GUID string. */
export function guidField(obj: Record<string, unknown>, name: string, where: string, fail: Fail): string {
    const v = obj[name];
    if (typeof v !== "string") {
        fail(`${where}${name} is ${kindOf(v)}, expected a GUID`);
    }
    if (!isGuid(v)) {
        fail(`${where}${name} is a string of ${v.length} characters that is not a GUID`);
    }
    return v;
}

/** `obj[name]` as a non-empty string. */
export function stringField(obj: Record<string, unknown>, name: string, where: string, fail: Fail): string {
    const v = obj[name];
    if (typeof v !== "string" || v === "") {
        fail(`${where}${name} is ${v === "" ? "an empty string" : kindOf(v)}, expected a string`);
    }
    return v;
}

/** `obj[name]`, when present, as a string or null (displayName, hint). */
export function optionalStringField(obj: Record<string, unknown>, name: string, where: string, fail: Fail): void {
    const v = obj[name];
    if (v !== undefined && v !== null && typeof v !== "string") {
        fail(`${where}${name} is ${kindOf(v)}, expected a string or null`);
    }
}

/** `obj[name]` as a date-time string that parses. */
export function dateField(obj: Record<string, unknown>, name: string, where: string, fail: Fail): string {
    const v = obj[name];
    if (typeof v !== "string") {
        fail(`${where}${name} is ${kindOf(v)}, expected a date-time`);
    }
    if (Number.isNaN(Date.parse(v))) {
        fail(`${where}${name} is a string that is not a date-time`);
    }
    return v;
}
