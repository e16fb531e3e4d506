import { randomUUID } from "node:crypto";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll } from "vitest";
import { WebSocketServer } from "ws";
import { createLogger, errors, fromWireId, toWireId } from "@wrenn/shared";
import { createGateway, type Gateway } from "../../src/gateway/gateway.js";
import type { HttpRequestInfo } from "../../src/gateway/index.js";
import type { Principal } from "../../src/identity/principal.js";
import type { SandboxLifecycle } from "../../src/lifecycle/sandbox-lifecycle.js";
import type { SandboxRecord } from "../../src/lifecycle/sandbox.js";
import { createControlPlaneMetrics, type ControlPlaneMetrics } from "../../src/observability/metrics.js";
import { createPortProxy, type PortProxy } from "../../src/proxy/port-proxy.js";
import type { RequestAttributes } from "../../src/request-attributes.js";
import { startFakeTunnel, type FakeTunnel } from "./fake-tunnel.js";

export const teamA = randomUUID();
export const teamB = randomUUID();
/** Keys as the stand-in authentication knows them. */
export const keyA = "wrn_teamakey";
export const keyB = "wrn_teambkey";
export const sessionA = "session-of-a-member-of-team-a";

export interface ProxyFixture {
  /** "http://127.0.0.1:port" of the gateway. */
  base: string;
  gatewayPort: number;
  /** The app server standing in for a server in a sandbox. */
  appPort: number;
  tunnel: FakeTunnel;
  metrics: ControlPlaneMetrics;
  records: Map<string, SandboxRecord>;
  resumed: string[];
  /** A running sandbox of team A (its wire id), reachable through the tunnel. */
  addSandbox(fields?: Partial<SandboxRecord>): string;
}

/**
 * The real gateway with the port proxy in front, the proxy's sandboxes and
 * authentication stood in for (the whole-stack tests use real ones), and
 * one app server: /dir redirects to /dir/ (as python's http.server does),
 * /absolute answers an absolute Location, /headers echoes what arrived, and
 * a WebSocket echo on any path.
 */
export function useProxy(): ProxyFixture {
  const fixture = { records: new Map<string, SandboxRecord>(), resumed: [] as string[] } as ProxyFixture;
  let gateway: Gateway | undefined;
  let proxy: PortProxy | undefined;
  let app: Server | undefined;
  beforeAll(async () => {
    app = createServer((req, res) => {
      if (req.url === "/dir") return res.writeHead(301, { location: "/dir/" }).end();
      if (req.url === "/absolute") return res.writeHead(302, { location: `http://${req.headers.host}/elsewhere?x=1` }).end();
      if (req.url?.startsWith("/headers")) return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ url: req.url, headers: req.headers }));
      res.writeHead(200, { "content-type": "text/plain" }).end(`path ${req.url}`);
    });
    const wss = new WebSocketServer({ server: app });
    wss.on("connection", (ws, req) => ws.on("message", (data, binary) => ws.send(binary ? data : `${req.url} ${String(data)}`)));
    await new Promise<void>((resolve) => app!.listen(0, "127.0.0.1", resolve));
    fixture.appPort = (app.address() as { port: number }).port;
    fixture.tunnel = await startFakeTunnel();
    fixture.metrics = createControlPlaneMetrics();
    fixture.addSandbox = (fields = {}) => {
      const id = randomUUID();
      const record: SandboxRecord = {
        id, templateId: "base", templateUuid: null, teamId: teamA, status: "running", hostId: "host-1", metadata: {}, error: "", onExpiry: "kill", expiresAt: null,
        resources: null, publicPorts: false, autoResume: false, trafficToken: `wrt_${randomUUID().replace(/-/g, "")}`, accessToken: null, stoppedAt: null,
        createdAt: new Date(), updatedAt: new Date(), ...fields,
      };
      fixture.records.set(id, record);
      const wireId = toWireId("sb", id);
      fixture.tunnel.sandboxes.set(wireId, record.status === "paused" ? "paused" : "pipe");
      return wireId;
    };
    const lifecycle = {
      find: (id: string) => Promise.resolve(fixture.records.get(id) ?? null),
      resume(teamId: string, id: string) {
        const record = fixture.records.get(id);
        if (!record || record.teamId !== teamId) throw errors.notFound("no such sandbox");
        fixture.resumed.push(id);
        record.status = "running";
        fixture.tunnel.sandboxes.set(toWireId("sb", id), "pipe");
        return Promise.resolve({ sandbox: record, done: true });
      },
    } as unknown as SandboxLifecycle;
    proxy = createPortProxy({
      domain: "localhost", lifecycle, hosts: { portProxyFor: () => Promise.resolve(fixture.tunnel.address), tunnelTlsFor: () => undefined },
      authorize: fakeAuthorize, metrics: fixture.metrics, logger: createLogger("proxy-test", { level: "silent" }),
      retry: { budgetMs: 3_000, firstDelayMs: 50, maxDelayMs: 400 },
      // Often, so a test sees a finished sandbox's tunnels go without waiting a minute.
      sweepMs: 100,
      // Idle tunnels stay (longer than any test): only the sweep or an eviction closes them.
      idleSocketMs: 600_000,
    });
    gateway = createGateway({ grpcTarget: "127.0.0.1:1", logger: createLogger("gateway-test", { level: "silent" }), front: [proxy.front] });
    fixture.base = `http://${await gateway.listen(0, "127.0.0.1")}`;
    fixture.gatewayPort = Number(new URL(fixture.base).port);
  });
  afterAll(async () => {
    await proxy?.close();
    await gateway?.close();
    await fixture.tunnel?.close();
    await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
  });
  return fixture;
}

/** The authentication hook's rules that matter here: a key or session has a team, and x-wrenn-team must be it. */
function fakeAuthorize(request: HttpRequestInfo): Promise<RequestAttributes> {
  const key = request.metadata.get("x-api-key") ?? String(request.metadata.get("authorization") ?? "").replace(/^Bearer /, "");
  const cookie = String(request.metadata.get("cookie") ?? "");
  const team = key === keyA || cookie === `wrenn_session=${sessionA}` ? teamA : key === keyB ? teamB : undefined;
  if (!team) return Promise.reject(errors.unauthenticated("invalid API key"));
  const wanted = request.metadata.get("x-wrenn-team");
  if (typeof wanted === "string" && fromWireId("team", wanted) !== team) return Promise.reject(errors.notFound("team not found"));
  const principal: Principal = { credential: "api_key", teamId: team, role: null, user: null, apiKey: null, sessionId: null, ip: request.peer };
  return Promise.resolve({ principal });
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with any Host header (fetch cannot set one): the host form as curl sends it for *.localhost. */
export function rawRequest(port: number, options: { host?: string; path: string; method?: string; headers?: Record<string, string> }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: { ...options.headers, ...(options.host ? { host: options.host } : {}) }, agent: false });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end();
  });
}
