/**
 * HTTP file transfer through a whole stack (controlplane, host agent,
 * namespace sandboxes), beside envd alone in the same run:
 *
 *   (b) exec round trips (`true`) to sandbox 2 through the public gRPC API,
 *       alone and while one client reads a large download from sandbox 1
 *       slowly (same host agent, same relay connection): a slow reader must
 *       not hold up other sandboxes' calls;
 *   (c) upload and download throughput over HTTP (POST/GET …/files), as MB/s
 *       and as a ratio to envd's own WriteFile/ReadFile throughput.
 *
 *   npm run bench reach-transfer [-- --quick]   (local PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set, else embedded mode)
 */
import { request, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient, Metadata } from "nice-grpc";
import type { Stack } from "@wrenn/devstack";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/api/v1/process.js";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { startBenchStack, startEnvd } from "./services.js";
import { percentile, type BenchSuite, type Report } from "./suite.js";

const quick = process.argv.includes("--quick");
const MB = 1_000_000;
const MiB = 1024 * 1024;
/** The slow reader's file (sparse: reading it costs no disk) and pace. */
const slowFileBytes = (quick ? 256 : 1024) * MiB;
const slowReadBytesPerSecond = 20 * MB;
const execSamples = quick ? 40 : 200;
const transferBytes = (quick ? 128 : 512) * MiB;
const chunk = Buffer.alloc(64 * 1024, 7);

export const suite: BenchSuite = {
  name: "reach-transfer",
  description: "exec latency beside a slow HTTP download, and HTTP upload/download throughput vs envd alone",
  async run(report) {
    const stack = await startBenchStack();
    const channel = createChannel(stack.grpcAddress);
    const auth = { "*": { metadata: Metadata({ authorization: `Bearer ${stack.apiKey}` }) } };
    const sandboxes = createClient(SandboxServiceDefinition, channel, auth);
    const processes = createClient(ProcessServiceDefinition, channel, auth);
    const made: string[] = [];
    try {
      for (let i = 0; i < 2; i++) made.push((await sandboxes.createSandbox({ templateId: "base", waitReady: true })).sandbox!.sandboxId);
      const [first, second] = made as [string, string];
      const exec = async (sandboxId: string, cmd: string, args: string[] = []) => {
        for await (const { event } of processes.startProcess({ sandboxId, start: { process: { cmd, args, envs: {} }, timeoutMs: 60_000 } })) {
          if (event?.end && event.end.exitCode !== 0) throw new Error(`${cmd} exited with ${event.end.exitCode}`);
        }
      };
      const roundTrips = async () => {
        const times: number[] = [];
        for (let i = 0; i < execSamples + 5; i++) {
          const t0 = performance.now();
          await exec(second, "true");
          if (i >= 5) times.push(performance.now() - t0); // the first runs warm up
        }
        return times.sort((a, b) => a - b);
      };

      // (b)
      const alone = await roundTrips();
      reportLatency(report, "exec_alone", alone);
      await exec(first, "truncate", ["-s", String(slowFileBytes), "/tmp/slow.bin"]);
      const reader = slowDownload(stack, first, "/tmp/slow.bin");
      await reader.started;
      const beside = await roundTrips();
      const read = reader.stop();
      reportLatency(report, "exec_beside_slow_download", beside);
      report("exec_median_ratio_beside_slow_download", percentile(beside, 50) / percentile(alone, 50), "x");
      report("slow_download_read", (await read) / MB, "MB");

      // (c) envd alone measured right before and after the HTTP transfers (the
      // machine's load drifts; the ratio is to their mean).
      const envdBefore = await measureEnvd();
      let t0 = performance.now();
      await upload(stack, first, "/tmp/up.bin", transferBytes);
      const up = transferBytes / MB / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      const got = await download(stack, first, "/tmp/up.bin");
      const down = got / MB / ((performance.now() - t0) / 1000);
      if (got !== transferBytes) throw new Error(`downloaded ${got} of ${transferBytes} bytes`);
      const envdAfter = await measureEnvd();
      const envd = { write: (envdBefore.write + envdAfter.write) / 2, read: (envdBefore.read + envdAfter.read) / 2 };
      report("envd_file_write_throughput", envd.write, "MB/s");
      report("envd_file_read_throughput", envd.read, "MB/s");
      report("http_upload_throughput", up, "MB/s");
      report("http_download_throughput", down, "MB/s");
      report("http_upload_vs_envd", up / envd.write, "x");
      report("http_download_vs_envd", down / envd.read, "x");
    } finally {
      for (const sandboxId of made) await sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
      channel.close();
      await stack.close();
    }
  },
};

