import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { createLogger } from "@wrenn/shared";
import { startWorkers } from "../src/workers.js";

/** A logger whose lines land in `lines` (the messages only). */
function memoryLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push((JSON.parse(String(chunk)) as { msg: string; worker?: string }).msg);
      done();
    },
  });
  return { lines, logger: createLogger("workers-test", { level: "info", destinations: [sink] }) };
}

const untilAborted = (signal: AbortSignal) => new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));

describe("background workers", () => {
  it("aborts every worker's signal on stop() and waits for each to finish its cleanup", async () => {
    const { logger } = memoryLogger();
    const done: string[] = [];
    const worker = (name: string) => ({
      name,
      async run(signal: AbortSignal) {
        await untilAborted(signal);
        await new Promise((resolve) => setImmediate(resolve)); // cleanup that takes a turn of the loop
        done.push(name);
      },
    });
    const workers = startWorkers([worker("a"), worker("b")], logger);
    await workers.stop();
    expect(done.sort()).toEqual(["a", "b"]);
  });

  it("logs a failed worker and keeps the others running", async () => {
    const { logger, lines } = memoryLogger();
    let aborted: boolean | undefined;
    const workers = startWorkers(
      [
        {
          name: "broken",
          run() {
            throw new Error("no such table");
          },
        },
        {
          name: "steady",
          async run(signal) {
            await untilAborted(signal);
            aborted = signal.aborted;
          },
        },
      ],
      logger,
    );
    await expect.poll(() => lines).toContain("worker failed; it is not restarted");
    expect(aborted).toBeUndefined();
    await workers.stop();
    expect(aborted).toBe(true);
  });

  it("gives up on a worker that ignores its signal after the grace time, and says so", async () => {
    const { logger, lines } = memoryLogger();
    const workers = startWorkers([{ name: "stuck", run: () => new Promise<void>(() => {}) }], logger);
    await workers.stop(50);
    expect(lines).toContain("workers still running at shutdown; leaving them");
  });
});
