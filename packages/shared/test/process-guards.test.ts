import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { crashExitCode } from "../src/process-guards.js";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Runs a tiny service that installs the guards and then fails as `how` says. */
function runService(how: string) {
  const script = `
    import { createLogger, installProcessGuards } from "../src/index.ts";
    const logger = createLogger("guarded");
    installProcessGuards(logger);
    setInterval(() => {}, 1000); // a server keeps the loop alive
    ${how}
  `;
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: here, encoding: "utf8", timeout: 30_000 });
}

function fatalLine(stderr: string): { msg?: string; err?: { message?: string } } | undefined {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .find((entry) => entry.level === 60);
}

describe("process guards", () => {
  it("log an uncaught exception with its cause and exit non-zero", () => {
    const result = runService(`setTimeout(() => { throw new Error("boom outside any handler"); }, 10);`);
    expect(result.status).toBe(crashExitCode);
    const line = fatalLine(result.stderr);
    expect(line?.msg).toBe("uncaught exception; exiting");
    expect(line?.err?.message).toBe("boom outside any handler");
  });

  it("log an unhandled rejection with its cause and exit non-zero", () => {
    const result = runService(`Promise.reject(new URIError("URI malformed"));`);
    expect(result.status).toBe(crashExitCode);
    const line = fatalLine(result.stderr);
    expect(line?.msg).toBe("unhandled promise rejection; exiting");
    expect(line?.err?.message).toBe("URI malformed");
  });
});
