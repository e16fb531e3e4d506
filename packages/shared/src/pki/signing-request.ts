import { x509, signingAlgorithm, subtle, type CryptoKey } from "./x509.js";
import type { PemKeyPair } from "./key-pair.js";
import { escapeName } from "./certificate-authority.js";

export async function createSigningRequest(pair: PemKeyPair, commonName: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${escapeName(commonName)}`,
    keys: pair.keys,
    signingAlgorithm,
  });
  return csr.toString("pem");
}

/** The largest signing request accepted: a P-256 one is about 400 bytes of PEM. */
export const maxSigningRequestBytes = 8 * 1024;

/**
 * The public key of a PEM signing request whose self-signature verifies.
 * Throws a message fit for the caller when it is not one, or is not ECDSA P-256.
 */
export async function signingRequestKey(pem: string): Promise<CryptoKey> {
  if (Buffer.byteLength(pem) > maxSigningRequestBytes) throw new Error("the signing request is too large");
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw new Error("the signing request is not a PEM PKCS#10 request");
  }
  let valid = false;
  let key: CryptoKey;
  try {
    key = await csr.publicKey.export(signingAlgorithm, ["verify"]);
    valid = await csr.verify();
  } catch {
    throw new Error("the signing request's key must be ECDSA P-256");
  }
  if (!valid) throw new Error("the signing request's signature does not verify");
  return key;
}

/** Whether a certificate (PEM) is for the given key pair's public key. */
export async function certificateMatchesKey(certificatePem: string, pair: PemKeyPair): Promise<boolean> {
  const certificate = new x509.X509Certificate(certificatePem);
  const theirs = Buffer.from(await certificate.publicKey.rawData);
  const spki = await subtle.exportKey("spki", pair.keys.publicKey);
  return theirs.equals(Buffer.from(spki));
}