function reportLatency(report: Report, name: string, sorted: number[]): void {
  report(`${name}_median`, percentile(sorted, 50), "ms");
  report(`${name}_p90`, percentile(sorted, 90), "ms");
}

/** envd's own file throughput on this machine: `transferBytes` written then read in 64 KiB chunks over its unix socket. */
async function measureEnvd(): Promise<{ write: number; read: number }> {
  const envd = await startEnvd();
  try {
    const path = `${envd.dir}/bench.bin`;
    async function* frames() {
      for (let sent = 0; sent < transferBytes; sent += chunk.length) yield { path, data: chunk };
    }
    let t0 = performance.now();
    await envd.fs.writeFile(frames());
    const write = transferBytes / MB / ((performance.now() - t0) / 1000);
    let read = 0;
    t0 = performance.now();
    for await (const { data } of envd.fs.readFile({ path })) read += data.length;
    if (read !== transferBytes) throw new Error(`envd read ${read} of ${transferBytes} bytes`);
    return { write, read: transferBytes / MB / ((performance.now() - t0) / 1000) };
  } finally {
    await envd.stop();
  }
}

function filesRequest(stack: Stack, sandboxId: string, path: string, method: string, onResponse: (res: IncomingMessage) => void) {
  const url = new URL(`${stack.httpUrl}/v1/sandboxes/${sandboxId}/files?path=${encodeURIComponent(path)}`);
  const headers: Record<string, string> = { authorization: `Bearer ${stack.apiKey}` };
  if (method === "POST") headers["content-type"] = "application/octet-stream";
  return request(url, { method, headers }, onResponse);
}

function upload(stack: Stack, sandboxId: string, path: string, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = filesRequest(stack, sandboxId, path, "POST", (res) => {
      res.resume();
      res.once("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`upload answered ${res.statusCode}`))));
    });
    req.once("error", reject);
    const body = Readable.from(
      (function* () {
        for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
      })(),
    );
    pipeline(body, req).catch(reject);
  });
}

function download(stack: Stack, sandboxId: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = filesRequest(stack, sandboxId, path, "GET", (res) => {
      if (res.statusCode !== 200) return reject(new Error(`download answered ${res.statusCode}`));
      let got = 0;
      res.on("data", (data: Buffer) => (got += data.length));
      res.once("end", () => resolve(got));
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end();
  });
}

/** A client reading a download at `slowReadBytesPerSecond`, pausing between reads; stop() cuts it and says how much it read. */
function slowDownload(stack: Stack, sandboxId: string, path: string): { started: Promise<void>; stop(): Promise<number> } {
  let stopped = false;
  let got = 0;
  let signalStarted!: () => void;
  let failStarted!: (err: Error) => void;
  const started = new Promise<void>((resolve, reject) => ((signalStarted = resolve), (failStarted = reject)));
  const req = filesRequest(stack, sandboxId, path, "GET", (res) => {
    if (res.statusCode !== 200) return failStarted(new Error(`slow download answered ${res.statusCode}`));
    signalStarted();
    void (async () => {
      const t0 = performance.now();
      for await (const data of res as AsyncIterable<Buffer>) {
        got += data.length;
        if (stopped) break;
        const due = (got / slowReadBytesPerSecond) * 1000 - (performance.now() - t0);
        if (due > 0) await sleep(due);
      }
    })().catch(() => undefined);
  });
  req.once("error", (err) => failStarted(err));
  req.end();
  return {
    started,
    stop() {
      stopped = true;
      req.destroy();
      return Promise.resolve(got);
    },
  };
}
