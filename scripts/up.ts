// `./wrenn up`: the whole platform on this machine with embedded defaults
// (PGlite and an in-process event bus unless DATABASE_URL / REDIS_URL are
// set), in the foreground until Ctrl-C. Sandboxes are QEMU microVMs when QEMU
// is installed (the first start builds the guest image and the base template
// snapshot, with progress below), else Linux namespace sandboxes.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, startStack } from "@wrenn/devstack";

const dataDir = process.env.WRENN_DATA_DIR ?? join(repoRoot, ".wrenn");
const embedded = !process.env.DATABASE_URL;
const qemu = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
const runtime = (process.env.WRENN_RUNTIME as "qemu" | "namespace" | "auto" | undefined) ?? (qemu ? "qemu" : "namespace");
process.stdout.write(`Starting Wrenn (${runtime} sandboxes)…\n`);

const stack = await startStack({
  embedded,
  dataDir,
  databaseUrl: process.env.DATABASE_URL,
  runtime,
  sandboxNetwork: (process.env.WRENN_SANDBOX_NETWORK as "isolated" | "netns" | "auto" | undefined) ?? "auto",
  hostagentStartTimeoutMs: 20 * 60_000,
  onHostagentLog: showProgress,
  listen: {
    grpc: process.env.WRENN_GRPC_LISTEN ?? "127.0.0.1:50051",
    http: process.env.WRENN_HTTP_LISTEN ?? "127.0.0.1:8080",
    hostagent: process.env.WRENN_HOSTAGENT_LISTEN ?? "127.0.0.1:50052",
  },
});

process.stdout.write(`
Wrenn is up${embedded ? " (embedded database and event bus)" : ""}.
  gRPC API      ${stack.grpcAddress}
  HTTP/JSON     ${stack.httpUrl}   (OpenAPI: ${stack.httpUrl}/openapi.json)
  host agent    ${stack.hostagentAddress}
  logs          ${stack.logDir}/{controlplane,hostagent}.log

Try:
  curl -s -X POST ${stack.httpUrl}/v1/sandboxes -d '{"waitReady":true}'

Ctrl-C stops everything.
`);

/** The host agent's image build and template steps, as one line each. */
function showProgress(entry: Record<string, unknown>): void {
  const msg = String(entry.msg ?? "");
  if (entry.component === "image" || /template|image/i.test(msg)) {
    const step = entry.step ? `${String(entry.step)}: ` : "";
    const detail = entry.phase ? ` ${String(entry.phase)}` : entry.ms !== undefined ? ` (${String(entry.ms)} ms)` : "";
    process.stdout.write(`  ${step}${msg}${detail}\n`);
  }
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write("stopping…\n");
  await stack.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
