import { errors, quoteForMessage } from "@wrenn/shared";

/**
 * One spelling per address: trimmed and lower-cased, so signup, login and
 * invites compare equal strings (the unique index is on lower(email) too).
 * The check is deliberately loose (something@domain.tld, no spaces): the
 * only real test of an address is mail reaching it.
 */
const shape = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The normalised address, or INVALID_ARGUMENT naming `field`. */
export function checkedEmail(email: string, field = "email"): string {
  const normalized = normalizeEmail(email);
  if (normalized.length < 3 || normalized.length > 254 || !shape.test(normalized)) {
    throw errors.invalidArgument(`${field} must be an email address, got ${quoteForMessage(email)}`);
  }
  return normalized;
}
