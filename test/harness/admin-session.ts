import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Stack } from "@wrenn/devstack";

/**
 * A session cookie of the stack's first admin (admin@wrenn.local, its
 * password written beside the bootstrap key): AdminService answers platform
 * admins on a session only, never an API key.
 */
export async function adminSessionCookie(stack: Stack): Promise<string> {
  const password = (await readFile(join(dirname(stack.apiKeyFile), "admin-password"), "utf8")).trim();
  const login = await fetch(`${stack.httpUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@wrenn.local", password }),
  });
  if (login.status !== 200) throw new Error(`the admin's login answered ${login.status}`);
  return login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}
