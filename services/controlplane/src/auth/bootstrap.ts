import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DatabasePool } from "slonik";
import type { Logger } from "@wrenn/shared";
import type { ControlPlaneConfig } from "../config.js";
import { createFirstAdmin, hasUsers } from "../db/identity/first-admin.js";
import { hashPassword } from "../identity/password.js";

export interface BootstrapFiles {
  keyFile: string;
  passwordFile: string;
}

/** Where the bootstrap key and password go: WRENN_BOOTSTRAP_KEY_FILE (else <data dir>/api-key), and admin-password beside it. */
export function bootstrapFiles(config: Pick<ControlPlaneConfig, "bootstrapKeyFile" | "dataDir">): BootstrapFiles {
  const keyFile = config.bootstrapKeyFile ?? join(config.dataDir, "api-key");
  return { keyFile, passwordFile: join(dirname(keyFile), "admin-password") };
}

/**
 * The first start on an empty database creates a platform admin
 * (WRENN_ADMIN_EMAIL, a random password), their personal team and an API key
 * named "bootstrap", and writes the key and the password to files only the
 * service's user can read. Every later start (and a second copy starting at
 * the same moment) finds a user and does nothing. The log names the file and
 * the key's prefix, never the key.
 */
export async function bootstrapAdmin(pool: DatabasePool, config: ControlPlaneConfig, logger: Logger): Promise<void> {
  if (await hasUsers(pool)) return;
  const files = bootstrapFiles(config);
  const email = config.adminEmail ?? "admin@wrenn.local";
  const password = randomBytes(18).toString("base64url");
  const created = await createFirstAdmin(pool, { email, passwordHash: await hashPassword(password) }, async ({ secret }) => {
    await writeSecretFile(files.keyFile, secret + "\n");
    await writeSecretFile(files.passwordFile, password + "\n");
  });
  if (created) {
    logger.info({ email, keyFile: files.keyFile, passwordFile: files.passwordFile, keyPrefix: created.key.prefix }, "bootstrap admin and API key created");
  }
}

/**
 * Writes a new file born mode 0600 (open's mode, never a chmod after: there is
 * no moment it is readable by others) and renames it over `path`, so an
 * older file of any mode is replaced whole, never rewritten in place.
 */
async function writeSecretFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
