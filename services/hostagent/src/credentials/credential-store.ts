import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TlsIdentity } from "@wrenn/shared/pki/index";

/** What registration left in `<dataDir>/credentials/`. */
export interface StoredCredentials {
  identity: TlsIdentity;
  hostId: string;
  serverName: string;
}

const dirName = "credentials";

/**
 * The agent's mutual-TLS credentials: host.key (0600), host.pem, ca.pem and
 * registration.json. A new set is written into a directory of its own and
 * swapped in by renames, so a kill mid-write leaves the old set or the new
 * one, never a mix (a kill between the two renames leaves the old set as
 * `credentials.old`, which load() takes).
 */
export function credentialStore(dataDir: string) {
  const current = join(dataDir, dirName);
  const previous = join(dataDir, `${dirName}.old`);

  async function readSet(dir: string): Promise<StoredCredentials | undefined> {
    try {
      const [privateKeyPem, certificatePem, caCertificatePem, registration] = await Promise.all(
        ["host.key", "host.pem", "ca.pem", "registration.json"].map((name) => readFile(join(dir, name), "utf8")),
      );
      const { hostId, serverName } = JSON.parse(registration!) as { hostId: string; serverName: string };
      return { identity: { privateKeyPem: privateKeyPem!, certificatePem: certificatePem!, caCertificatePem: caCertificatePem! }, hostId, serverName };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Error(`the stored credentials in ${dir} cannot be read: ${(err as Error).message}`);
    }
  }

  return {
    dir: current,
    async load(): Promise<StoredCredentials | undefined> {
      return (await readSet(current)) ?? (await readSet(previous));
    },
    async save(credentials: StoredCredentials): Promise<void> {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      const fresh = join(dataDir, `${dirName}.new-${process.pid}-${Date.now()}`);
      await mkdir(fresh, { mode: 0o700 });
      const files: [string, string, number][] = [
        ["host.key", credentials.identity.privateKeyPem, 0o600],
        ["host.pem", credentials.identity.certificatePem, 0o644],
        ["ca.pem", credentials.identity.caCertificatePem, 0o644],
        ["registration.json", `${JSON.stringify({ hostId: credentials.hostId, serverName: credentials.serverName, savedAt: new Date().toISOString() })}\n`, 0o644],
      ];
      for (const [name, content, mode] of files) {
        await writeFile(join(fresh, name), content, { mode });
        const handle = await open(join(fresh, name), "r");
        await handle.sync().finally(() => handle.close());
      }
      await rm(previous, { recursive: true, force: true });
      await rename(current, previous).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
      await rename(fresh, current);
      const dir = await open(dataDir, "r");
      await dir.sync().finally(() => dir.close());
      await rm(previous, { recursive: true, force: true });
    },
  };
}
