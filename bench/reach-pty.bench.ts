/**
 * The WebSocket bridge's terminal latency on a whole stack (namespace
 * runtime): one keystroke typed into a PTY running `cat` until its echo
 * comes back, alone and while parallel HTTP downloads run through the port
 * proxy from the same sandbox (a bridge must not queue behind bulk traffic).
 *
 *   npm run bench reach-pty               200 round trips each, 4 downloads of 64 MB in a loop
 *   npm run bench reach-pty -- --quick    50 round trips each, 16 MB downloads
 */
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { createWrennClient } from "@wrenn/client";
import { startBenchStack } from "./services.js";
import { percentile, type BenchSuite, type Report } from "./suite.js";

const quick = process.argv.includes("--quick");
const samples = quick ? 50 : 200;
const downloadMb = quick ? 16 : 64;
const downloads = 4;

/** Opens a PTY bridge running `cat` (its echo is the terminal's own) and waits for the started message. */
async function openCat(httpUrl: string, sandboxId: string, apiKey: string): Promise<WebSocket> {
  const url = new URL(`/v1/sandboxes/${sandboxId}/pty`, httpUrl.replace(/^http/, "ws"));
  url.searchParams.set("token", apiKey);
  url.searchParams.set("cmd", "exec cat");
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", (_data, isBinary) => {
      if (!isBinary) resolve();
    });
  });
  ws.removeAllListeners("message");
  return ws;
}

/** Round trips of one keystroke each: the typed letter until it is echoed back. */
async function roundTrips(ws: WebSocket, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count + 5; i += 1) {
    const letter = String.fromCharCode(97 + (i % 26));
    const echoed = new Promise<void>((resolve) => {
      const onMessage = (data: Buffer, isBinary: boolean) => {
        if (isBinary && data.includes(letter)) {
          ws.off("message", onMessage);
          resolve();
        }
      };
      ws.on("message", onMessage);
    });
    const t0 = performance.now();
    ws.send(Buffer.from(letter), { binary: true });
    await echoed;
    if (i >= 5) times.push(performance.now() - t0); // the first ones warm up
    // A pause longer than the coalescing window: each key is a lone keystroke, as typed.
    await new Promise((r) => setTimeout(r, 10));
  }
  return times.sort((a, b) => a - b);
}

/**
 * Downloads `url` over and over in a shell loop of curl (its own process);
 * `stop` ends it and resolves with the bytes of the downloads that finished
 * and how many answers were not a 200 (reported, not hidden).
 */
function downloadLoop(url: string, apiKey: string): { firstDone: Promise<void>; stop(): Promise<{ bytes: number; failures: number }> } {
  const script = 'while :; do curl -s -H "authorization: Bearer $KEY" -o /dev/null -w "%{http_code} %{size_download}\\n" "$URL"; done';
  const child = spawn("sh", ["-c", script], { env: { ...process.env, KEY: apiKey, URL: url }, stdio: ["ignore", "pipe", "inherit"], detached: true });
  let bytes = 0;
  let failures = 0;
  let done: () => void = () => undefined;
  const firstDone = new Promise<void>((resolve) => (done = resolve));
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const [code, size] = line.split(" ");
      if (code === "200") bytes += Number(size) || 0;
      else {
        failures += 1;
        // Which answer, for whoever reads the run's log (000: curl got none).
        if (failures <= 3) console.error(`reach-pty: a download through the proxy answered ${code}`);
      }
    }
    if (bytes > 0) done();
  });
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running = false;
      resolve();
    }),
  );
  return {
    firstDone,
    async stop() {
      // The loop's process group: the shell and the curl it is waiting for.
      if (child.pid && running) process.kill(-child.pid, "SIGTERM");
      await exited;
      return { bytes, failures };
    },
  };
}

function reportTimes(report: Report, name: string, sorted: number[]): void {
  report(`${name}_median`, percentile(sorted, 50), "ms");
  report(`${name}_p90`, percentile(sorted, 90), "ms");
}

export const suite: BenchSuite = {
  name: "reach-pty",
  description: "PTY keystroke echo round trip over the WebSocket bridge, alone and beside port-proxy downloads",
  async run(report) {
    const stack = await startBenchStack();
    const client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    let sandboxId = "";
    try {
      const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
      sandboxId = sandbox!.sandboxId;
      const ws = await openCat(stack.httpUrl, sandboxId, stack.apiKey);
      reportTimes(report, "echo_alone", await roundTrips(ws, samples));

      // A file to download and a server for it, in the background (it outlives this call).
      const serve = `mkdir -p /tmp/www && head -c ${downloadMb * 1_000_000} /dev/urandom > /tmp/www/big.bin && cd /tmp/www && exec python3 -m http.server 8000`;
      const started = client.processes.startProcess({ sandboxId, start: { process: { cmd: "sh", args: ["-c", serve], envs: {} }, background: true, timeoutMs: 0 } });
      for await (const { event } of started) if (event?.start) break;

      const bigUrl = `${stack.httpUrl}/proxy/${sandboxId}/8000/big.bin`;
      const headers = { authorization: `Bearer ${stack.apiKey}` };
      // The server needs a moment to write the file and listen; the proxy retries a refused dial for ~10 s.
      let ready = false;
      for (let attempt = 0; attempt < 30 && !ready; attempt += 1) {
        const res = await fetch(bigUrl, { headers, method: "HEAD" });
        ready = res.status === 200;
        if (!ready) await new Promise((r) => setTimeout(r, 1_000));
      }
      if (!ready) throw new Error(`the proxy did not serve ${bigUrl}`);

      // curl processes, not fetch here: this process's event loop must only time the echoes.
      const curls = Array.from({ length: downloads }, () => downloadLoop(bigUrl, stack.apiKey));
      await Promise.all(curls.map((c) => c.firstDone));
      const t0 = performance.now();
      reportTimes(report, "echo_beside_downloads", await roundTrips(ws, samples));
      const seconds = (performance.now() - t0) / 1000;
      const loops = await Promise.all(curls.map((c) => c.stop()));
      report("proxy_download_throughput", loops.reduce((sum, loop) => sum + loop.bytes, 0) / 1_000_000 / seconds, "MB/s");
      report("proxy_download_failures", loops.reduce((sum, loop) => sum + loop.failures, 0), "answers");
      ws.close();
    } finally {
      if (sandboxId) await client.sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
      client.close();
      await stack.close();
    }
  },
};
