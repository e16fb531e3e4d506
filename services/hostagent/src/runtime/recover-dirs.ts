import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@wrenn/shared";
import { removeDeadSandboxes } from "./dead-sandboxes.js";

/**
 * The part of Runtime.recover both runtimes share: every directory in
 * DATA_DIR/sandboxes is offered to `adopt` (in parallel); what it cannot
 * adopt is dead, and everything such a sandbox left is removed.
 */
export async function recoverSandboxDirs<T>(
  sandboxesDir: string,
  known: (sandboxId: string) => boolean,
  adopt: (dir: string, sandboxId: string) => Promise<T | undefined>,
  logger: Logger,
): Promise<{ found: T[]; lost: string[] }> {
  const names = (await readdir(sandboxesDir).catch(() => [] as string[])).filter((name) => !known(name));
  const found: T[] = [];
  const lost: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const adopted = await adopt(join(sandboxesDir, name), name).catch((err: unknown) => {
        logger.warn({ err, sandboxId: name }, "could not adopt sandbox");
        return undefined;
      });
      if (adopted === undefined) lost.push(name);
      else found.push(adopted);
    }),
  );
  await removeDeadSandboxes(sandboxesDir, lost, logger);
  return { found, lost };
}
