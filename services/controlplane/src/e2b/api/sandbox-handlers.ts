import type { IncomingMessage, ServerResponse } from "node:http";
import { SandboxStatus, type Sandbox } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { sendJson } from "../../gateway/gateway-error.js";
import { createRequestOf } from "./create-input.js";
import { E2bError, e2bErrors } from "./e2b-error.js";
import { e2bListedSandboxJson, e2bMetricsJson, e2bSandboxDetailJson, e2bSandboxJson, e2bStateOf, type E2bState } from "./e2b-sandbox-json.js";
import { wireSandboxIdOf } from "./e2b-sandbox-id.js";
import { listQueryOf, pageOf } from "./list-query.js";
import { field, readJsonObject } from "./request-input.js";
import type { SandboxCalls } from "./sandbox-calls.js";

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  calls: SandboxCalls;
  /** The path's {sandboxID}, as sent. */
  pathId: string;
  query: string;
  /** `Sandbox.domain` for this request. */
  domain: string;
}

export type Handler = (ctx: HandlerContext) => Promise<void>;

function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** The sandbox a path names, if the face shows it (404 for a malformed, unknown, killed or failed one). */
async function shownSandbox(ctx: HandlerContext): Promise<{ sandbox: Sandbox; state: E2bState }> {
  const sandboxId = wireSandboxIdOf(ctx.pathId);
  if (!sandboxId) throw e2bErrors.sandboxNotFound(ctx.pathId);
  const { sandbox } = await ctx.calls.get({ sandboxId });
  const state = sandbox ? e2bStateOf(sandbox.status) : undefined;
  if (!sandbox || !state) throw e2bErrors.sandboxNotFound(ctx.pathId);
  return { sandbox, state };
}

/**
 * Whether a waited operation did what it was asked. The answer is read after
 * the operation settled, so another caller's pause, resume or kill may already
 * have moved the sandbox on; a failed operation is told apart by the error it
 * leaves on the record (every later transition clears it).
 */
export function operationHappened(after: Sandbox | undefined, want: E2bState): boolean {
  if (!after) return false;
  if (e2bStateOf(after.status) === want) return true;
  return after.error === "" && after.status !== SandboxStatus.SANDBOX_STATUS_ERROR;
}

function settled(sandbox: Sandbox | undefined, want: E2bState, what: string): Sandbox {
  if (!sandbox || !operationHappened(sandbox, want)) {
    throw new E2bError(500, `the sandbox did not ${what}${sandbox?.error ? `: ${sandbox.error}` : ""}`);
  }
  return sandbox;
}

/** POST /v2/sandboxes, POST /sandboxes: CreateSandbox with wait_ready; 201 with a running sandbox. */
export const createSandbox: Handler = async (ctx) => {
  const request = createRequestOf(await readJsonObject(ctx.req));
  const { sandbox } = await ctx.calls.create(request);
  sendJson(ctx.res, 201, e2bSandboxJson(settled(sandbox, "running", "start"), ctx.domain));
};

/** GET /sandboxes/{sandboxID}: SandboxDetail. */
export const getSandbox: Handler = async (ctx) => {
  const { sandbox, state } = await shownSandbox(ctx);
  sendJson(ctx.res, 200, e2bSandboxDetailJson(sandbox, state, ctx.domain));
};

/** GET /v2/sandboxes, GET /sandboxes: one page, the next page's token in X-Next-Token. */
export const listSandboxes: Handler = async (ctx) => {
  const query = listQueryOf(ctx.query);
  const { sandboxes } = await ctx.calls.list({ metadata: query.metadata });
  const shown = sandboxes.flatMap((sandbox) => {
    const state = e2bStateOf(sandbox.status);
    return state && query.states.has(state) ? [{ sandbox, state }] : [];
  });
  const states = new Map(shown.map(({ sandbox, state }) => [sandbox.sandboxId, state]));
  const { page, nextToken } = pageOf(
    shown.map((item) => item.sandbox),
    query,
  );
  const body = page.map((sandbox) => e2bListedSandboxJson(sandbox, states.get(sandbox.sandboxId)!));
  sendJson(ctx.res, 200, body, nextToken ? { "x-next-token": nextToken } : {});
};

