/** Where a login may send the browser back to: a path on this site. */
const base = new URL("http://wrenn.invalid");

/**
 * `return_to` as a path on this site, or null. Absolute URLs, scheme-relative
 * ("//evil.example") and backslash tricks ("/\evil.example", which browsers
 * read as "//") are refused, so a login link can never bounce a signed-in
 * user to another site (an open redirect).
 */
export function safeReturnTo(value: string | null): string | null {
  if (value === null || value === "") return "/";
  if (value.length > 2000 || !value.startsWith("/") || value.startsWith("//") || /[\\\u0000-\u001f\u007f]/.test(value)) return null;
  const url = new URL(value, base);
  if (url.origin !== base.origin) return null;
  return url.pathname + url.search + url.hash;
}
