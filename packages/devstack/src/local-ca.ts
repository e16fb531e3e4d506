import { execFile } from "node:child_process";
import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** PEM files of a local certificate authority and the server certificate it signed. */
export interface LocalTlsFiles {
  /** The CA certificate: what a client trusts (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE). */
  caFile: string;
  /** The server certificate, for `*.<domain>`, `<domain>`, `localhost` and 127.0.0.1. */
  certFile: string;
  keyFile: string;
}

/**
 * A CA of its own and a wildcard server certificate for `domain`, made with
 * openssl (node:crypto cannot sign X.509 on Node 20) in `dir`. Files already
 * there are kept, so a restarted `./wrenn up` presents the certificate its
 * clients already trust. P-256 keys, 90 days; the CA signs nothing else (its
 * key stays in `dir`, made mode 0700).
 */
export async function ensureLocalTls(dir: string, domain: string): Promise<LocalTlsFiles> {
  const files: LocalTlsFiles = { caFile: join(dir, "ca.pem"), certFile: join(dir, "server.pem"), keyFile: join(dir, "server.key") };
  if (await allExist([files.caFile, files.certFile, files.keyFile, join(dir, `domain-${domain}`)])) return files;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, "ca.key");
  const csr = join(dir, "server.csr");
  const extensions = join(dir, "server.ext");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"];
  await openssl([
    "req", "-x509", ...ec, "-keyout", caKey, "-out", files.caFile, "-days", "90",
    "-subj", `/CN=Wrenn local CA for ${domain}`,
    "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await openssl(["req", ...ec, "-keyout", files.keyFile, "-out", csr, "-subj", `/CN=*.${domain}`]);
  // rustls (the Python SDK's HTTP client) and Node both want a leaf that says it is one and serves TLS.
  await writeFile(
    extensions,
    [
      `subjectAltName=DNS:*.${domain},DNS:${domain},DNS:localhost,IP:127.0.0.1`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  await openssl([
    "x509", "-req", "-in", csr, "-CA", files.caFile, "-CAkey", caKey, "-set_serial", `0x${Date.now().toString(16)}`,
    "-days", "90", "-extfile", extensions, "-out", files.certFile,
  ]);
  // Marks which domain the files are for: another domain makes new ones.
  await writeFile(join(dir, `domain-${domain}`), "");
  return files;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args, { timeout: 30_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${(err as Error).message}${stderr ? `\n${stderr}` : ""}`);
  }
}

async function allExist(paths: string[]): Promise<boolean> {
  try {
    await Promise.all(paths.map((path) => access(path)));
    return true;
  } catch {
    return false;
  }
}
