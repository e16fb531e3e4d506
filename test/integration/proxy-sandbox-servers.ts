import type { WrennClient } from "@wrenn/client";

/**
 * Servers the proxy tests run inside a sandbox, and how they start them.
 * Both listen on 127.0.0.1 only, so a request reaches them through envd's
 * forwarders (what a dev server bound to loopback needs).
 */

/** Starts `cmd args` in the background under `tag` and returns once envd said it started. */
export async function startInSandbox(client: WrennClient, sandboxId: string, tag: string, cmd: string, args: string[]): Promise<void> {
  const leave = new AbortController();
  const events = client.processes.startProcess({ sandboxId, start: { process: { cmd, args, envs: {} }, tag, timeoutMs: 0, background: true } }, { signal: leave.signal });
  try {
    for await (const { event } of events) if (event?.start) return;
  } finally {
    leave.abort();
  }
  throw new Error(`${tag} did not start`);
}

/** A site for python's http.server: /index.html, and a directory /sub/ holding a.txt (listed, not indexed). */
export async function writeSite(client: WrennClient, sandboxId: string, root: string): Promise<void> {
  const result = await client.run(sandboxId, "sh", ["-c", `mkdir -p ${root}/sub && printf 'home page' > ${root}/index.html && printf 'file a' > ${root}/sub/a.txt`]);
  if (result.exitCode !== 0) throw new Error(`writing the site failed: ${result.stderr}`);
}

export function startHttpServer(client: WrennClient, sandboxId: string, port: number, root: string, tag = `http-${port}`): Promise<void> {
  return startInSandbox(client, sandboxId, tag, "python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", root]);
}

/**
 * A WebSocket echo server in plain Node (no npm package in the sandbox): the
 * RFC 6455 handshake, unfragmented frames, text echoed as "<path> <text>",
 * binary echoed as it came, ping answered, close answered.
 */
const echoServer = (port: number) => `
const http = require("http"), crypto = require("crypto");
const server = http.createServer((req, res) => res.end("websocket only"));
function frame(op, payload) {
  let head;
  if (payload.length < 126) head = Buffer.from([128 | op, payload.length]);
  else if (payload.length < 65536) { head = Buffer.alloc(4); head[0] = 128 | op; head[1] = 126; head.writeUInt16BE(payload.length, 2); }
  else { head = Buffer.alloc(10); head[0] = 128 | op; head[1] = 127; head.writeBigUInt64BE(BigInt(payload.length), 2); }
  return Buffer.concat([head, payload]);
}
server.on("upgrade", (req, socket) => {
  const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  let buf = Buffer.alloc(0);
  socket.on("error", () => socket.destroy());
  socket.on("data", (data) => {
    buf = Buffer.concat([buf, data]);
    for (;;) {
      if (buf.length < 2) return;
      const op = buf[0] & 15;
      let len = buf[1] & 127, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const mask = buf[1] & 128 ? buf.subarray(off, off + 4) : null;
      if (mask) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      buf = buf.subarray(off + len);
      if (op === 8) { socket.end(frame(8, payload.subarray(0, 2))); return; }
      if (op === 9) socket.write(frame(10, payload));
      else if (op === 1) socket.write(frame(1, Buffer.from(req.url + " " + payload.toString())));
      else if (op === 2) socket.write(frame(2, payload));
    }
  });
});
server.listen(${port}, "127.0.0.1");
`;

export function startEchoServer(client: WrennClient, sandboxId: string, port: number): Promise<void> {
  return startInSandbox(client, sandboxId, `ws-echo-${port}`, "node", ["-e", echoServer(port)]);
}
