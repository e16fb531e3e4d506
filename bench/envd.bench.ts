/**
 * envd alone on this machine, over its unix socket (no host agent, no VM):
 * exec round-trip latency of `true`, process output throughput, and file
 * write/read throughput through the streaming file RPCs.
 */
import { startEnvd } from "./services.js";
import { percentile, type BenchSuite } from "./suite.js";

const MB = 1_000_000;

export const suite: BenchSuite = {
  name: "envd",
  description: "exec latency, stream and file throughput of envd alone (unix socket)",
  async run(report) {
    const envd = await startEnvd();
    try {
      // Exec round trip: Start `true` and read its stream to the end event.
      const latencies: number[] = [];
      for (let i = 0; i < 220; i += 1) {
        const t0 = performance.now();
        for await (const _ of envd.process.start({ process: { cmd: "true" } })) {
          /* start, end */
        }
        if (i >= 20) latencies.push(performance.now() - t0); // the first runs warm up
      }
      latencies.sort((a, b) => a - b);
      report("exec_true_median", percentile(latencies, 50), "ms");
      report("exec_true_p99", percentile(latencies, 99), "ms");

      // Stream: 512 MB of process output.
      const streamBytes = 512 * MB;
      let got = 0;
      let t0 = performance.now();
      for await (const { event } of envd.process.start({ process: { cmd: "head", args: ["-c", String(streamBytes), "/dev/zero"] } })) {
        got += event?.data?.stdout?.length ?? 0;
      }
      if (got !== streamBytes) throw new Error(`stream delivered ${got} of ${streamBytes} bytes`);
      report("stream_throughput", streamBytes / MB / ((performance.now() - t0) / 1000), "MB/s");

      // Files: write then read 256 MB in 64 KiB chunks.
      const fileBytes = 256 * MB;
      const chunk = Buffer.alloc(64 * 1024, 7);
      const path = `${envd.dir}/bench.bin`;
      async function* upload() {
        let sent = 0;
        while (sent < fileBytes) {
          const n = Math.min(chunk.length, fileBytes - sent);
          yield { path, data: n === chunk.length ? chunk : chunk.subarray(0, n) };
          sent += n;
        }
      }
      t0 = performance.now();
      await envd.fs.writeFile(upload());
      report("file_write_throughput", fileBytes / MB / ((performance.now() - t0) / 1000), "MB/s");
      let read = 0;
      t0 = performance.now();
      for await (const { data } of envd.fs.readFile({ path })) read += data.length;
      if (read !== fileBytes) throw new Error(`read ${read} of ${fileBytes} bytes`);
      report("file_read_throughput", fileBytes / MB / ((performance.now() - t0) / 1000), "MB/s");
    } finally {
      await envd.stop();
    }
  },
};
