import type { Stack } from "@wrenn/devstack";

/**
 * HTTP headers carrying the stack's API key (auth is always on: every route
 * but signup and health answers 401 without one), plus any others given.
 */
export function keyHeaders(stack: Stack, headers: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${stack.apiKey}`, ...headers };
}
