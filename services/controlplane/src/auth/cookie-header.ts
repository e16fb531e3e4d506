/** Cookie names Wrenn sets (auth/session-cookies.ts writes them; the hook reads the session one). */
export const sessionCookie = "wrenn_session";
export const refreshCookie = "wrenn_refresh";
export const csrfCookie = "wrenn_csrf";

/**
 * One cookie's value from a `Cookie` header (RFC 6265 §5.4: "a=1; b=2"),
 * or undefined. Values are opaque tokens, so no decoding; the first of
 * repeated names wins (the most specific path comes first).
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}
