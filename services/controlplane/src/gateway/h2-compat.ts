import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/**
 * Headers that describe one HTTP/1 connection: HTTP/2 forbids them in a
 * response (RFC 9113 §8.2.2; Node throws on them), so an HTTP/1 handler's
 * `connection: close`, `keep-alive` or `transfer-encoding` is dropped there.
 */
const connectionScoped = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"]);

type AnyHeaders = OutgoingHttpHeaders | OutgoingHttpHeader[] | readonly (readonly [string, OutgoingHttpHeader])[];

/**
 * An HTTP/2 request and response (Node's compatibility objects) as the
 * gateway's HTTP/1 handlers read and write them: `headers` without the
 * pseudo-headers (they are not header fields: forwarded on, they would be
 * invalid names) and with `host` from `:authority` when the client sent no
 * Host (routing by host name needs it); method and url are unchanged.
 * Connection-scoped response headers are dropped and a status message
 * (HTTP/2 has none) is left out.
 */
export function asHttp1Exchange(req: Http2ServerRequest, res: Http2ServerResponse): { req: IncomingMessage; res: ServerResponse } {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!name.startsWith(":")) headers[name] = value;
  if (headers.host === undefined && req.authority) headers.host = req.authority;
  // An own property shadows the compat getter; Node's own method/url reads keep the full header block.
  Object.defineProperty(req, "headers", { value: headers, enumerable: true, configurable: true });

  const setHeader = res.setHeader.bind(res);
  const appendHeader = res.appendHeader.bind(res);
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: AnyHeaders) => Http2ServerResponse;
  Object.assign(res, {
    setHeader: (name: string, value: number | string | readonly string[]) => (connectionScoped.has(name.toLowerCase()) ? res : setHeader(name, value)),
    appendHeader: (name: string, value: string | string[]) => (connectionScoped.has(name.toLowerCase()) ? res : appendHeader(name, value)),
    writeHead: (status: number, messageOrHeaders?: string | AnyHeaders, maybeHeaders?: AnyHeaders) => {
      const given = typeof messageOrHeaders === "string" ? maybeHeaders : messageOrHeaders;
      return given === undefined ? writeHead(status) : writeHead(status, withoutConnectionScoped(given));
    },
  });
  return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse };
}

function withoutConnectionScoped(headers: AnyHeaders): AnyHeaders {
  if (!Array.isArray(headers)) {
    return Object.fromEntries(Object.entries(headers as OutgoingHttpHeaders).filter(([name]) => !connectionScoped.has(name.toLowerCase())));
  }
  if (headers.length > 0 && Array.isArray(headers[0])) {
    return (headers as unknown as readonly (readonly [string, OutgoingHttpHeader])[]).filter(([name]) => !connectionScoped.has(String(name).toLowerCase()));
  }
  // A flat [name, value, name, value…] list (rawHeaders), as the port proxy passes on.
  const flat = headers as OutgoingHttpHeader[];
  const kept: OutgoingHttpHeader[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (!connectionScoped.has(String(flat[i]).toLowerCase())) kept.push(flat[i], flat[i + 1]);
  return kept;
}
