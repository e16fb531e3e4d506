"""Pause, then connect (which resumes): a file written before and a background
process started before are both still there afterwards."""
from both_clients import a, run


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, timeout=300))
    seen = {}
    try:
        await a(sandbox.files.write("/tmp/kept.txt", f"kept across pause ({mode})"))
        # A process that keeps running and keeps its state: it counts ticks into a file.
        worker = await a(sandbox.commands.run("while true; do echo tick >> /tmp/ticks; sleep 0.2; done", background=True))

        seen["paused"] = await a(sandbox.pause())
        seen["state_while_paused"] = (await a(client.get_info(sandbox.sandbox_id))).state.value

        resumed = await a(client.connect(sandbox.sandbox_id, timeout=300))
        seen["same_id"] = resumed.sandbox_id == sandbox.sandbox_id
        seen["state_after_connect"] = (await a(resumed.get_info())).state.value
        seen["file"] = await a(resumed.files.read("/tmp/kept.txt"))
        seen["worker_listed"] = worker.pid in [p.pid for p in await a(resumed.commands.list())]
        # Counted in the sandbox: a download of a file that grows meanwhile is cut on purpose.
        counted = await a(resumed.commands.run("a=$(wc -l < /tmp/ticks); sleep 1; b=$(wc -l < /tmp/ticks); echo $((b > a))"))
        seen["worker_still_ticking"] = counted.stdout.strip() == "1"
    finally:
        # Stops the SDK's reader of the worker's stream before the loop closes.
        await a(worker.disconnect())
        seen["killed"] = await a(client.kill(sandbox.sandbox_id))
    return seen


run(body)
