import type { Logger } from "@wrenn/shared";
import { RotatingCertificates, certificateNotAfter } from "@wrenn/shared/pki/index";
import type { HostAgentConfig } from "../config.js";
import { credentialStore, type CredentialStore, type StoredCredentials } from "./credential-store.js";
import { registerWithControlplane } from "./register-with-controlplane.js";

/** A registered (or registering) agent's TLS: the certificates its listeners serve, live. */
export interface HostTls {
  certificates: RotatingCertificates;
  store: CredentialStore;
  /** The registration, once ready() has resolved (the credentials service needs it). */
  registration(): StoredCredentials;
  /**
   * Registers (when the credentials are not stored yet) once the listeners
   * are bound; resolves when they serve a certificate. Rejects with
   * RegistrationRefused (stop the agent, nothing stored) or
   * RegistrationAborted (`signal`).
   */
  ready(bound: { address: string; portProxyAddress: string }, signal?: AbortSignal): Promise<StoredCredentials>;
}

export type TlsConfig = Pick<HostAgentConfig, "registration" | "controlplaneUrl" | "advertiseAddress" | "portProxyAdvertiseAddress">;

/**
 * Undefined for a plaintext agent (no stored credentials, no token).
 * Otherwise the listeners are built on `certificates`: with credentials from
 * an earlier registration they serve at once; with only a token they fail
 * every TLS handshake until ready() has registered.
 */
export async function prepareHostTls(config: TlsConfig, dataDir: string, agentHostId: string, logger: Logger): Promise<HostTls | undefined> {
  const store = credentialStore(dataDir);
  const stored = await store.load();
  if (!stored && !config.registration) {
    if (config.controlplaneUrl) {
      throw new Error("WRENN_CONTROLPLANE_URL is set but WRENN_REGISTRATION_TOKEN is not, and no credentials are stored: set both to register (or neither for a plaintext agent)");
    }
    return undefined;
  }
  if (stored) warnIfExpiring(stored, store.dir, logger);
  if (stored && config.registration) logger.info({ hostId: stored.hostId }, "already registered (credentials stored): WRENN_REGISTRATION_TOKEN is not used");
  const certificates = new RotatingCertificates(stored?.identity ?? null);
  let registered = stored;
  return {
    certificates,
    store,
    registration() {
      if (!registered) throw new Error("not registered yet");
      return registered;
    },
    async ready(bound, signal) {
      if (registered) return registered;
      const registration = config.registration!;
      const fresh = await registerWithControlplane(
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
      await store.save(fresh);
      logger.info({ dir: store.dir }, "credentials stored");
      registered = fresh;
      certificates.update(fresh.identity);
      return fresh;
    },
  };
}

/** A certificate that lapsed while the agent was down cannot be renewed over mTLS: say what to do. */
function warnIfExpiring(stored: StoredCredentials, dir: string, logger: Logger): void {
  let notAfter: Date;
  try {
    notAfter = certificateNotAfter(stored.identity.certificatePem);
  } catch {
    throw new Error(`the stored credentials in ${dir} are damaged: host.pem is not a PEM certificate (remove the directory to register again)`);
  }
  if (notAfter.getTime() <= Date.now()) {
    logger.error(
      { expiresAt: notAfter, dir },
      "the stored certificate has expired: the controlplane cannot reach this agent; remove the credentials directory and start with a new WRENN_REGISTRATION_TOKEN",
    );
  }
}

/** A bound address as another process dials it: a wildcard host becomes loopback. */
export function dialable(address: string): string {
  return address.replace(/^(0\.0\.0\.0|\[::\]|::|\*)?:(\d+)$/, "127.0.0.1:$2");
}
