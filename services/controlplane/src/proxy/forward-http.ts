import { request, type Agent, type IncomingMessage, type ServerResponse } from "node:http";
import type { ControlPlaneMetrics } from "../observability/metrics.js";
import { downstreamHeaders, upstreamHeaders } from "./forward-headers.js";
import type { ProxyAddress } from "./proxy-address.js";
import type { TunnelRequestArgs } from "./tunnel-pool.js";

/**
 * Forwards one HTTP request through a sandbox port's agent and streams the
 * answer back (back-pressure both ways through pipe). Rejects before any
 * header was sent when the dial or the upstream request failed; after that,
 * a broken upstream ends the client's response abruptly (it must not look
 * complete). A request without a body that failed on a reused keep-alive
 * connection (the server closed it meanwhile) is sent once more.
 */
export function forwardHttp(req: IncomingMessage, res: ServerResponse, address: ProxyAddress, agent: Agent, metrics: ControlPlaneMetrics): Promise<void> {
  const abort = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  const headers = upstreamHeaders(req, address, { upgrade: false });
  if (!headers.host) headers.host = `localhost:${address.port}`;
  const bodiless = !req.headers["content-length"] && !req.headers["transfer-encoding"];
  if (!bodiless) req.on("data", (chunk: Buffer) => metrics.countProxyBytes("in", chunk.length));

  return new Promise((resolve, reject) => {
    const attempt = (mayRetry: boolean) => {
      const options: TunnelRequestArgs = { agent, method: req.method, path: address.upstreamPath, headers, tunnelSignal: abort.signal, setHost: false };
      const upstream = request(options);
      upstream.on("error", (err) => {
        if (res.headersSent) return res.destroy();
        if (mayRetry && bodiless && upstream.reusedSocket && !abort.signal.aborted) return attempt(false);
        reject(err);
      });
      abort.signal.addEventListener("abort", () => upstream.destroy(), { once: true });
      upstream.on("response", (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, downstreamHeaders(answer.rawHeaders, req, address));
        answer.on("data", (chunk: Buffer) => metrics.countProxyBytes("out", chunk.length));
        answer.once("close", () => {
          if (!answer.complete) res.destroy();
        });
        answer.on("error", () => res.destroy());
        answer.pipe(res);
        res.once("close", () => resolve());
      });
      if (bodiless) upstream.end();
      else req.pipe(upstream);
    };
    attempt(true);
  });
}
