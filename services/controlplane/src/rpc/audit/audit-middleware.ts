import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from "nice-grpc";
import { fromWireId, grpcStatusOf, isWireId, Status, type Logger } from "@wrenn/shared";
import { actorOf, userActor, type AuditActor, type AuditLog, type AuditResult } from "../../identity/audit.js";
import type { TeamStore } from "../../identity/identity-store.js";
import type { Principal } from "../../identity/principal.js";
import type { RequestAttributes } from "../../request-attributes.js";
import { auditedMethods, type AuditedMethod } from "./audit-actions.js";

type Context = CallContext & { attributes: RequestAttributes };
type Message = Record<string, unknown>;

export interface AuditMiddlewareOptions {
  audit: AuditLog;
  /** To tell whether a refused call's team (named in the request) is the caller's own. */
  teams: Pick<TeamStore, "roleOf">;
  logger: Logger;
}

const signupPath = "/wrenn.api.v1.AccountService/Signup";
/** A resource id echoed from a request is kept to this length (a refused call's id may be anything). */
const maxIdLength = 100;

/**
 * Records every state-changing call of the public API (audit-actions.ts says
 * which, and under what name) once its outcome is known: a unary or
 * client-streaming call when it answers or fails, a server stream when its
 * first message goes out (or it fails or ends before one). Calls without a
 * principal (refused by authentication, which logs them) are not recorded,
 * except Signup, whose actor is the user it made. Recording never fails
 * the call.
 */
export function auditMiddleware(options: AuditMiddlewareOptions): ServerMiddleware<{ attributes: RequestAttributes }, { attributes: RequestAttributes }> {
  const methods = auditedMethods();
  return async function* auditCalls<Req, Res>(call: ServerMiddlewareCall<Req, Res, { attributes: RequestAttributes }>, context: Context) {
    const method = methods.get(call.method.path);
    const principal = context.attributes?.principal;
    const isSignup = call.method.path === signupPath;
    if (!method || (!principal && !isSignup)) return yield* call.next(call.request, context);

    const recorder = outcomeRecorder(options, method, principal ?? null, isSignup, context.attributes?.clientIp ?? "");
    let request: Message = {};
    let input = call.request;
    if (call.method.requestStream) {
      // The first message names the resource (a file's, a process's sandbox).
      input = peekFirst(call.request as AsyncIterable<unknown>, (first) => (request = asMessage(first))) as Req;
    } else {
      request = asMessage(call.request);
    }

    if (!call.method.responseStream) {
      try {
        const response = yield* call.next(input, context);
        await recorder.record(request, asMessage(response), null);
        return response;
      } catch (err) {
        await recorder.record(request, {}, err);
        throw err;
      }
    }

    let recorded = false;
    let failure: unknown = null;
    try {
      for await (const message of call.next(input, context) as AsyncIterable<Res>) {
        if (!recorded) {
          recorded = true;
          await recorder.record(request, asMessage(message), null);
        }
        yield message;
      }
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      if (!recorded) await recorder.record(request, {}, failure);
    }
  };
}

function outcomeRecorder(options: AuditMiddlewareOptions, method: AuditedMethod, principal: Principal | null, isSignup: boolean, openCallIp: string) {
  return {
    async record(request: Message, response: Message, err: unknown): Promise<void> {
      try {
        const result: AuditResult = err === null ? "success" : "failure";
        const actor = actorFor(principal, isSignup ? response : {});
        // A failed signup has no actor to name (nobody is signed in); authentication logs refusals.
        if (!actor) return;
        await options.audit.record({
          scope: method.scope,
          teamId: method.scope === "admin" ? null : await teamFor(options, principal, request, response, result),
          actor,
          action: method.action,
          resourceType: method.resourceType,
          resourceId: idIn(method.idField, request, response),
          result,
          ip: principal?.ip ?? openCallIp,
          details: err === null ? {} : failureDetails(err),
        });
      } catch (recordErr) {
        options.logger.warn({ err: (recordErr as Error).message, action: method.action }, "audit entry not recorded");
      }
    },
  };
}

function actorFor(principal: Principal | null, signupResponse: Message): AuditActor | null {
  if (principal) return actorOf(principal);
  const user = asMessage(signupResponse.user);
  if (typeof user.userId !== "string" || !isWireId("usr", user.userId) || typeof user.email !== "string") return null;
  return userActor({ id: fromWireId("usr", user.userId), email: user.email });
}

/**
 * The team whose log gets the entry. A call that succeeded acted on the team
 * it named (the handler checked access), or made one (CreateTeam, Signup);
 * a refused call lands in the team it named only when the caller belongs to
 * it, so nobody writes into another team's log by naming it.
 */
async function teamFor(options: AuditMiddlewareOptions, principal: Principal | null, request: Message, response: Message, result: AuditResult) {
  const named = teamIdIn(request) ?? (result === "success" ? teamIdIn(response) ?? teamIdIn(asMessage(response.team)) : null);
  if (!principal) return named;
  if (!named || named === principal.teamId) return principal.teamId;
  if (result === "success") return named;
  if (principal.credential === "session" && principal.user && (await options.teams.roleOf(named, principal.user.id))) return named;
  return principal.teamId;
}

function teamIdIn(message: Message): string | null {
  const id = message.teamId;
  return typeof id === "string" && isWireId("team", id) ? fromWireId("team", id) : null;
}

/** The named id field in the request, else in the response or one of its messages ("sandbox", "apiKey"). */
function idIn(field: string, request: Message, response: Message): string {
  const candidates = [request, response, ...Object.values(response).map(asMessage)];
  for (const message of candidates) {
    const id = message[field];
    if (typeof id === "string" && id !== "") return id.slice(0, maxIdLength);
  }
  return "";
}

function failureDetails(err: unknown): Record<string, unknown> {
  // The caller went away (nice-grpc aborts the handler with an AbortError).
  if (err instanceof Error && err.name === "AbortError") return { code: Status[Status.CANCELLED] };
  const status = grpcStatusOf(err);
  // Anything else becomes INTERNAL outside this middleware (its cause is logged there, not kept here).
  if (!status) return { code: Status[Status.INTERNAL] };
  return { code: Status[status.code], message: status.details.slice(0, 300) };
}

/** A decoded message's fields; nothing for lists, bytes (a file chunk holds no id) and scalars. */
function asMessage(value: unknown): Message {
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof Date) return {};
  return value as Message;
}

/** The same stream, with `onFirst` called with its first item before it is passed on. */
async function* peekFirst<T>(source: AsyncIterable<T>, onFirst: (item: T) => void): AsyncGenerator<T> {
  let first = true;
  for await (const item of source) {
    if (first) {
      first = false;
      onFirst(item);
    }
    yield item;
  }
}
