import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A QMP client over QEMU's unix socket: reads the greeting, negotiates
 * capabilities, then runs commands matched to replies by id, with a timeout
 * each. Events are delivered to listeners; when the socket closes every
 * pending command rejects.
 */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
    this.name = "QmpError";
  }
}

export interface QmpClient {
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  onEvent(listener: (event: QmpEvent) => void): () => void;
  /** Resolves with the first event named `name` (optionally matching `match`), or rejects on timeout/close. */
  waitEvent(name: string, timeoutMs: number, match?: (event: QmpEvent) => boolean): Promise<QmpEvent>;
  readonly closed: Promise<void>;
  close(): void;
}

const defaultTimeoutMs = 10_000;

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export function createQmpClient(socket: Socket): Promise<QmpClient> {
  return new Promise((resolveClient, rejectClient) => {
    let buffer = "";
    let nextId = 1;
    let greeted = false;
    let isClosed = false;
    const pending = new Map<string, Pending>();
    const listeners = new Set<(event: QmpEvent) => void>();
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => (markClosed = r));

    const fail = (err: Error) => {
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(err);
        pending.delete(id);
      }
    };

    const client: QmpClient = {
      execute(command, args, timeoutMs = defaultTimeoutMs) {
        if (isClosed) return Promise.reject(new Error(`QMP ${command}: connection closed`));
        const id = `wrenn-${nextId++}`;
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            pending.delete(id);
            reject(new Error(`QMP ${command}: no reply within ${timeoutMs} ms`));
          }, timeoutMs);
          pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
          socket.write(JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id }) + "\n");
        });
      },
      onEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      waitEvent(name, timeoutMs, match) {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            off();
            reject(new Error(`QMP: no ${name} event within ${timeoutMs} ms`));
          }, timeoutMs);
          const off = client.onEvent((event) => {
            if (event.event !== name || (match && !match(event))) return;
            clearTimeout(timer);
            off();
            resolve(event);
          });
          void closed.then(() => {
            clearTimeout(timer);
            off();
            reject(new Error(`QMP: connection closed while waiting for ${name}`));
          });
        });
      },
      closed,
      close() {
        socket.destroy();
      },
    };

    const handle = (message: Record<string, unknown>) => {
      if (!greeted) {
        if (!("QMP" in message)) return rejectClient(new Error("QMP: unexpected greeting"));
        greeted = true;
        client.execute("qmp_capabilities").then(() => resolveClient(client), rejectClient);
        return;
      }
      if (typeof message.event === "string") {
        for (const listener of [...listeners]) listener(message as unknown as QmpEvent);
        return;
      }
      const id = typeof message.id === "string" ? message.id : undefined;
      const waiter = id ? pending.get(id) : undefined;
      if (!waiter || !id) return;
      pending.delete(id);
      clearTimeout(waiter.timer);
      if ("error" in message) {
        const error = message.error as { class?: string; desc?: string };
        waiter.reject(new QmpError(waiter.command, error.class ?? "GenericError", error.desc ?? "unknown error"));
      } else waiter.resolve(message.return);
    };

    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        try {
          handle(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // QEMU only sends JSON objects; a garbled line is skipped rather than killing the client.
        }
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      isClosed = true;
      fail(new Error("QMP connection closed"));
      if (!greeted) rejectClient(new Error("QMP connection closed before the greeting"));
      markClosed();
    });
  });
}

/**
 * Connects to QEMU's QMP socket, retrying while QEMU starts up (the socket
 * appears a few ms after spawn). `alive` stops the retries when the process died.
 */
export async function connectQmp(path: string, options: { timeoutMs: number; alive: () => boolean }): Promise<QmpClient> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!options.alive()) throw new Error("QEMU exited before its QMP socket was ready");
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect(path);
        s.once("connect", () => resolve(s));
        s.once("error", reject);
      });
      return await createQmpClient(socket);
    } catch (err) {
      lastError = err;
      await sleep(5);
    }
  }
  throw new Error(`QMP socket ${path} not ready within ${options.timeoutMs} ms: ${String(lastError)}`);
}
