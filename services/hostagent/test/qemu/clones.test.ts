import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Status } from "@wrenn/shared";
import { exec, forSandbox, newSandboxId, startAgent, type AgentProcess, qemuInstalled } from "../harness.js";

/**
 * Every sandbox is a restore of one template snapshot, so everything in the
 * snapshot's memory (envd's generators, the guest kernel's CRNG) starts the
 * same in every clone. These tests restore 10 sandboxes from the base
 * template through the real host agent and check that each is its own
 * machine, that processes learn they were cloned, and that envd answers only
 * the host. Real QEMU under TCG; skipped where QEMU is not installed.
 */
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";
const clones = 10;
const cloneFile = "/run/wrenn/clone-generation";

let agent: AgentProcess;
const sandboxes: string[] = [];

/** Starts a command without a tag and returns the tag envd chose, with its output. */
async function startUntagged(sandboxId: string, cmd: string, args: string[]): Promise<{ tag: string; stdout: string }> {
  let tag = "";
  let stdout = "";
  for await (const { event } of agent.process.start({ process: { cmd, args, envs: {} }, timeoutMs: 60_000 }, forSandbox(sandboxId))) {
    if (event?.start) tag = event.start.tag;
    if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
  }
  return { tag, stdout };
}

async function run(sandboxId: string, script: string): Promise<string> {
  const result = await exec(agent, sandboxId, "sh", ["-c", script], { timeoutMs: 60_000 });
  expect(result.exitCode, `${script}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
}

const pairwiseDifferent = (values: string[]) => new Set(values).size === values.length && values.every((v) => v.length > 0);

describe.skipIf(!qemuInstalled)("clones of one template", { sequential: true }, () => {
  beforeAll(async () => {
    // The first start may build the image and cold-boots the base template.
    agent = await startAgent({ WRENN_RUNTIME: "qemu", WRENN_IMAGES_DIR: imagesDir, WRENN_LOG_LEVEL: "debug" }, 900_000);
    for (let i = 0; i < clones; i++) {
      const sandboxId = newSandboxId();
      await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {}, startTimeoutSeconds: 120 });
      sandboxes.push(sandboxId);
    }
  }, 1_200_000);
  afterAll(async () => {
    for (const sandboxId of sandboxes) await agent?.sandboxes.destroySandbox({ sandboxId }).catch(() => {});
    await agent?.stop();
  }, 120_000);

  test(`${clones} clones differ: envd's auto tags, 32 bytes of /dev/urandom, a fresh node's randomUUID, the clone id`, async () => {
    const tags: string[] = [];
    const urandom: string[] = [];
    const uuids: string[] = [];
    const cloneIds: string[] = [];
    for (const sandboxId of sandboxes) {
      const first = await startUntagged(sandboxId, "head", ["-c", "32", "/dev/urandom"]);
      tags.push(first.tag);
      expect(first.tag).toMatch(/^proc-[0-9a-f]{8}$/);
      urandom.push(await run(sandboxId, "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'"));
      uuids.push(await run(sandboxId, `node -e 'console.log(require("crypto").randomUUID())'`));
      cloneIds.push(await run(sandboxId, `cat ${cloneFile}`));
    }
    expect(urandom.every((hex) => hex.length === 64)).toBe(true);
    expect(pairwiseDifferent(tags), `tags: ${tags.join(" ")}`).toBe(true);
    expect(pairwiseDifferent(urandom), `urandom: ${urandom.join(" ")}`).toBe(true);
    expect(pairwiseDifferent(uuids), `uuids: ${uuids.join(" ")}`).toBe(true);
    expect(pairwiseDifferent(cloneIds), `clone ids: ${cloneIds.join(" ")}`).toBe(true);

    // In the guest envd is root and its helper credits the host's seed and forces the reseed (not the fallback).
    for (const sandboxId of sandboxes) {
      const console = await readFile(join(agent.dataDir, "sandboxes", sandboxId, "console.log"), "utf8");
      const init = console.split("\n").filter((l) => l.includes('"msg":"initialised"')).at(-1);
      expect(init, `envd's Init log in ${sandboxId}`).toContain('"rng":"helper-reseeded"');
    }
    const initMs = agent.logs.filter((l) => l.includes('"msg":"envd handshake"')).map((l) => (JSON.parse(l) as { initMs: number }).initMs);
    console.log(`[clones] envd Init after restore: ${[...initMs].sort((a, b) => a - b).join(", ")} ms`);
  }, 600_000);

  test("a process running across a pause and resume sees the clone-generation file change", async () => {
    const sandboxId = sandboxes[0]!;
    // What a long-running program in a template would do: watch /run/wrenn, reseed on a change.
    const watcher = [
      `const fs = require("fs");`,
      `fs.watch("/run/wrenn", (_e, name) => { if (name === "clone-generation") fs.appendFileSync("/tmp/clone-events", fs.readFileSync("${cloneFile}")); });`,
      `fs.writeFileSync("/tmp/watching", "yes");`,
    ].join(" ");
    await exec(agent, sandboxId, "sh", ["-c", `nohup node -e '${watcher}' >/dev/null 2>&1 &`]);
    await expect.poll(() => run(sandboxId, "cat /tmp/watching 2>/dev/null || true"), { timeout: 60_000, interval: 500 }).toBe("yes");
    const before = await run(sandboxId, `cat ${cloneFile}`);

    await agent.sandboxes.pauseSandbox({ sandboxId });
    await agent.sandboxes.resumeSandbox({ sandboxId });

    // envd renews it right after Init answers.
    await expect.poll(() => run(sandboxId, `cat ${cloneFile}`), { timeout: 30_000, interval: 500 }).not.toBe(before);
    const after = await run(sandboxId, `cat ${cloneFile}`);
    expect(after).toMatch(/^[0-9a-f]{32}$/);
    await expect.poll(() => run(sandboxId, "cat /tmp/clone-events 2>/dev/null || true"), { timeout: 30_000, interval: 500 }).toContain(after);
  }, 300_000);

  test("only the host reaches envd: a process in the guest is cut off on the guest's address and finds nothing on loopback", async () => {
    const sandboxId = sandboxes[1]!;
    // Dials envd, speaks HTTP/2's preface and reports what came back: an HTTP/2 server always answers with SETTINGS.
    const probe = [
      `const s = require("net").connect({ host: process.argv[1], port: 49983 }); let got = 0;`,
      `s.on("connect", () => s.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])])));`,
      `s.on("data", (d) => { got += d.length; });`,
      `s.on("error", (e) => { console.log(e.code === "ECONNRESET" ? "cut after " + got + " bytes" : e.code); process.exit(0); });`,
      `s.on("close", () => { console.log("cut after " + got + " bytes"); process.exit(0); });`,
      `setTimeout(() => { console.log("open after " + got + " bytes"); process.exit(0); }, 5000);`,
    ].join(" ");
    const guestAddress = await run(sandboxId, `node -e 'console.log(require("os").networkInterfaces().eth0.find((a) => a.family === "IPv4").address)'`);
    expect(guestAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await run(sandboxId, `node -e '${probe}' ${guestAddress}`)).toBe("cut after 0 bytes");
    expect(await run(sandboxId, `node -e '${probe}' 127.0.0.1`)).toBe("ECONNREFUSED");
    // The agent, on the host side of the channel, still is served.
    expect(await run(sandboxId, "echo still-served")).toBe("still-served");
  }, 300_000);

  test("kernel pseudo-files end with a clear error within 1 MiB, and envd keeps answering", async () => {
    const sandboxId = sandboxes[2]!;
    for (const path of ["/proc/kcore", "/proc/self/pagemap", "/proc/self/mem"]) {
      let bytes = 0;
      const failure = await (async () => {
        for await (const { data } of agent.files.readFile({ path }, { ...forSandbox(sandboxId), signal: AbortSignal.timeout(60_000) })) bytes += data.length;
      })().then(
        () => undefined,
        (err: { code?: number; details?: string }) => err,
      );
      expect(failure?.code, path).toBe(Status.FAILED_PRECONDITION);
      expect(failure?.details, path).toMatch(path === "/proc/self/mem" ? /input\/output error/ : /kernel pseudo-file \(proc\) longer than 1048576 bytes/);
      expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    }
    expect(await run(sandboxId, "echo alive")).toBe("alive");
  }, 300_000);
});
