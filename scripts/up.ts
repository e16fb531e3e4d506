// `./wrenn up`: the whole platform on this machine with embedded defaults
// (PGlite and an in-process event bus unless DATABASE_URL / REDIS_URL are
// set), in the foreground until Ctrl-C. Sandboxes are QEMU microVMs when QEMU
// is installed (the first start builds the guest image and the base template
// snapshot, with progress below), else Linux namespace sandboxes.
//
// Services are supervised: one that dies is reported here with its last log
// lines and started again (with backoff) on the same addresses and data dir.
// SIGINT or SIGTERM stops the platform; running sandboxes are left running
// (paused ones stay on disk) and the next start re-adopts them.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, startStack, type ServiceEvent } from "@wrenn/devstack";

const dataDir = process.env.WRENN_DATA_DIR ?? join(repoRoot, ".wrenn");
const embedded = !process.env.DATABASE_URL;
const qemu = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
const runtime = (process.env.WRENN_RUNTIME as "qemu" | "namespace" | "auto" | undefined) ?? (qemu ? "qemu" : "namespace");
process.stdout.write(`Starting Wrenn (${runtime} sandboxes)…\n`);

const keep = process.env.WRENN_SANDBOXES_ON_STOP !== "destroy";
// WRENN_TLS_DOMAIN (e.g. e2b.localhost) adds the TLS listener with a local CA: E2B programs then work with E2B_DOMAIN alone.
const tlsDomain = process.env.WRENN_TLS_DOMAIN || undefined;
// The controlplane writes the first API key on its first start (an empty database): shown once, then only its path.
const keyIsNew = !existsSync(join(dataDir, "api-key"));
// Signals are handled from the start: one during a (long, first) start aborts it.
const starting = new AbortController();
let stopping = false;
let stopStack: (() => Promise<void>) | undefined;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`${signal}: stopping${keep ? " (running sandboxes keep running)" : " and destroying every sandbox"}…\n`);
  if (!stopStack) {
    starting.abort();
    return;
  }
  try {
    await stopStack();
  } catch (err) {
    process.stderr.write(`stopping failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write("stopped.\n");
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

const stack = await startStack({
  signal: starting.signal,
  supervise: true,
  onServiceEvent: report,
  // Decision: stopping `./wrenn up` leaves sandboxes running (paused ones on disk); the next start re-adopts them.
  sandboxesOnStop: keep ? "keep" : "destroy",
  embedded,
  dataDir,
  databaseUrl: process.env.DATABASE_URL,
  runtime,
  // A DATABASE_URL database that already had users gets no new key.
  apiKeyRequired: embedded,
  sandboxNetwork: (process.env.WRENN_SANDBOX_NETWORK as "isolated" | "netns" | "auto" | undefined) ?? "auto",
  hostagentStartTimeoutMs: 20 * 60_000,
  // On a QEMU host this builds e2b-base in the background (the E2B face's "base": user `user` in /home/user).
  platformTemplateBuilds: true,
  ...(tlsDomain ? { tls: { domain: tlsDomain, listen: process.env.WRENN_HTTPS_LISTEN ?? "127.0.0.1:8443" } } : {}),
  onHostagentLog: showProgress,
  listen: {
    grpc: process.env.WRENN_GRPC_LISTEN ?? "127.0.0.1:50051",
    http: process.env.WRENN_HTTP_LISTEN ?? "127.0.0.1:8080",
    hostagent: process.env.WRENN_HOSTAGENT_LISTEN ?? "127.0.0.1:50052",
    portProxy: process.env.WRENN_PORT_PROXY_LISTEN ?? "127.0.0.1:50053",
  },
}).catch((err: unknown) => {
  process.stderr.write(`${stopping ? "start aborted" : "Wrenn did not start"}: ${(err as Error).message}\n`);
  process.exit(stopping ? 0 : 1);
});
stopStack = async () => {
  // Destroyed through the API first, so their rows say STOPPED rather than MISSING at the next start.
  if (!keep) await destroyEverySandbox(stack.httpUrl).catch((err: unknown) => process.stderr.write(`destroying sandboxes: ${(err as Error).message}\n`));
  await stack.close();
};

process.stdout.write(`
Wrenn is up${embedded ? " (embedded database and event bus)" : ""}.
${apiKeyLines()}
  gRPC API      ${stack.grpcAddress}
  HTTP/JSON     ${stack.httpUrl}   (OpenAPI: ${stack.httpUrl}/openapi.json)
${tlsLines()}  host agent    ${stack.hostagentAddress}
  logs          ${stack.logDir}/{controlplane,hostagent}.log
  processes     controlplane pid ${stack.services.controlplane.pid}, hostagent pid ${stack.services.hostagent.pid}

Try:
  curl -s -X POST ${stack.httpUrl}/v1/sandboxes -H "Authorization: Bearer $(cat ${stack.apiKeyFile})" -d '{"waitReady":true}'

Ctrl-C stops the platform; ${keep ? "running sandboxes keep running and the next start re-adopts them" : "every sandbox is destroyed (WRENN_SANDBOXES_ON_STOP=destroy)"}.
`);

/** The TLS listener and what an E2B program needs to use it, when WRENN_TLS_DOMAIN asked for one. */
function tlsLines(): string {
  if (!stack.httpsUrl || !stack.tls) return "";
  const port = new URL(stack.httpsUrl).port;
  return [
    `  HTTPS         ${stack.httpsUrl}   (certificate for *.${stack.tls.domain}; trust ${stack.tls.caFile})`,
    `  E2B SDKs      E2B_DOMAIN=${stack.tls.domain}:${port} NODE_EXTRA_CA_CERTS=${stack.tls.caFile} SSL_CERT_FILE=${stack.tls.caFile} E2B_API_KEY=<an e2b_ key>`,
    "",
  ].join("\n");
}

/** The API key (only when it was just created: it is a secret, and consoles get shared and logged) and where it is kept. */
function apiKeyLines(): string {
  if (!stack.apiKey) return "  API key       none written (the database already had users): make one with POST /v1/teams/{team_id}/api-keys";
  const lines = keyIsNew
    ? [`  API key       ${stack.apiKey}`, `                (just created, shown this once; kept in ${stack.apiKeyFile})`]
    : [`  API key       in ${stack.apiKeyFile}`];
  const password = join(dataDir, "admin-password");
  if (existsSync(password)) lines.push(`  admin login   ${process.env.WRENN_ADMIN_EMAIL ?? "admin@wrenn.local"}, password in ${password}`);
  return lines.join("\n");
}

/** The host agent's image build and template steps, as one line each. */
function showProgress(entry: Record<string, unknown>): void {
  const msg = String(entry.msg ?? "");
  if (entry.component === "image" || /template|image/i.test(msg)) {
    const step = entry.step ? `${String(entry.step)}: ` : "";
    const detail = entry.phase ? ` ${String(entry.phase)}` : entry.ms !== undefined ? ` (${String(entry.ms)} ms)` : "";
    process.stdout.write(`  ${step}${msg}${detail}\n`);
  }
}

/** A service that died, or came back, as a few lines on the console. */
function report(event: ServiceEvent): void {
  if (event.type === "exited") {
    const how = event.exit.signal ? `signal ${event.exit.signal}` : `exit code ${event.exit.code}`;
    const lines = event.lastLines.slice(-12).map((line) => `    | ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
    process.stdout.write(
      `\n! ${event.service} (pid ${event.pid}) died: ${how}. Its last log lines:\n${lines.join("\n")}\n` +
        `  restarting ${event.service} in ${(event.restartInMs / 1000).toFixed(1)} s\n`,
    );
  } else if (event.type === "restarted") {
    const where = Object.values(event.addresses).join(", ");
    process.stdout.write(`✓ ${event.service} is back (pid ${event.pid}) on ${where}\n`);
  } else {
    process.stdout.write(`! ${event.service} did not start again: ${event.error}; next try in ${(event.restartInMs / 1000).toFixed(1)} s\n`);
  }
}

async function destroyEverySandbox(httpUrl: string): Promise<void> {
  const signal = AbortSignal.timeout(120_000);
  const headers = { authorization: `Bearer ${stack.apiKey}` };
  const listed = (await (await fetch(`${httpUrl}/v1/sandboxes`, { headers, signal })).json()) as { sandboxes?: { sandboxId: string; status: string }[] };
  const live = (listed.sandboxes ?? []).filter((s) => s.status !== "SANDBOX_STATUS_STOPPED");
  await Promise.all(live.map((s) => fetch(`${httpUrl}/v1/sandboxes/${s.sandboxId}?wait=true`, { method: "DELETE", headers, signal })));
}
