import { createServer, ServerError, Status, type Server } from "nice-grpc";
import { HostRegistrationServiceDefinition, type RegisterHostRequest } from "@wrenn/gen/wrenn/api/v1/host.js";
import {
  certificatePin,
  createCertificateAuthority,
  createSigningRequest,
  formatHostToken,
  generateKeyPair,
  issueCertificate,
  newHostTokenSecret,
  signingRequestKey,
  type CertificateAuthority,
  type TlsIdentity,
} from "@wrenn/shared/pki/index";

/**
 * Plays the controlplane in unit tests: HostRegistrationService signing with
 * a CA of its own (as the real one does: a server certificate for
 * `<host>.hosts.wrenn.internal`), and the client identity the controlplane
 * dials hosts with. `refuse` makes it answer an error instead.
 */
export interface FakeControlplane {
  address: string;
  ca: CertificateAuthority;
  /** A token carrying this CA's pin. */
  token: string;
  requests: RegisterHostRequest[];
  /** The controlplane's client identity (EKU clientAuth), for calling the agent. */
  client: TlsIdentity;
  serverName: string;
  hostId: string;
  refuse?: Status;
  /** Answer with another CA than the token's (a man in the middle). */
  impostorCa?: CertificateAuthority;
  close(): Promise<void>;
}

export async function issueIdentity(ca: CertificateAuthority, use: "server" | "client", name: string, pair?: Awaited<ReturnType<typeof generateKeyPair>>): Promise<TlsIdentity> {
  const keys = pair ?? (await generateKeyPair());
  const csr = await createSigningRequest(keys, name);
  const issued = await issueCertificate({ ca, publicKey: await signingRequestKey(csr), commonName: name, dnsNames: use === "server" ? [name] : [], use, validityDays: 30 });
  return { certificatePem: issued.certificatePem, privateKeyPem: keys.privateKeyPem, caCertificatePem: ca.certificatePem };
}

export async function startFakeControlplane(options: { listen?: string; ca?: CertificateAuthority; token?: string } = {}): Promise<FakeControlplane> {
  const listen = options.listen ?? "127.0.0.1:0";
  const ca = options.ca ?? (await createCertificateAuthority("test host CA"));
  const hostId = "0f0e0d0c-0b0a-4909-8807-060504030201";
  const serverName = "0f0e0d0c.hosts.wrenn.internal";
  let server: Server;
  const fake: FakeControlplane = {
    address: "",
    ca,
    token: options.token ?? formatHostToken(newHostTokenSecret(), certificatePin(ca.certificatePem)),
    requests: [],
    client: await issueIdentity(ca, "client", "wrenn-controlplane"),
    serverName,
    hostId,
    async close() {
      await server.shutdown();
    },
  };
  server = createServer();
  server.add(HostRegistrationServiceDefinition, {
    async registerHost(request) {
      fake.requests.push(request);
      if (fake.refuse !== undefined) throw new ServerError(fake.refuse, "refused by the fake controlplane");
      if (request.token !== fake.token) throw new ServerError(Status.UNAUTHENTICATED, "unknown token");
      const signer = fake.impostorCa ?? ca;
      const issued = await issueCertificate({
        ca: signer,
        publicKey: await signingRequestKey(request.csrPem),
        commonName: `host-${hostId}`,
        dnsNames: [serverName],
        use: "server",
        validityDays: 30,
      });
      return { hostId, certificatePem: issued.certificatePem, caCertificatePem: signer.certificatePem, serverName, expiresAt: issued.notAfter };
    },
  });
  const port = await server.listen(listen);
  fake.address = `${listen.replace(/:\d+$/, "")}:${port}`;
  return fake;
}
