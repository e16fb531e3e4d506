import { ClientError, Status, createChannel, createClient } from "nice-grpc";
import type { Logger } from "@wrenn/shared";
import { HostRegistrationServiceDefinition } from "@wrenn/gen/wrenn/api/v1/host.js";
import {
  certificateDnsNames,
  certificateMatchesKey,
  certificatePin,
  createSigningRequest,
  generateKeyPair,
  parseHostToken,
  pinsEqual,
} from "@wrenn/shared/pki/index";
import type { StoredCredentials } from "./credential-store.js";
import { issuedBy } from "./issued-by.js";

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

/** The agent was stopped while it waited for the controlplane. */
export class RegistrationAborted extends Error {
  constructor() {
    super("stopped before the registration with the controlplane succeeded");
  }
}

const firstDelayMs = 500;
const maxDelayMs = 10_000;
const attemptTimeoutMs = 15_000;

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
  let delayMs = firstDelayMs;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await client.registerHost(
          { token: request.token, csrPem, address: request.address, agentHostId: request.agentHostId, portProxyAddress: request.portProxyAddress },
          { signal: request.signal ? AbortSignal.any([request.signal, AbortSignal.timeout(attemptTimeoutMs)]) : AbortSignal.timeout(attemptTimeoutMs) },
        );
        let pinMatches: boolean;
        let forOurKey: boolean;
        let namesServer = false;
        try {
          pinMatches = pinsEqual(certificatePin(answer.caCertificatePem), token.caPin);
          forOurKey = pinMatches && issuedBy(answer.certificatePem, answer.caCertificatePem) && (await certificateMatchesKey(answer.certificatePem, pair));
          namesServer = certificateDnsNames(answer.certificatePem).includes(answer.serverName);
        } catch {
          throw new RegistrationRefused("the controlplane's answer does not hold PEM certificates: not registering");
        }
        if (!pinMatches) {
          throw new RegistrationRefused("the controlplane's CA does not match the pin in WRENN_REGISTRATION_TOKEN: not registering (wrong controlplane, or a token of another platform)");
        }
        if (!forOurKey) {
          throw new RegistrationRefused("the certificate the controlplane sent is not for this agent's key or not signed by its CA: not registering");
        }
        if (!namesServer) {
          throw new RegistrationRefused("the certificate the controlplane sent does not name its server_name: not registering");
        }
        logger.info({ hostId: answer.hostId, serverName: answer.serverName, expiresAt: answer.expiresAt }, "registered with the controlplane");
        return {
          identity: { privateKeyPem: pair.privateKeyPem, certificatePem: answer.certificatePem, caCertificatePem: answer.caCertificatePem },
          hostId: answer.hostId,
          serverName: answer.serverName,
          registeredAt: new Date().toISOString(),
        };
      } catch (err) {
        if (err instanceof RegistrationRefused) throw err;
        if (request.signal?.aborted) throw new RegistrationAborted();
        if (err instanceof ClientError && !retryable.has(err.code)) {
          const hint = err.code === Status.UNAUTHENTICATED ? " (the token is wrong, expired or already used: ask for a new one)" : "";
          throw new RegistrationRefused(redact(`the controlplane refused the registration: ${Status[err.code]}: ${err.details}${hint}`, request.token));
        }
        logger.warn(
          { attempt, controlplane: request.controlplaneUrl, err: redact((err as Error).message, request.token), retryInMs: delayMs },
          "controlplane not reachable for registration; trying again",
        );
        await sleep(delayMs, request.signal);
        delayMs = Math.min(delayMs * 2, maxDelayMs);
      }
    }
  } finally {
    channel.close();
  }
}

/** Whatever a peer echoes back, the token (or its secret) never reaches a log line or an error. */
function redact(text: string, token: string): string {
  const secret = parseHostToken(token)?.secret;
  let out = text.split(token).join("[redacted]");
  if (secret) out = out.split(secret).join("[redacted]");
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RegistrationAborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RegistrationAborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
