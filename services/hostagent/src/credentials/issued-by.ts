import { X509Certificate } from "node:crypto";

/**
 * Whether `certificatePem` was signed by the CA `caCertificatePem` (its
 * issuer name and signature). Throws on what is not a PEM certificate.
 */
export function issuedBy(certificatePem: string, caCertificatePem: string): boolean {
  const certificate = new X509Certificate(certificatePem);
  const ca = new X509Certificate(caCertificatePem);
  return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
}
