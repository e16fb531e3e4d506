"""The E2B_DOMAIN form: only E2B_DOMAIN and E2B_API_KEY set, so every call is https to
api.<domain> and 49983-<id>.<domain> (the CA trusted through SSL_CERT_FILE).

Creates a sandbox, runs a command, writes and reads a file, starts a web
server in the sandbox and fetches a page from it at https://<get_host(port)>,
kills the sandbox; prints one JSON line.
"""
import json
import sys
import time
import urllib.error
import urllib.request

from e2b import Sandbox

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
sandbox = Sandbox.create(metadata={"suite": "python-domain"}, timeout=300)
seen = {"sandbox_id": sandbox.sandbox_id}
try:
    seen["stdout"] = sandbox.commands.run("echo over https").stdout
    sandbox.files.write("/tmp/py-domain/page/index.html", "served in the sandbox")
    seen["read"] = sandbox.files.read("/tmp/py-domain/page/index.html")
    sandbox.commands.run(f"python3 -m http.server {port} --bind 127.0.0.1 --directory /tmp/py-domain/page", background=True)
    seen["host"] = sandbox.get_host(port)
    # As an E2B program does: no credential (E2B sandboxes' ports are public by default).
    # The server takes a moment to bind; until then the proxy answers 502.
    page = None
    for _ in range(50):
        try:
            with urllib.request.urlopen(f"https://{seen['host']}/", timeout=10) as res:
                page = {"status": res.status, "body": res.read().decode()}
                break
        except urllib.error.HTTPError as err:
            page = {"status": err.code, "body": err.read().decode(errors="replace")}
            if err.code not in (502, 503):
                break
        except OSError as err:
            page = {"error": repr(err)}
        time.sleep(0.2)
    seen["page"] = page
finally:
    seen["killed"] = sandbox.kill()
print(json.dumps(seen))
