import { signingAlgorithm, subtle, type CryptoKeyPair } from "./x509.js";

/** A key pair with its private half in PKCS#8 PEM, the form TLS stacks load. */
export interface PemKeyPair {
  keys: CryptoKeyPair;
  privateKeyPem: string;
}

export async function generateKeyPair(): Promise<PemKeyPair> {
  const keys = (await subtle.generateKey(signingAlgorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  return { keys, privateKeyPem: toPem("PRIVATE KEY", await subtle.exportKey("pkcs8", keys.privateKey)) };
}

/** Loads a PKCS#8 PEM private key (ECDSA P-256) with its public half. */
export async function importKeyPair(privateKeyPem: string): Promise<PemKeyPair> {
  const der = fromPem("PRIVATE KEY", privateKeyPem);
  const privateKey = await subtle.importKey("pkcs8", der, signingAlgorithm, true, ["sign"]);
  // WebCrypto derives no public key from a private one; the JWK carries both halves.
  const jwk = await subtle.exportKey("jwk", privateKey);
  const publicKey = await subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, signingAlgorithm, true, ["verify"]);
  return { keys: { privateKey, publicKey }, privateKeyPem };
}

export function toPem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${base64}${base64.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

export function fromPem(label: string, pem: string): ArrayBuffer {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!match) throw new Error(`not a PEM ${label.toLowerCase()}`);
  const bytes = Buffer.from(match[1].replace(/\s+/g, ""), "base64");
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
