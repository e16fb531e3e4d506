import type { Logger } from "@wrenn/shared";
import { RotatingCertificates } from "@wrenn/shared/pki/index";
import type { HostAgentConfig } from "../config.js";
import { credentialStore, type StoredCredentials } from "./credential-store.js";
import { registerWithControlplane } from "./register-with-controlplane.js";

/** A registered (or registering) agent's TLS: the certificates its listeners serve, live. */
export interface HostTls {
  certificates: RotatingCertificates;
  store: ReturnType<typeof credentialStore>;
  /** Registers (when the credentials are not stored yet) once the listeners are bound; resolves when they serve a certificate. */
  ready(bound: { address: string; portProxyAddress: string }, signal?: AbortSignal): Promise<StoredCredentials>;
}

/**
 * Undefined for a plaintext agent (no stored credentials, no token).
 * Otherwise the listeners are built on `certificates`: with credentials from
 * an earlier registration they serve at once; with only a token they drop
 * every connection until ready() has registered.
 */
export async function prepareHostTls(config: HostAgentConfig, dataDir: string, agentHostId: string, logger: Logger): Promise<HostTls | undefined> {
  const store = credentialStore(dataDir);
  const stored = await store.load();
  if (!stored && !config.registration) return undefined;
  if (stored && config.registration) logger.info("already registered (credentials stored): WRENN_REGISTRATION_TOKEN is not used");
  const certificates = new RotatingCertificates(stored?.identity ?? null);
  return {
    certificates,
    store,
    async ready(bound, signal) {
      if (stored) return stored;
      const registration = config.registration!;
      const registered = await registerWithControlplane(
        {
          controlplaneUrl: registration.controlplaneUrl,
          token: registration.token,
          agentHostId,
          address: config.advertiseAddress ?? dialable(bound.address),
          portProxyAddress: config.portProxyAdvertiseAddress ?? dialable(bound.portProxyAddress),
          signal,
        },
        logger,
      );
      await store.save(registered);
      certificates.update(registered.identity);
      return registered;
    },
  };
}

/** A bound address as another process dials it: a wildcard host becomes loopback. */
function dialable(address: string): string {
  return address.replace(/^(0\.0\.0\.0|\[::\]|::):/, "127.0.0.1:");
}
