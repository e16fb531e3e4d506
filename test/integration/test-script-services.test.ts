import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "@wrenn/devstack";
import { freePort } from "../harness/free-port.js";

// `./wrenn test` (scripts/test.sh) starts PostgreSQL and Redis when no URL
// points at servers, and stops the ones it started when it ends: after a
// pass, a failure or Ctrl-C. Servers that were already running stay. A
// PostgreSQL cluster and a Redis port of this test's own stand in for the
// machine's (WRENN_PG_CLUSTER, WRENN_REDIS_PORT), so servers other runs use
// are never touched.
const pgVersion = execFileSync("pg_lsclusters", ["-h"], { encoding: "utf8" }).trim().split(/\s+/)[0];
const cluster = `wrenn_selftest_${randomBytes(3).toString("hex")}`;
let pgPort: number;
let redisPort: number;

beforeAll(async () => {
  pgPort = await freePort();
  redisPort = await freePort();
  execFileSync("pg_createcluster", [pgVersion, cluster, "-p", String(pgPort)], { stdio: "ignore" });
});

afterAll(() => {
  spawnSync("redis-cli", ["-p", String(redisPort), "shutdown", "nosave"], { stdio: "ignore" });
  spawnSync("pg_dropcluster", ["--stop", pgVersion, cluster], { stdio: "ignore" });
});

function pgOnline(): boolean {
  const out = execFileSync("pg_lsclusters", ["-h", pgVersion, cluster], { encoding: "utf8" });
  return out.includes("online");
}

function redisAnswers(): boolean {
  return spawnSync("redis-cli", ["-p", String(redisPort), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG";
}

/** scripts/test.sh as `./wrenn test` runs it, in a process group of its own (as a terminal's foreground job). */
function testScript(args: string[], interruptWhen?: RegExp): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("VITEST") && !["DATABASE_URL", "REDIS_URL", "WRENN_STARTED_SERVICES"].includes(key)) env[key] = value;
  Object.assign(env, { WRENN_PG_CLUSTER: `${pgVersion}/${cluster}`, WRENN_REDIS_PORT: String(redisPort), NODE_ENV: "" });
  const child = spawn("bash", ["scripts/test.sh", ...args], { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let interrupted = false;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (interruptWhen && !interrupted && interruptWhen.test(output)) {
      interrupted = true;
      // Ctrl-C: SIGINT to the whole foreground process group.
      process.kill(-child.pid!, "SIGINT");
    }
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}

describe("./wrenn test leaves no PostgreSQL or Redis running that it started", () => {
  it("after a passing run, both servers it started are stopped", async () => {
    expect(pgOnline()).toBe(false);
    expect(redisAnswers()).toBe(false);
    const run = await testScript(["test/harness/json-shape.test.ts"]);
    expect(run.output).toMatch(/starting PostgreSQL/);
    expect(run.output).toMatch(/tests: \d+ passed, 0 failed/);
    expect(run.code, run.output).toBe(0);
    expect(pgOnline()).toBe(false);
    expect(redisAnswers()).toBe(false);
  });

  it("after a failing run too", async () => {
    const run = await testScript(["test/harness/no-such-file.test.ts"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/stopping Redis/);
    expect(pgOnline()).toBe(false);
    expect(redisAnswers()).toBe(false);
  });

  it("after Ctrl-C while the tests run", async () => {
    // Once the servers are up, while the envd bundle builds or the tests run.
    const run = await testScript(["test/harness/json-shape.test.ts"], /started for this run, stopped at its end/);
    expect(run.code).not.toBe(0);
    expect(pgOnline()).toBe(false);
    expect(redisAnswers()).toBe(false);
  });

  it("servers that were already running stay running", async () => {
    execFileSync("pg_ctlcluster", [pgVersion, cluster, "start"], { stdio: "ignore" });
    execFileSync("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    for (let i = 0; i < 50 && !redisAnswers(); i++) await new Promise((r) => setTimeout(r, 100));
    const run = await testScript(["test/harness/json-shape.test.ts"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toMatch(/starting (PostgreSQL|Redis)/);
    expect(pgOnline()).toBe(true);
    expect(redisAnswers()).toBe(true);
  });
});
