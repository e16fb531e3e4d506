import { afterAll, beforeAll } from "vitest";
import { startStack, type Stack, type StackOptions } from "@wrenn/devstack";

export interface E2bStack {
  stack: Stack;
  /** A key of the stack's team in the E2B form ("e2b_" and hex), which every SDK version accepts. */
  apiKey: string;
  /** What the test file put in process.env for the SDKs: E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY. */
  env: Record<string, string>;
}

/**
 * For a test file that drives Wrenn with the official `e2b` SDK: starts a
 * stack, mints an E2B-form key through the public API, and configures the
 * SDK only through its own environment variables (the one-base-URL form:
 * E2B_API_URL and E2B_SANDBOX_URL both the gateway's HTTP address). Vitest
 * runs each file in a worker of its own, so the variables are the file's.
 */
export function useE2bStack(options: StackOptions = {}): E2bStack {
  const ctx = {} as E2bStack;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    ctx.stack = await startStack(options);
    ctx.apiKey = await mintE2bKey(ctx.stack);
    ctx.env = { E2B_API_URL: ctx.stack.httpUrl, E2B_SANDBOX_URL: ctx.stack.httpUrl, E2B_API_KEY: ctx.apiKey };
    for (const [name, value] of Object.entries(ctx.env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await ctx.stack?.close();
  });
  return ctx;
}

/** A new key of the stack's team, made through the public HTTP API with format API_KEY_FORMAT_E2B. */
export async function mintE2bKey(stack: Stack, name = "e2b-sdk"): Promise<string> {
  const headers = { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" };
  const whoami = await fetch(`${stack.httpUrl}/v1/whoami`, { headers });
  const teamId = ((await whoami.json()) as { team?: { teamId?: string } }).team?.teamId;
  if (whoami.status !== 200 || !teamId) throw new Error(`whoami answered ${whoami.status}`);
  const created = await fetch(`${stack.httpUrl}/v1/teams/${teamId}/api-keys`, {
    method: "POST",
    headers,
    body: JSON.stringify({ name, format: "API_KEY_FORMAT_E2B" }),
  });
  const body = (await created.json()) as { secret?: string };
  if (created.status !== 200 || !body.secret) throw new Error(`creating an E2B key answered ${created.status}: ${JSON.stringify(body)}`);
  return body.secret;
}
