import { randomBytes } from "node:crypto";

export interface SignedUpTeam {
  email: string;
  teamId: string;
  /** A key of the new user's personal team, made through the API. */
  apiKey: string;
}

/**
 * A second team as a new user gets one, through the public routes alone:
 * POST /v1/signup (no credential), POST /auth/login (session cookie and CSRF
 * token), then POST /v1/teams/{team_id}/api-keys with that session.
 */
export async function signUpTeamWithKey(httpUrl: string, name: string): Promise<SignedUpTeam> {
  const email = `${name}-${randomBytes(4).toString("hex")}@example.test`;
  const password = randomBytes(12).toString("base64url");
  const signup = await postJson(`${httpUrl}/v1/signup`, { email, password, displayName: name });
  const teamId = (signup.body as { team?: { teamId?: string } }).team?.teamId;
  if (signup.status !== 200 || !teamId) throw new Error(`signup answered ${signup.status}: ${JSON.stringify(signup.body)}`);

  const login = await postJson(`${httpUrl}/auth/login`, { email, password });
  const csrfToken = (login.body as { csrfToken?: string }).csrfToken;
  if (login.status !== 200 || !csrfToken) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  // The cookies as a browser sends them back: name=value of each Set-Cookie.
  const cookie = login.setCookies.map((c) => c.split(";")[0]).join("; ");

  const created = await postJson(`${httpUrl}/v1/teams/${teamId}/api-keys`, { name: `${name} key` }, { cookie, "x-csrf-token": csrfToken });
  const apiKey = (created.body as { secret?: string }).secret;
  if (created.status !== 200 || !apiKey) throw new Error(`creating a key answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { email, teamId, apiKey };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; setCookies: string[] }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? (JSON.parse(text) as unknown) : text, setCookies: res.headers.getSetCookie() };
}
