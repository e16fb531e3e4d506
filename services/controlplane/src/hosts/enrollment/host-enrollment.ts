import { randomUUID } from "node:crypto";
import { errors, quoteForMessage, type Logger } from "@wrenn/shared";
import { formatHostToken, hostTokenHash, newHostTokenSecret, parseHostToken, pinsEqual } from "@wrenn/shared/pki/index";
import { hostUuidFor } from "../host-identity.js";
import type { HostAuthority } from "./host-authority.js";
import type { EnrollmentStore } from "./enrollment-store.js";

const hour = 3_600_000;
const maxTokenTtlSeconds = 7 * 24 * 3600;
const maxFieldLength = 255;

export interface RegisterHostInput {
  token: string;
  csrPem: string;
  address: string;
  agentHostId: string;
  portProxyAddress: string;
}

export interface HostEnrollment {
  createToken(createdBy: string | null, ttlSeconds: number): Promise<{ token: string; expiresAt: Date; caPin: string }>;
  register(input: RegisterHostInput): Promise<{
    hostId: string;
    certificatePem: string;
    caCertificatePem: string;
    serverName: string;
    expiresAt: Date;
  }>;
  /** Stops trusting the host; `onRevoked` drops it from the registry at once. */
  revoke(hostId: string): Promise<void>;
}

export interface HostEnrollmentOptions {
  store: EnrollmentStore;
  authority: HostAuthority;
  logger: Logger;
  /** Called after a registration or revocation is stored, so the registry dials (or drops) the host now. */
  onChange(): Promise<void>;
}

/** "host:port" with a port; the host a name or an address (IPv6 in brackets). */
const hostPort = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** Registration tokens, registering a host with one, and revoking it. */
export function createHostEnrollment(options: HostEnrollmentOptions): HostEnrollment {
  const { store, authority, logger } = options;
  // Every refusal of a token reads the same, whatever was wrong with it.
  const badToken = () => errors.unauthenticated("the registration token is not valid (unknown, used or expired)");

  return {
    async createToken(createdBy, ttlSeconds) {
      if (ttlSeconds > maxTokenTtlSeconds) throw errors.invalidArgument(`ttl_seconds must be at most ${maxTokenTtlSeconds} (seven days)`);
      const expiresAt = new Date(Date.now() + (ttlSeconds > 0 ? ttlSeconds * 1000 : hour));
      const secret = newHostTokenSecret();
      const caPin = await authority.pin();
      await store.createToken({ id: randomUUID(), tokenHash: hostTokenHash(secret), createdBy, expiresAt });
      logger.info({ expiresAt, createdBy }, "host registration token created");
      return { token: formatHostToken(secret, caPin), expiresAt, caPin };
    },

    async register(input) {
      const token = parseHostToken(input.token);
      if (!token) throw badToken();
      // A token made for another CA (another platform) is refused before anything is used up.
      if (!pinsEqual(token.caPin, await authority.pin())) throw badToken();
      if (!hostPort.test(input.address) || input.address.length > maxFieldLength) {
        throw errors.invalidArgument(`address must be "host:port" the controlplane can dial, got ${quoteForMessage(input.address)}`);
      }
      if (input.portProxyAddress && (!hostPort.test(input.portProxyAddress) || input.portProxyAddress.length > maxFieldLength)) {
        throw errors.invalidArgument(`port_proxy_address must be "host:port", got ${quoteForMessage(input.portProxyAddress)}`);
      }
      if (!input.agentHostId || input.agentHostId.length > maxFieldLength || !/^[\x21-\x7e]+$/.test(input.agentHostId)) {
        throw errors.invalidArgument("agent_host_id must be 1 to 255 printable ASCII characters");
      }
      const hostId = hostUuidFor(input.agentHostId);
      // The request is checked before the token is used up: a malformed one can be sent again.
      let issued;
      try {
        issued = await authority.issueHostCertificate(input.csrPem, hostId);
      } catch (err) {
        throw errors.invalidArgument(`csr_pem: ${(err as Error).message}`);
      }
      if (!(await store.consumeToken(hostTokenHash(token.secret), hostId))) throw badToken();
      await store.saveRegistration({
        id: hostId,
        agentHostId: input.agentHostId,
        address: input.address,
        portProxyAddress: input.portProxyAddress,
        serverName: issued.serverName,
        certificateFingerprint: issued.fingerprint,
        certificateExpiresAt: issued.notAfter,
      });
      logger.info({ hostId, address: input.address, expiresAt: issued.notAfter }, "host registered with a token");
      await options.onChange().catch((err: unknown) => logger.warn({ err: (err as Error).message }, "dialling the new host failed; the next heartbeat tries again"));
      return {
        hostId,
        certificatePem: issued.certificatePem,
        caCertificatePem: await authority.caCertificatePem(),
        serverName: issued.serverName,
        expiresAt: issued.notAfter,
      };
    },

    async revoke(hostId) {
      const outcome = await store.revoke(hostId);
      if (outcome === "not_found") throw errors.notFound("host not found");
      if (outcome === "not_registered") {
        throw errors.failedPrecondition("the host is trusted by configuration (WRENN_HOSTAGENT_URL), not by registration: remove it there");
      }
      logger.warn({ hostId }, "host revoked");
      await options.onChange();
    },
  };
}
