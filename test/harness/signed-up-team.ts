import { randomBytes } from "node:crypto";

export interface TeamKey {
  teamId: string;
  /** A new key of the team, made through the API. */
  apiKey: string;
  keyId: string;
}

/**
 * A second team as a new user gets one, through the public routes alone:
 * POST /v1/signup (no credential), then a key through a session (keyThroughSession).
 */
export async function signUpTeamWithKey(httpUrl: string, name: string): Promise<TeamKey & { email: string }> {
  const email = `${name}-${randomBytes(4).toString("hex")}@example.test`;
  const password = randomBytes(12).toString("base64url");
  const signup = await postJson(`${httpUrl}/v1/signup`, { email, password, displayName: name });
  if (signup.status !== 200) throw new Error(`signup answered ${signup.status}: ${JSON.stringify(signup.body)}`);
  return { email, ...(await keyThroughSession(httpUrl, email, password, name)) };
}

/**
 * A new API key of a user's personal team, as the user makes one in a
 * browser: POST /auth/login (session cookie and CSRF token), GET /v1/whoami
 * for the team, then POST /v1/teams/{team_id}/api-keys with the session.
 */
export async function keyThroughSession(httpUrl: string, email: string, password: string, keyName: string): Promise<TeamKey> {
  const login = await postJson(`${httpUrl}/auth/login`, { email, password });
  const csrfToken = (login.body as { csrfToken?: string }).csrfToken;
  if (login.status !== 200 || !csrfToken) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  // The cookies as a browser sends them back: name=value of each Set-Cookie.
  const cookie = login.setCookies.map((c) => c.split(";")[0]).join("; ");

  const whoami = await fetch(`${httpUrl}/v1/whoami`, { headers: { cookie } });
  const teamId = ((await whoami.json()) as { team?: { teamId?: string } }).team?.teamId;
  if (whoami.status !== 200 || !teamId) throw new Error(`whoami answered ${whoami.status}`);

  const created = await postJson(`${httpUrl}/v1/teams/${teamId}/api-keys`, { name: keyName }, { cookie, "x-csrf-token": csrfToken });
  const { secret: apiKey, apiKey: key } = created.body as { secret?: string; apiKey?: { keyId?: string } };
  if (created.status !== 200 || !apiKey || !key?.keyId) throw new Error(`creating a key answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { teamId, apiKey, keyId: key.keyId };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; setCookies: string[] }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? (JSON.parse(text) as unknown) : text, setCookies: res.headers.getSetCookie() };
}
