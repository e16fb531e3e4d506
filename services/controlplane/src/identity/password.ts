import { hash, verify } from "@node-rs/argon2";
import { errors } from "@wrenn/shared";

/**
 * Passwords are stored as argon2id PHC strings ("$argon2id$v=19$m=19456,t=2,p=1$…").
 * Parameters: m=19456 KiB (19 MiB), t=2 passes, p=1 lane, 32-byte output,
 * 16-byte random salt: OWASP's first recommended argon2id setting, about
 * 12 ms per hash on this hardware. argon2id is the library's default
 * algorithm (its `Algorithm` const enum is not importable under
 * isolatedModules, so it is not named here). The parameters travel in each
 * stored string, so raising them later still verifies old hashes.
 */
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 };

const minPasswordChars = 10;
/** Long enough for any passphrase; bounded so nobody makes the server hash megabytes. */
const maxPasswordBytes = 1024;

/** INVALID_ARGUMENT unless the password is 10 characters or more and at most 1024 bytes. */
export function checkPasswordRules(password: string): void {
  if ([...password].length < minPasswordChars) throw errors.invalidArgument(`password must be at least ${minPasswordChars} characters`);
  if (Buffer.byteLength(password, "utf8") > maxPasswordBytes) throw errors.invalidArgument(`password must be at most ${maxPasswordBytes} bytes`);
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

let dummyHash: Promise<string> | undefined;

/**
 * Whether `password` matches `stored`. With no stored hash (no such user, or
 * a user who only signs in through OIDC) it still verifies, against a dummy
 * hash with the same parameters, so the answer takes as long either way and
 * its timing does not tell which email addresses have accounts.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  // Over-long input is refused without hashing it (same cost as a wrong password, and no megabyte hashes).
  const tooLong = Buffer.byteLength(password, "utf8") > maxPasswordBytes;
  if (stored === null || tooLong) {
    dummyHash ??= hash("wrenn dummy password for timing", options);
    await verify(await dummyHash, tooLong ? "" : password);
    return false;
  }
  return verify(stored, password);
}
