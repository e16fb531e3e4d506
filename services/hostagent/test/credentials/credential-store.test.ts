import { afterEach, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentialStore, type StoredCredentials } from "../../src/credentials/credential-store.js";

let dataDir: string;
afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function set(tag: string): StoredCredentials {
  return {
    identity: { privateKeyPem: `key ${tag}`, certificatePem: `cert ${tag}`, caCertificatePem: "ca" },
    hostId: "host-1",
    serverName: "h.hosts.wrenn.internal",
    registeredAt: "2026-12-03T10:00:00.000Z",
  };
}

describe("the credentials store", () => {
  it("writes host.key 0600, host.pem, ca.pem and registration.json, and reads them back", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-store-"));
    const store = credentialStore(dataDir);
    expect(await store.load()).toBeUndefined();
    await store.save(set("a"));
    expect(store.dir).toBe(join(dataDir, "credentials"));
    expect((await stat(join(store.dir, "host.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(store.dir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(join(store.dir, "registration.json"), "utf8"))).toEqual({
      hostId: "host-1",
      serverName: "h.hosts.wrenn.internal",
      registeredAt: "2026-12-03T10:00:00.000Z",
    });
    expect(await store.load()).toEqual(set("a"));
    await store.save(set("b"));
    expect(await store.load()).toEqual(set("b"));
    // Nothing left beside it.
    expect(await readdir(dataDir)).toEqual(["credentials"]);
  });

  it("after a kill between the two renames, finds the old set (and puts it back)", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-store-"));
    const store = credentialStore(dataDir);
    await store.save(set("old"));
    // The state save() leaves when killed after `credentials` → `credentials.old`, with the new set still in its temp dir.
    await rename(store.dir, join(dataDir, "credentials.old"));
    await mkdir(join(dataDir, "credentials.new-1-2"));
    await writeFile(join(dataDir, "credentials.new-1-2", "host.key"), "half");
    expect(await store.load()).toEqual(set("old"));
    expect((await readdir(dataDir)).sort()).toEqual(["credentials"]);
    await store.save(set("new"));
    expect(await store.load()).toEqual(set("new"));
  });

  it("after a kill once the new set is in place, takes the new one", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-store-"));
    const store = credentialStore(dataDir);
    await store.save(set("old"));
    await rename(store.dir, join(dataDir, "credentials.old"));
    await store.save(set("new"));
    // Killed before the old one was removed.
    await credentialStore(join(dataDir, "elsewhere")).save(set("old"));
    await rename(join(dataDir, "elsewhere", "credentials"), join(dataDir, "credentials.old"));
    expect(await store.load()).toEqual(set("new"));
  });

  it("a save that fails leaves the set before it", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-store-"));
    const store = credentialStore(dataDir);
    await store.save(set("a"));
    const broken = set("b");
    (broken.identity as { certificatePem: unknown }).certificatePem = undefined;
    await expect(store.save(broken)).rejects.toThrow();
    expect(await store.load()).toEqual(set("a"));
    expect(await readdir(dataDir)).toEqual(["credentials"]);
  });

  it("says which file is damaged rather than starting plaintext", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-store-"));
    const store = credentialStore(dataDir);
    await store.save(set("a"));
    await writeFile(join(store.dir, "registration.json"), "{");
    await expect(store.load()).rejects.toThrow(/registration.json is not JSON/);
    await rm(join(store.dir, "host.key"));
    await expect(store.load()).rejects.toThrow(/cannot be read[\s\S]*host.key/);
  });
});
