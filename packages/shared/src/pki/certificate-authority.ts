import { createHash, randomBytes } from "node:crypto";
import { x509, signingAlgorithm, type CryptoKey } from "./x509.js";
import { generateKeyPair, importKeyPair, type PemKeyPair } from "./key-pair.js";

/** The platform's host CA: its certificate and private key, both PEM. */
export interface CertificateAuthority {
  certificatePem: string;
  privateKeyPem: string;
}

export interface IssuedCertificate {
  certificatePem: string;
  serialNumber: string;
  notAfter: Date;
  /** "sha256:" + hex of the DER, as in the hosts table. */
  fingerprint: string;
}

const day = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past: hosts' clocks are not all in step. */
const backdateMs = 5 * 60 * 1000;

export async function createCertificateAuthority(commonName = "Wrenn host CA", validityDays = 3650): Promise<CertificateAuthority> {
  const pair = await generateKeyPair();
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeName(commonName)}`,
    notBefore: new Date(now - backdateMs),
    notAfter: new Date(now + validityDays * day),
    signingAlgorithm,
    keys: pair.keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(pair.keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString("pem"), privateKeyPem: pair.privateKeyPem };
}

/** "sha256:" + hex digest of a certificate's DER: the CA pin a registration token ends with. */
export function certificatePin(certificatePem: string): string {
  const der = Buffer.from(new x509.X509Certificate(certificatePem).rawData);
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}

export type CertificateUse = "server" | "client";

export interface IssueOptions {
  ca: CertificateAuthority;
  /** The subject's public key. */
  publicKey: CryptoKey;
  commonName: string;
  /** DNS names (servers: the name the client checks). */
  dnsNames?: string[];
  /** A server certificate cannot be used as a client one, nor the reverse (TLS checks the extended key usage). */
  use: CertificateUse;
  validityDays: number;
}

export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  const caCertificate = new x509.X509Certificate(options.ca.certificatePem);
  const caKeys: PemKeyPair = await importKeyPair(options.ca.privateKeyPem);
  const now = Date.now();
  const notAfter = new Date(now + options.validityDays * day);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([options.use === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
    await x509.AuthorityKeyIdentifierExtension.create(caCertificate, false),
  ];
  if (options.dnsNames?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(options.dnsNames.map((value) => ({ type: "dns" as const, value })), false));
  }
  const serialNumber = serial();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${escapeName(options.commonName)}`,
    issuer: caCertificate.subject,
    notBefore: new Date(now - backdateMs),
    notAfter,
    signingAlgorithm,
    publicKey: options.publicKey,
    signingKey: caKeys.keys.privateKey,
    extensions,
  });
  const der = Buffer.from(certificate.rawData);
  return {
    certificatePem: certificate.toString("pem"),
    serialNumber,
    notAfter,
    fingerprint: `sha256:${createHash("sha256").update(der).digest("hex")}`,
  };
}

/** When a certificate (PEM) stops being valid. */
export function certificateNotAfter(certificatePem: string): Date {
  return new x509.X509Certificate(certificatePem).notAfter;
}

/** 16 random bytes with the top bit clear, so the DER integer stays positive. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}

/** A distinguished name's value with the characters RFC 4514 reserves escaped. */
export function escapeName(value: string): string {
  return value.replace(/[\\,+"<>;=#]/g, "\\$&");
}

/** The DNS names in a certificate's subject alternative names. */
export function certificateDnsNames(certificatePem: string): string[] {
  const extension = new x509.X509Certificate(certificatePem).getExtension(x509.SubjectAlternativeNameExtension);
  return extension ? extension.names.items.filter((name) => name.type === "dns").map((name) => name.value) : [];
}
