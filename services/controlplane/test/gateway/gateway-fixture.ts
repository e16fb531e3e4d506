import { connect } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { createLogger } from "@wrenn/shared";
import { createGateway, type Gateway, type GatewayOptions } from "../../src/gateway/gateway.js";
import { startTestBackend, type TestBackend } from "./test-backend.js";

/** A gateway on a free port in front of the test backend, for one test file. */
export interface GatewayFixture {
  /** "http://127.0.0.1:port" */
  base: string;
  backend: TestBackend;
}

/** Starts the pair before the file's tests and stops it after; read the fields inside tests. */
export function useGateway(options: Partial<GatewayOptions> = {}): GatewayFixture {
  const fixture = {} as GatewayFixture;
  let gateway: Gateway | undefined;
  beforeAll(async () => {
    fixture.backend = await startTestBackend();
    gateway = createGateway({
      grpcTarget: fixture.backend.address,
      logger: createLogger("gateway-test", { level: "silent" }),
      limits: { maxBodyBytes: 64 * 1024 },
      ...options,
    });
    fixture.base = `http://${await gateway.listen(0, "127.0.0.1")}`;
  });
  afterAll(async () => {
    await gateway?.close();
    await fixture.backend?.close();
  });
  return fixture;
}

export function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

// Response bodies are whatever the gateway sent; tests inspect them loosely.
export const readJson = (res: Response): Promise<any> => res.json();

export async function ndjson(res: Response): Promise<Record<string, any>[]> {
  const text = await res.text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

/**
 * Writes `text` on a fresh TCP connection to the gateway and resolves with
 * everything the server sent once it closed the connection (the test's own
 * timeout bounds the wait). For requests fetch() cannot make: partial
 * headers, spoofed upgrades.
 */
export function rawExchange(base: string, text: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? undefined : reject(err)));
    socket.once("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}
