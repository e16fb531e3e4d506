import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { startHttpServer, writeSite } from "./proxy-sandbox-servers.js";

// The dashless sandbox id ("sb" + 32 hex, the E2B face's form) on a real
// stack: the native API takes it and answers the canonical "sb-…" id, and
// the port proxy's host form reaches a server by it.
const ctx = useStackWithSandbox();
const run = promisify(execFile);
const site = "/tmp/dashless-site";
const web = 8000;
const dashless = () => ctx.sandboxId.replace("sb-", "sb");

beforeAll(async () => {
  await writeSite(ctx.client, ctx.sandboxId, site);
  await startHttpServer(ctx.client, ctx.sandboxId, web, site);
});

describe("dashless sandbox ids", () => {
  it("GetSandbox takes the dashless id, over gRPC and HTTP, and answers the canonical one", async () => {
    expect(dashless()).toMatch(/^sb[0-9a-f]{32}$/);
    const { sandbox } = await ctx.client.sandboxes.getSandbox({ sandboxId: dashless() });
    expect(sandbox?.sandboxId).toBe(ctx.sandboxId);
    const res = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${dashless()}`, { headers: { "x-api-key": ctx.stack.apiKey } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sandbox: { sandboxId: string } }).sandbox.sandboxId).toBe(ctx.sandboxId);
    // A process call takes it too (the relay resolves the same UUID).
    expect((await ctx.client.run(dashless(), "echo", ["dashless"])).stdout).toBe("dashless\n");
  });

  it("reaches a server in the sandbox through the proxy's host form {port}-sb<hex>", async () => {
    const port = new URL(ctx.stack.httpUrl).port;
    const url = `http://${web}-${dashless()}.localhost:${port}/`;
    const { stdout } = await run("curl", ["-sS", "-H", `X-API-Key: ${ctx.stack.apiKey}`, "-w", "\n%{http_code}", url]);
    expect(stdout).toBe("home page\n200");
    const path = await fetch(`${ctx.stack.httpUrl}/proxy/${dashless()}/${web}/`, { headers: { "x-api-key": ctx.stack.apiKey } });
    expect(await path.text()).toBe("home page");
  });
});
