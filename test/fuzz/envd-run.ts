import { envdStillAnswers, fuzzEnvd, type EnvdFuzzResult } from "./envd-fuzz.js";
import type { EnvdContext } from "./envd-cases.js";
import type { LiveStack } from "./live-stack.js";

/**
 * The envd fuzz on the live stack: the fuzz sandbox's access token (from
 * GetSandbox, as the SDK gets it), a second sandbox whose id the first
 * one's token must not reach, and a check afterwards that the sandbox still
 * answers through the face.
 */
export async function runEnvdFuzz(live: LiveStack, budgetMs: number, alive: () => Promise<boolean>): Promise<{ result: EnvdFuzzResult; afterProblems: string[] }> {
  await live.refresh();
  const { sandbox: other } = await live.client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  const otherSandboxId = other?.sandboxId ?? `sb-${"0".repeat(32)}`;
  let ctx: EnvdContext = { targets: live.targets, token: await tokenOf(live, live.targets.sandboxId), otherSandboxId };
  const refresh = async (): Promise<void> => {
    await live.refresh();
    if (live.targets !== ctx.targets) ctx = { ...ctx, targets: live.targets, token: await tokenOf(live, live.targets.sandboxId) };
  };
  const result = await fuzzEnvd({ baseUrl: live.stack.httpUrl, budgetMs, context: () => ctx, refresh, alive });
  await refresh();
  return { result, afterProblems: await envdStillAnswers(live.stack.httpUrl, ctx) };
}

async function tokenOf(live: LiveStack, sandboxId: string): Promise<string> {
  const { sandbox } = await live.client.sandboxes.getSandbox({ sandboxId });
  if (!sandbox?.accessToken) throw new Error(`sandbox ${sandboxId} has no access token`);
  return sandbox.accessToken;
}
