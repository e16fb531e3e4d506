import { afterAll, beforeAll, expect } from "vitest";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";

export interface StackWithSandbox {
  stack: Stack;
  client: WrennClient;
  /** A running sandbox from the base template, shared by the file's tests. */
  sandboxId: string;
}

/**
 * For a test file whose tests share one platform and one running sandbox:
 * starts both before the tests and tears both down after them. Read the
 * fields inside tests (they are set in beforeAll).
 */
export function useStackWithSandbox(): StackWithSandbox {
  const ctx = {} as StackWithSandbox;
  beforeAll(async () => {
    ctx.stack = await startStack();
    ctx.client = createWrennClient(ctx.stack.grpcAddress, { apiKey: ctx.stack.apiKey });
    const { sandbox } = await ctx.client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
    expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    ctx.sandboxId = sandbox!.sandboxId;
  });
  afterAll(async () => {
    if (ctx.sandboxId) await ctx.client.sandboxes.destroySandbox({ sandboxId: ctx.sandboxId, wait: true }).catch(() => undefined);
    ctx.client?.close();
    await ctx.stack?.close();
  });
  return ctx;
}
