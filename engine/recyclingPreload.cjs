// Preloaded (node --require) into Pulumi's dynamic provider host when engine/providerHost.ts
// starts it with `recyclable: true`. It changes nothing about how the host serves calls; it only
// answers two commands on file descriptor 3, one line each:
//   mark  - remember the modules in require.cache and the globals that exist now (the host's own,
//           loaded before any provider call); answers "ok".
//   reset - delete every module from require.cache and every global property that was not there at
//           "mark", so that provider code loaded afterwards starts from nothing, as in a new
//           process; answers the number of modules dropped.
// What a reset cannot reach: a provider whose serialized text holds state in its own closure (the
// host caches the deserialized provider per text for the life of the process), timers it left
// running, and Node's built-in HTTP connection pool. docs/ENGINE.md lists these.
"use strict";
const net = require("node:net");

let modules = new Set();
let globals = new Set();

function mark() {
    modules = new Set(Object.keys(require.cache));
    globals = new Set(Reflect.ownKeys(globalThis));
    return "ok";
}

function reset() {
    let dropped = 0;
    for (const key of Object.keys(require.cache)) {
        if (!modules.has(key)) {
            delete require.cache[key];
            dropped++;
        }
    }
    for (const key of Reflect.ownKeys(globalThis)) {
        // A non-configurable global (Node's own, such as the fetch dispatcher's) cannot be
        // deleted; it is not provider state either.
        if (!globals.has(key) && Object.getOwnPropertyDescriptor(globalThis, key)?.configurable) {
            delete globalThis[key];
        }
    }
    return String(dropped);
}

const control = new net.Socket({ fd: 3, readable: true, writable: true });
control.setEncoding("utf8");
// The control pipe must not keep the host alive on its own (the host exits when the engine kills it).
control.unref();
let buffered = "";
control.on("data", (chunk) => {
    buffered += chunk;
    for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
        const command = buffered.slice(0, i).trim();
        buffered = buffered.slice(i + 1);
        let answer;
        try {
            answer = command === "mark" ? mark() : command === "reset" ? reset() : `unknown command ${command}`;
        } catch (e) {
            answer = `error ${e instanceof Error ? e.message : String(e)}`;
        }
        control.write(`${answer}\n`);
    }
});
