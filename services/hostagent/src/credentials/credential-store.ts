import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TlsIdentity } from "@wrenn/shared/pki/index";

/** What registration left in `<dataDir>/credentials/`. */
export interface StoredCredentials {
  identity: TlsIdentity;
  /** The controlplane's id of this host (RegisterHostResponse.host_id). */
  hostId: string;
  /** The DNS name the certificate is for; the controlplane checks it when it dials. */
  serverName: string;
  /** When the host registered (kept through rotations). */
  registeredAt: string;
}

export type CredentialStore = ReturnType<typeof credentialStore>;

const dirName = "credentials";
const files = { key: "host.key", certificate: "host.pem", ca: "ca.pem", registration: "registration.json" } as const;

/**
 * The agent's mutual-TLS credentials: `<dataDir>/credentials/` with host.key
 * (0600), host.pem, ca.pem and registration.json ({hostId, serverName,
 * registeredAt}). A new set is written (each file fsynced) into a directory
 * of its own, fsynced, and swapped in by two renames with the data dir
 * fsynced, so a kill at any moment leaves the old set or the new one, never a
 * mix: between the two renames the old set is `credentials.old`, which
 * load() takes (and puts back).
 */
export function credentialStore(dataDir: string) {
  const current = join(dataDir, dirName);
  const previous = join(dataDir, `${dirName}.old`);

  async function readSet(dir: string): Promise<StoredCredentials | undefined> {
    // No directory: not registered. A directory missing a file: damaged (never a silent fall back to plaintext).
    if (!(await exists(dir))) return undefined;
    let contents: string[];
    try {
      contents = await Promise.all([files.key, files.certificate, files.ca, files.registration].map((name) => readFile(join(dir, name), "utf8")));
    } catch (err) {
      throw new Error(`the stored credentials in ${dir} cannot be read (remove the directory to register again): ${(err as Error).message}`);
    }
    const [privateKeyPem, certificatePem, caCertificatePem, registration] = contents as [string, string, string, string];
    let parsed: Partial<Pick<StoredCredentials, "hostId" | "serverName" | "registeredAt">>;
    try {
      parsed = JSON.parse(registration) as typeof parsed;
    } catch {
      throw new Error(`the stored credentials in ${dir} are damaged: ${files.registration} is not JSON`);
    }
    if (typeof parsed.hostId !== "string" || typeof parsed.serverName !== "string") {
      throw new Error(`the stored credentials in ${dir} are damaged: ${files.registration} lacks hostId or serverName`);
    }
    return {
      identity: { privateKeyPem, certificatePem, caCertificatePem },
      hostId: parsed.hostId,
      serverName: parsed.serverName,
      registeredAt: typeof parsed.registeredAt === "string" ? parsed.registeredAt : "",
    };
  }

  async function syncDir(dir: string): Promise<void> {
    const handle = await open(dir, "r");
    await handle.sync().finally(() => handle.close());
  }

  /** A kill between the two renames of save(): the old set goes back into place. */
  async function recover(): Promise<void> {
    const [hasCurrent, hasPrevious] = await Promise.all([exists(current), exists(previous)]);
    if (!hasCurrent && hasPrevious) {
      await rename(previous, current);
      await syncDir(dataDir);
    }
  }

  return {
    dir: current,
    async load(): Promise<StoredCredentials | undefined> {
      await recover();
      // Half-written sets of a save that was cut short are never read; clear them.
      const stale = (await readdir(dataDir).catch(() => [] as string[])).filter((name) => name.startsWith(`${dirName}.new-`));
      await Promise.all(stale.map((name) => rm(join(dataDir, name), { recursive: true, force: true })));
      return readSet(current);
    },
    async save(credentials: StoredCredentials): Promise<void> {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await recover();
      const fresh = join(dataDir, `${dirName}.new-${process.pid}-${Date.now()}`);
      await mkdir(fresh, { mode: 0o700 });
      const registration = { hostId: credentials.hostId, serverName: credentials.serverName, registeredAt: credentials.registeredAt };
      const contents: [string, string, number][] = [
        [files.key, credentials.identity.privateKeyPem, 0o600],
        [files.certificate, credentials.identity.certificatePem, 0o644],
        [files.ca, credentials.identity.caCertificatePem, 0o644],
        [files.registration, `${JSON.stringify(registration)}\n`, 0o644],
      ];
      try {
        for (const [name, content, mode] of contents) {
          // "wx": a new file, created with its mode (the key is never readable by others, not even for a moment).
          await writeFile(join(fresh, name), content, { mode, flag: "wx" });
          const handle = await open(join(fresh, name), "r");
          await handle.sync().finally(() => handle.close());
        }
        await syncDir(fresh);
      } catch (err) {
        await rm(fresh, { recursive: true, force: true });
        throw err;
      }
      await rm(previous, { recursive: true, force: true });
      await rename(current, previous).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
      await rename(fresh, current);
      await syncDir(dataDir);
      await rm(previous, { recursive: true, force: true });
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await (await open(path, "r")).close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
