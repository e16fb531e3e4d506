import { ClientError, Status, createChannel, createClient } from "nice-grpc";
import type { Logger } from "@wrenn/shared";
import { HostRegistrationServiceDefinition } from "@wrenn/gen/wrenn/api/v1/host.js";
import {
  certificateMatchesKey,
  certificatePin,
  createSigningRequest,
  generateKeyPair,
  parseHostToken,
  pinsEqual,
} from "@wrenn/shared/pki/index";
import type { StoredCredentials } from "./credential-store.js";

export interface RegistrationRequest {
  controlplaneUrl: string;
  token: string;
  agentHostId: string;
  address: string;
  portProxyAddress: string;
  signal?: AbortSignal;
}

/** A refusal that waiting will not change (bad token, wrong pin, a malformed request): the agent stops. */
export class RegistrationRefused extends Error {}

const retryable = new Set([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED]);

/**
 * Registers with the controlplane: a new key pair, a signing request, and
 * RegisterHost with the one-time token. The answer is trusted only when its
 * CA matches the pin the token carries and its certificate is for our key.
 * While the controlplane cannot be reached it tries again (0.5 s doubling to
 * 10 s). The token is never logged.
 */
export async function registerWithControlplane(request: RegistrationRequest, logger: Logger): Promise<StoredCredentials> {
  const token = parseHostToken(request.token);
  if (!token) throw new RegistrationRefused("WRENN_REGISTRATION_TOKEN is not a registration token (wrh_…_<pin>)");
  const pair = await generateKeyPair();
  const csrPem = await createSigningRequest(pair, request.agentHostId);
  const channel = createChannel(request.controlplaneUrl);
  const client = createClient(HostRegistrationServiceDefinition, channel);
  let delayMs = 500;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await client.registerHost(
          { token: request.token, csrPem, address: request.address, agentHostId: request.agentHostId, portProxyAddress: request.portProxyAddress },
          { signal: request.signal ? AbortSignal.any([request.signal, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000) },
        );
        if (!pinsEqual(certificatePin(answer.caCertificatePem), token.caPin)) {
          throw new RegistrationRefused("the controlplane's CA does not match the pin in the registration token: not registering");
        }
        if (!(await certificateMatchesKey(answer.certificatePem, pair))) {
          throw new RegistrationRefused("the certificate the controlplane sent is not for this agent's key");
        }
        logger.info({ hostId: answer.hostId, serverName: answer.serverName, expiresAt: answer.expiresAt }, "registered with the controlplane");
        return {
          identity: { privateKeyPem: pair.privateKeyPem, certificatePem: answer.certificatePem, caCertificatePem: answer.caCertificatePem },
          hostId: answer.hostId,
          serverName: answer.serverName,
        };
      } catch (err) {
        if (err instanceof RegistrationRefused) throw err;
        if (request.signal?.aborted) throw err;
        if (err instanceof ClientError && !retryable.has(err.code)) {
          throw new RegistrationRefused(`the controlplane refused the registration: ${Status[err.code]}: ${err.details}`);
        }
        logger.warn({ attempt, controlplane: request.controlplaneUrl, err: (err as Error).message, retryInMs: delayMs }, "controlplane not reachable for registration; trying again");
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 10_000);
      }
    }
  } finally {
    channel.close();
  }
}
