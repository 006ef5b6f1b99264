/**
 * `npm run emulator` smoke test: start it as a user would, read the printed URL and token, make a
 * Graph call and an admin call with them, then stop it with SIGTERM and see it exit cleanly.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";

describe("npm run emulator", () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
        // Only the process group started here, by its id.
        if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
            process.kill(-child.pid, "SIGKILL");
        }
    });

    it("prints its URL and token, answers curl-style requests, and stops on SIGTERM", async function () {
        this.timeout(45_000);
        child = spawn("npm", ["run", "--silent", "emulator", "--", "--port", "0"], {
            cwd: join(__dirname, "..", ".."),
            env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` },
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
        const exited = new Promise<number | null>((resolve) => child?.on("exit", (code) => resolve(code)));

        // GIVEN the printed banner
        const deadline = Date.now() + 40_000;
        while (!/Stop with Ctrl\+C/.test(stdout)) {
            assert.ok(Date.now() < deadline, `emulator did not start; stderr: ${stderr}`);
            assert.equal(child.exitCode, null, `emulator exited early; stderr: ${stderr}`);
            await new Promise((r) => setTimeout(r, 100));
        }
        const url = /Emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
        const token = /bearer token:\s+(\S+)/.exec(stdout)?.[1];
        assert.ok(url !== undefined && token !== undefined, stdout);
        assert.match(stdout, /curl -s -H "Authorization: Bearer \S+" "http:\/\/127\.0\.0\.1:\d+\/v1\.0\/servicePrincipals"/);

        // WHEN a principal is made over the admin endpoint and listed over Graph with the token
        const made = await fetch(`${url}/_emulator/servicePrincipals`, { method: "POST", body: "{}" });
        assert.equal(made.status, 201);
        const list = await fetch(`${url}/v1.0/servicePrincipals`, { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(list.status, 200);
        const body = (await list.json()) as { value: { servicePrincipalType: string }[] };
        assert.deepEqual(body.value.map((v) => v.servicePrincipalType), ["Legacy"]);
        assert.equal((await fetch(`${url}/v1.0/servicePrincipals`)).status, 401);

        // THEN SIGTERM stops it cleanly
        process.kill(-(child.pid ?? 0), "SIGTERM");
        const code = await exited;
        assert.match(stdout, /Emulator stopped \(SIGTERM\)\./);
        assert.ok(code === 0 || code === null, `exit code ${String(code)}`);
    });
});
