import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** What an account at the test provider says about itself. */
export interface TestAccount {
  email: string;
  email_verified: boolean;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the one client (whose redirect URLs are known only once the controlplane listens) and starts serving. */
  serve(...redirectUris: string[]): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (the `oidc-provider` package) on loopback, with its
 * development login and consent pages. It listens first, so the issuer URL
 * carries the bound port; the Provider is built once our callback URL is known.
 */
export async function startTestOidcProvider(accounts: Record<string, TestAccount>): Promise<TestOidcProvider> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(503).end("not serving yet");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "wrenn-test";
  const clientSecret = "wrenn-test-secret-0123456789abcdef";
  return {
    issuer,
    clientId,
    clientSecret,
    serve(...redirectUris) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            grant_types: ["authorization_code"],
            response_types: ["code"],
            token_endpoint_auth_method: "client_secret_basic",
          },
        ],
        pkce: { required: () => true },
        claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
        features: { devInteractions: { enabled: true } },
        cookies: { keys: ["test-cookie-key-not-secret"] },
        findAccount(_ctx, sub) {
          const account = accounts[sub];
          if (!account) return undefined;
          return { accountId: sub, claims: () => ({ sub, ...account }) };
        },
      });
      server.removeAllListeners("request");
      const handle = provider.callback();
      server.on("request", (req, res) => void handle(req, res));
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Cookies by name for one site, paths ignored (enough for the provider's few cookies). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute) || /^\s*expires=thu, 01 jan 1970/i.test(attribute));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("cookie", this.header());
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    this.take(response);
    return response;
  }
}

/**
 * Walks the provider's pages as a browser would, signing in as `accountId`
 * and consenting: from the authorization URL our /start sent us to, until the
 * provider redirects away from itself (to our callback). Returns that URL.
 */
export async function signInAtProvider(authorizationUrl: string, accountId: string): Promise<URL> {
  const origin = new URL(authorizationUrl).origin;
  const jar = new CookieJar();
  let url = authorizationUrl;
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 12; step++) {
    const response = await jar.fetch(url, form ? { method: "POST", body: form } : {});
    form = undefined;
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (next.origin !== origin) return next;
      url = next.href;
      continue;
    }
    const page = await response.text();
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (response.status !== 200 || !prompt) throw new Error(`provider answered ${response.status} at ${new URL(url).pathname}: ${page.slice(0, 300)}`);
    // The development pages post back to the interaction's own URL.
    form = new URLSearchParams(prompt === "login" ? { prompt, login: accountId, password: "any" } : { prompt });
  }
  throw new Error("the provider never redirected back");
}