/** DELETE /sandboxes/{sandboxID}: 204 once it is gone; 404 (the SDK's `false`) for one already killed. */
export const killSandbox: Handler = async (ctx) => {
  const { sandbox } = await shownSandbox(ctx);
  await ctx.calls.destroy({ sandboxId: sandbox.sandboxId, wait: true });
  noContent(ctx.res);
};

/** POST /sandboxes/{sandboxID}/timeout `{timeout}`: the new timeout counted from now. */
export const setSandboxTimeout: Handler = async (ctx) => {
  const timeout = field.timeout(await readJsonObject(ctx.req));
  if (timeout === undefined) throw e2bErrors.badRequest("timeout is required");
  const { sandbox } = await shownSandbox(ctx);
  await ctx.calls.setTimeout({ sandboxId: sandbox.sandboxId, timeoutSeconds: timeout });
  noContent(ctx.res);
};

/** POST /sandboxes/{sandboxID}/pause: 204 once paused; 409 when it already is. */
export const pauseSandbox: Handler = async (ctx) => {
  await readJsonObject(ctx.req);
  const { sandbox, state } = await shownSandbox(ctx);
  if (state === "paused") throw e2bErrors.conflict(`sandbox ${ctx.pathId.slice(0, 80)} is already paused`);
  const paused = await ctx.calls.pause({ sandboxId: sandbox.sandboxId, wait: true });
  settled(paused.sandbox, "paused", "pause");
  noContent(ctx.res);
};

/**
 * POST /v2/sandboxes/{sandboxID}/connect, POST /sandboxes/{sandboxID}/connect
 * `{timeout?}`: 200 with a running sandbox (its timeout set anew when one is
 * given), 201 with a paused one resumed (with the given timeout, else its own).
 */
export const connectSandbox: Handler = async (ctx) => {
  const timeout = field.timeout(await readJsonObject(ctx.req));
  const { sandbox, state } = await shownSandbox(ctx);
  if (state === "running") {
    const current = timeout === undefined ? sandbox : ((await ctx.calls.setTimeout({ sandboxId: sandbox.sandboxId, timeoutSeconds: timeout })).sandbox ?? sandbox);
    return sendJson(ctx.res, 200, e2bSandboxJson(current, ctx.domain));
  }
  const resumed = await ctx.calls.resume({ sandboxId: sandbox.sandboxId, timeoutSeconds: timeout ?? 0, wait: true });
  sendJson(ctx.res, 201, e2bSandboxJson(settled(resumed.sandbox, "running", "resume"), ctx.domain));
};

/** POST /sandboxes/{sandboxID}/resume (deprecated) `{timeout?}`: 201 resumed; 409 when it is running. */
export const resumeSandbox: Handler = async (ctx) => {
  const timeout = field.timeout(await readJsonObject(ctx.req));
  const { sandbox, state } = await shownSandbox(ctx);
  if (state === "running") throw e2bErrors.conflict(`sandbox ${ctx.pathId.slice(0, 80)} is already running`);
  const resumed = await ctx.calls.resume({ sandboxId: sandbox.sandboxId, timeoutSeconds: timeout ?? 0, wait: true });
  sendJson(ctx.res, 201, e2bSandboxJson(settled(resumed.sandbox, "running", "resume"), ctx.domain));
};

function unixSecondsOf(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null || text === "") return undefined;
  if (!/^\d{1,12}$/.test(text)) throw e2bErrors.badRequest(`${name} must be unix seconds`);
  return Number(text);
}

/**
 * GET /sandboxes/{sandboxID}/metrics: Wrenn measures now, not a history, so
 * the answer is one sample of the present (start and end are checked, the
 * sample is given whatever the window).
 */
export const sandboxMetrics: Handler = async (ctx) => {
  const params = new URLSearchParams(ctx.query);
  const start = unixSecondsOf(params, "start");
  const end = unixSecondsOf(params, "end");
  if (start !== undefined && end !== undefined && end < start) throw e2bErrors.badRequest("end is before start");
  const { sandbox } = await shownSandbox(ctx);
  const metrics = await ctx.calls.metrics({ sandboxId: sandbox.sandboxId });
  sendJson(ctx.res, 200, e2bMetricsJson(sandbox, metrics, new Date()));
};
