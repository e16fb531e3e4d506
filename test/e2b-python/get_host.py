"""get_host(port): a web server started in the sandbox as a background command,
reached from outside through the port proxy at the host the SDK computes."""
import asyncio
import urllib.request

from both_clients import a, run


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except OSError as err:
        return None, str(err)


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, timeout=120))
    port = 8000 if mode == "sync" else 8001
    seen = {}
    try:
        await a(sandbox.files.write(f"/tmp/site/index.html", f"served to the {mode} client"))
        server = await a(sandbox.commands.run(f"cd /tmp/site && python3 -m http.server {port}", background=True))
        host = sandbox.get_host(port)
        seen["host_form"] = host.replace(sandbox.sandbox_id, "<id>").split(":")[0]
        status, text = None, ""
        for _ in range(50):  # the server needs a moment to listen
            status, text = await asyncio.to_thread(fetch, f"http://{host}/index.html")
            if status == 200:
                break
            await asyncio.sleep(0.2)
        seen["answer"] = {"status": status, "body": text}
        await a(server.kill())
        await a(server.disconnect())
    finally:
        await a(sandbox.kill())
    return seen


run(body)
