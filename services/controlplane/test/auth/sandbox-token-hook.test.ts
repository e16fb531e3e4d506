import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Metadata } from "nice-grpc-common";
import { createLogger, Status } from "@wrenn/shared";
import { createAuthHook, carriesCredential } from "../../src/auth/auth-hook.js";
import { newSandboxAccessToken } from "../../src/identity/api-key-text.js";
import type { ApiKeyStore, SessionStore, TeamStore } from "../../src/identity/identity-store.js";
import type { Principal } from "../../src/identity/principal.js";
import type { SandboxRecord, SandboxStatus } from "../../src/lifecycle/sandbox.js";
import type { HookedRequest } from "../../src/extensions.js";

const teamId = "5b0e6c1d-2a3f-4e8b-9c7d-1f0a2b3c4d5e";
const sandboxId = "0f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9";

function sandbox(status: SandboxStatus, accessToken: string, team: string | null = teamId): SandboxRecord {
  const now = new Date();
  return {
    id: sandboxId, teamId: team, templateId: "base", templateUuid: null, status, hostId: null, metadata: {}, error: "", onExpiry: "kill",
    expiresAt: null, resources: null, publicPorts: false, autoResume: false, trafficToken: null, accessToken,
    stoppedAt: status === "stopped" ? now : null, createdAt: now, updatedAt: now,
  };
}

/** The hook over in-memory stores: the one sandbox row is all the token lookup can find; keys and sessions find nothing. */
function hookWith(row: SandboxRecord | null) {
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _encoding, done) { logs.push(String(chunk)); done(); } });
  const lookups: string[] = [];
  const hook = createAuthHook({
    apiKeys: { findBySecret: async () => null, touch: async () => {} } as unknown as ApiKeyStore,
    sessions: { findByToken: async () => null } as unknown as SessionStore,
    teams: {} as TeamStore,
    sandboxTokens: {
      findByAccessToken: async (token) => {
        lookups.push(token);
        return row && row.accessToken === token ? row : null;
      },
    },
    csrfSafe: new Set(),
    logger: createLogger("hook-test", { level: "info", destinations: [sink] }),
  });
  return { hook, logs, lookups };
}

function grpcCall(path: string, headers: Record<string, string>): HookedRequest {
  const metadata = Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return { protocol: "grpc", path, metadata, peer: "127.0.0.1", attributes: {} };
}

function httpCall(path: string, headers: Record<string, string>): HookedRequest {
  return { ...grpcCall(path, headers), protocol: "http", httpMethod: "GET" };
}

async function refusal(promise: unknown): Promise<{ code: Status; details: string }> {
  try {
    await promise;
  } catch (err) {
    const { code, details } = err as { code: Status; details: string };
    return { code, details };
  }
  throw new Error("the hook accepted the request");
}

const startProcess = "/wrenn.api.v1.ProcessService/StartProcess";

describe("the auth hook and sandbox access tokens", () => {
  it("makes a principal of the sandbox's team limited to that sandbox, from either header", async () => {
    const token = newSandboxAccessToken();
    expect(token).toMatch(/^wra_[A-Za-z0-9_-]{43}$/);
    const { hook } = hookWith(sandbox("running", token));
    for (const header of ["x-wrenn-access-token", "x-access-token"]) {
      const attributes = (await hook(grpcCall(startProcess, { [header]: token }))) as { principal: Principal };
      expect(attributes.principal).toMatchObject({ credential: "sandbox_token", teamId, onlySandboxId: sandboxId, role: null, user: null, apiKey: null });
    }
  });

  it("reaches process, file and port services and the raw file, pty and process-stream routes only", async () => {
    const token = newSandboxAccessToken();
    const { hook } = hookWith(sandbox("running", token));
    const headers = { "x-access-token": token };
    const reachable = [
      grpcCall(startProcess, headers),
      grpcCall("/wrenn.api.v1.FilesystemService/ReadFile", headers),
      grpcCall("/wrenn.api.v1.PortService/ListPorts", headers),
      httpCall("/v1/sandboxes/sb-x/files", headers),
      httpCall("/v1/sandboxes/sb-x/pty", headers),
      httpCall("/v1/sandboxes/sb-x/processes/12/stream", headers),
      httpCall("/v1/sandboxes/sb-x/files/stat", headers),
      httpCall("/v1/sandboxes/sb-x/ports", headers),
    ];
    for (const request of reachable) expect((await hook(request)) as object).toHaveProperty("principal.credential", "sandbox_token");
    const outside = [
      grpcCall("/wrenn.api.v1.SandboxService/ListSandboxes", headers),
      grpcCall("/wrenn.api.v1.SandboxService/DestroySandbox", headers),
      grpcCall("/wrenn.api.v1.ApiKeyService/CreateApiKey", headers),
      grpcCall("/wrenn.api.v1.ProcessServiceX/StartProcess", headers),
      httpCall("/v1/sandboxes/sb-x/filesx", headers),
      httpCall("/v1/sandboxes", headers),
      httpCall("/v1/sandboxes/sb-x", headers),
      httpCall("/v1/sandboxes/sb-x/pause", headers),
      httpCall("/v1/e2b/sandboxes/sb-x/files", headers),
    ];
    for (const request of outside) {
      const err = await refusal(hook(request));
      expect(err.code).toBe(Status.PERMISSION_DENIED);
      expect(err.details).toContain("sandbox access token reaches only");
    }
  });

  it("refuses an unknown, malformed, or ended sandbox's token with one message, logging a 12-character prefix only", async () => {
    const token = newSandboxAccessToken();
    const cases: [SandboxRecord | null, string][] = [
      [null, token],
      [sandbox("running", token), `wra_${"A".repeat(42)}`],
      [sandbox("stopped", token), token],
      [sandbox("stopping", token), token],
      [sandbox("running", token, null), token],
    ];
    for (const [row, sent] of cases) {
      const { hook, logs } = hookWith(row);
      const err = await refusal(hook(grpcCall(startProcess, { "x-wrenn-access-token": sent })));
      expect(err).toEqual({ code: Status.UNAUTHENTICATED, details: "invalid sandbox access token" });
      const entry = JSON.parse(logs.find((line) => line.includes("authentication failed"))!);
      expect(entry.keyPrefix).toBe(sent.slice(0, 12));
      expect(logs.join("")).not.toContain(sent.slice(12));
    }
  });

  it("does not look up a malformed token, and refuses two headers that disagree", async () => {
    const token = newSandboxAccessToken();
    const { hook, lookups } = hookWith(sandbox("running", token));
    await refusal(hook(grpcCall(startProcess, { "x-access-token": "hunter2" })));
    expect(lookups).toEqual([]);
    const err = await refusal(hook(grpcCall(startProcess, { "x-access-token": token, "x-wrenn-access-token": newSandboxAccessToken() })));
    expect(err.code).toBe(Status.UNAUTHENTICATED);
  });

  it("lets an API key decide when one is sent beside a token (a bad key is refused even with a good token)", async () => {
    const token = newSandboxAccessToken();
    const { hook, lookups } = hookWith(sandbox("running", token));
    const err = await refusal(hook(grpcCall(startProcess, { "x-api-key": `wrn_${"B".repeat(43)}`, "x-access-token": token })));
    expect(err).toEqual({ code: Status.UNAUTHENTICATED, details: "invalid API key" });
    expect(lookups).toEqual([]);
  });

  it("counts a token as a credential for the gateway's early refusal", () => {
    const metadata = Metadata();
    expect(carriesCredential(metadata)).toBe(false);
    metadata.set("x-access-token", "wra_x");
    expect(carriesCredential(metadata)).toBe(true);
  });
});
