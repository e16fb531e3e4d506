import type { HostConnection } from "../hosts/host-connection.js";

/** Turns a relayed call's failure into the error the caller gets. */
export type ExplainFailure = (err: unknown) => Promise<unknown>;

/**
 * The connection's envd clients, each call's failure passed through
 * `explain` first: a call cut because the sandbox was destroyed meanwhile
 * then answers what the sandbox now is, not the host's UNAVAILABLE. Applies
 * alike to unary and client-stream calls (a promise) and to server streams
 * (an async iterable, passed through one message at a time, so back-pressure
 * and cancellation are as before).
 */
export function explainingFailures(connection: HostConnection, explain: ExplainFailure): HostConnection {
  return {
    ...connection,
    process: explaining(connection.process, explain),
    filesystem: explaining(connection.filesystem, explain),
    ports: explaining(connection.ports, explain),
  };
}

function explaining<Client extends object>(client: Client, explain: ExplainFailure): Client {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(client) as [string, unknown][]) {
    if (typeof method !== "function") continue;
    wrapped[name] = (...args: unknown[]) => {
      const result = (method as (...a: unknown[]) => unknown).apply(client, args);
      if (result instanceof Promise) return result.catch(async (err: unknown) => Promise.reject(await explain(err)));
      if (isAsyncIterable(result)) return explainingStream(result, explain);
      return result;
    };
  }
  return wrapped as Client;
}

async function* explainingStream<T>(stream: AsyncIterable<T>, explain: ExplainFailure): AsyncGenerator<T, void> {
  try {
    yield* stream;
  } catch (err) {
    throw await explain(err);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
