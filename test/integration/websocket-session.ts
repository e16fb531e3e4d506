import WebSocket from "ws";

/** A refused upgrade: the HTTP answer instead of a 101. */
export interface Refusal {
  status: number;
  body: string;
}

export interface Control {
  type: string;
  [key: string]: unknown;
}

/**
 * One client of the WebSocket bridge, as a test drives it: output bytes
 * gathered, control messages listed, the close code and reason kept.
 */
export class BridgeSession {
  readonly chunks: Buffer[] = [];
  readonly controls: Control[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.chunks.push(data);
      else this.controls.push(JSON.parse(data.toString()) as Control);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.once("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      }),
    );
  }

  /** Opens a bridge; rejects with a Refusal when the server answers the upgrade with anything but 101. */
  static open(url: string, headers: Record<string, string> = {}): Promise<BridgeSession> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const session = new BridgeSession(ws);
      ws.once("open", () => resolve(session));
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => reject(Object.assign(new Error(`upgrade answered ${res.statusCode}`), { status: res.statusCode ?? 0, body } satisfies Refusal)));
      });
      ws.once("error", reject);
    });
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }

  bytes(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text), { binary: true });
  }

  resize(cols: number, rows: number): void {
    this.ws.send(JSON.stringify({ type: "resize", cols, rows }));
  }

  /** Resolves once `done` holds (checked on every message); rejects when the socket closes first. */
  async until(done: () => boolean, what: string): Promise<void> {
    while (!done()) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before ${what}; output so far: ${JSON.stringify(this.text().slice(-500))}`);
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
      });
    }
  }

  untilText(pattern: RegExp): Promise<void> {
    return this.until(() => pattern.test(this.text()), `output matching ${pattern}`);
  }

  control(type: string): Control | undefined {
    return this.controls.find((c) => c.type === type);
  }

  private wake() {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

/** The bridge URL of a route (ws:// on the gateway's address) with a query. */
export function bridgeUrl(httpUrl: string, path: string, query: Record<string, string> = {}): string {
  const url = new URL(path, httpUrl.replace(/^http/, "ws"));
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}
