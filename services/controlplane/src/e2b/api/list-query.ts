import type { Sandbox } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { e2bErrors } from "./e2b-error.js";
import type { E2bState } from "./e2b-sandbox-json.js";

export const defaultPageSize = 100;
export const maxPageSize = 1000;

export interface ListQuery {
  /** "key=value" items for ListSandboxes. */
  metadata: string[];
  states: Set<E2bState>;
  limit: number;
  after?: Cursor;
}

/** Where the previous page ended: the last sandbox's start and id (the listing's order). */
interface Cursor {
  createdMs: number;
  id: string;
}

const states: readonly E2bState[] = ["running", "paused"];

function decodeOnce(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw e2bErrors.badRequest(`${what} is not well-formed percent-encoding`);
  }
}

/**
 * The list query as the SDKs send it: `metadata` is a query string of its own
 * (`k=v&k2=v2`) whose keys and values are percent-encoded once more, `state`
 * a comma-separated list (or repeated), `limit` and `nextToken` the page.
 */
export function listQueryOf(query: string): ListQuery {
  const params = new URLSearchParams(query);
  const metadata: string[] = [];
  for (const encoded of params.getAll("metadata")) {
    for (const [key, value] of new URLSearchParams(encoded)) {
      const name = decodeOnce(key, "a metadata key");
      if (name === "") throw e2bErrors.badRequest("a metadata filter needs a key");
      metadata.push(`${name}=${decodeOnce(value, "a metadata value")}`);
    }
  }
  const wanted = new Set<E2bState>();
  for (const item of params.getAll("state").flatMap((s) => s.split(","))) {
    if (!(states as readonly string[]).includes(item)) throw e2bErrors.badRequest(`state must be running or paused, got ${JSON.stringify(item.slice(0, 40))}`);
    wanted.add(item as E2bState);
  }
  return {
    metadata,
    states: wanted.size > 0 ? wanted : new Set(states),
    limit: limitOf(params.get("limit")),
    after: cursorOf(params.get("nextToken")),
  };
}

function limitOf(text: string | null): number {
  if (text === null || text === "") return defaultPageSize;
  const limit = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= maxPageSize)) throw e2bErrors.badRequest(`limit must be a whole number from 1 to ${maxPageSize}`);
  return limit;
}

function cursorOf(token: string | null): Cursor | undefined {
  if (token === null || token === "") return undefined;
  const match = /^(\d{1,15})\.(sb-[0-9a-f]{32})$/.exec(Buffer.from(token, "base64url").toString("latin1"));
  if (!match) throw e2bErrors.badRequest("nextToken is not one this server gave");
  return { createdMs: Number(match[1]), id: match[2]! };
}

function tokenOf(sandbox: Sandbox): string {
  return Buffer.from(`${createdMs(sandbox)}.${sandbox.sandboxId}`, "latin1").toString("base64url");
}

const createdMs = (sandbox: Sandbox) => sandbox.createdAt?.getTime() ?? 0;

function compare(a: Cursor, b: Cursor): number {
  return a.createdMs - b.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * One page of sandboxes (already filtered by state), oldest first, and the
 * token of the next page when there is more. The token names the last
 * sandbox shown, not an offset, so a sandbox created or killed between two
 * pages neither repeats nor hides another.
 */
export function pageOf(sandboxes: Sandbox[], query: ListQuery): { page: Sandbox[]; nextToken?: string } {
  const ordered = sandboxes
    .map((sandbox) => ({ sandbox, at: { createdMs: createdMs(sandbox), id: sandbox.sandboxId } }))
    .sort((a, b) => compare(a.at, b.at))
    .filter((item) => !query.after || compare(item.at, query.after) > 0)
    .map((item) => item.sandbox);
  const page = ordered.slice(0, query.limit);
  return ordered.length > query.limit ? { page, nextToken: tokenOf(page[page.length - 1]!) } : { page };
}
