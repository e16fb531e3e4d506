import { execFileSync } from "node:child_process";
import * as grpc from "@grpc/grpc-js";

/** Whether grpc.health.v1.Health/Check answers SERVING (raw call: no generated code needed). */
export function grpcServing(address: string, timeoutMs = 5000): Promise<boolean> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, response) => {
        client.close();
        // HealthCheckResponse { status = 1 (SERVING) }: bytes 08 01.
        resolve(!err && response !== undefined && response.length >= 2 && response[0] === 0x08 && response[1] === 0x01);
      },
    );
  });
}

export async function httpHealthy(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The pid listening on a loopback TCP address ("127.0.0.1:1234"), from `ss`. */
export function listenerPid(address: string): number | undefined {
  const port = address.split(":").pop();
  try {
    const out = execFileSync("ss", ["-Htlnp", `sport = :${port}`], { encoding: "utf8" });
    const match = /pid=(\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Liveness {
  ok: boolean;
  problems: string[];
}

export interface Watched {
  controlplaneGrpc: string;
  controlplaneHttp: string;
  hostagent: string;
  /** Pids recorded before fuzzing: the same processes must answer after it (no crash, no restart). */
  pids: { controlplane?: number; hostagent?: number };
}

export async function watch(addresses: Omit<Watched, "pids">): Promise<Watched> {
  return {
    ...addresses,
    pids: { controlplane: listenerPid(addresses.controlplaneGrpc), hostagent: listenerPid(addresses.hostagent) },
  };
}

export async function checkLiveness(w: Watched): Promise<Liveness> {
  const problems: string[] = [];
  if (!processAlive(w.pids.controlplane)) problems.push(`controlplane process ${w.pids.controlplane} is gone`);
  if (!processAlive(w.pids.hostagent)) problems.push(`host agent process ${w.pids.hostagent} is gone`);
  if (listenerPid(w.controlplaneGrpc) !== w.pids.controlplane) problems.push("controlplane gRPC port is held by another process");
  if (!(await grpcServing(w.controlplaneGrpc))) problems.push("controlplane gRPC health is not SERVING");
  if (!(await httpHealthy(w.controlplaneHttp))) problems.push("controlplane /healthz does not answer 200");
  if (!(await grpcServing(w.hostagent))) problems.push("host agent gRPC health is not SERVING");
  return { ok: problems.length === 0, problems };
}
