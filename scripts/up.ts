// `./wrenn up`: the whole platform on this machine with embedded defaults
// (PGlite and an in-process event bus unless DATABASE_URL / REDIS_URL are
// set), in the foreground until Ctrl-C.
import { join } from "node:path";
import { repoRoot, startStack } from "@wrenn/devstack";

const dataDir = process.env.WRENN_DATA_DIR ?? join(repoRoot, ".wrenn");
const embedded = !process.env.DATABASE_URL;
const stack = await startStack({
  embedded,
  dataDir,
  databaseUrl: process.env.DATABASE_URL,
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

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write("stopping…\\n");
  await stack.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
