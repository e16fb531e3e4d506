// The E2B_DOMAIN form with the JS SDK: only E2B_DOMAIN and E2B_API_KEY set, so every call is
// https to api.<domain> and 49983-<id>.<domain>, the local CA trusted by NODE_EXTRA_CA_CERTS
// (read when node starts: why test/harness/e2b-tls.ts runs this in a node of its own).
// Creates a sandbox, runs a command, writes and reads a file, fetches a page from a web server
// in the sandbox at https://<getHost(port)>, kills the sandbox; prints one JSON line.
import { Sandbox } from "e2b";

const port = Number(process.argv[2] ?? 8000);
const sandbox = await Sandbox.create({ metadata: { suite: "js-domain" }, timeoutMs: 300_000 });
const seen = { sandboxId: sandbox.sandboxId };
try {
  seen.stdout = (await sandbox.commands.run("echo over https")).stdout;
  await sandbox.files.write("/tmp/js-domain/page/index.html", "served in the sandbox");
  seen.read = await sandbox.files.read("/tmp/js-domain/page/index.html");
  await sandbox.commands.run(`python3 -m http.server ${port} --bind 127.0.0.1 --directory /tmp/js-domain/page`, { background: true });
  seen.host = sandbox.getHost(port);
  // As an E2B program does: no credential. Until the server binds, the proxy answers 502.
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const res = await fetch(`https://${seen.host}/`);
      seen.page = { status: res.status, body: await res.text() };
      if (res.status !== 502 && res.status !== 503) break;
    } catch (err) {
      seen.page = { error: String(err?.cause ?? err) };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
} finally {
  seen.killed = await sandbox.kill();
}
console.log(JSON.stringify(seen));
