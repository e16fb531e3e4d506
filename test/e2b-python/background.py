"""Background commands: list, connect by pid, stdin (send_stdin, stream_input, close_stdin), kill."""
from both_clients import a, run


async def stream_lines(sandbox, mode, pid, lines):
    """stdin through the StreamInput client stream, as each client offers it."""
    if mode == "sync":
        sandbox.commands.stream_input(pid, iter(lines))
        return
    handle = sandbox.commands.stream_input(pid)
    for line in lines:
        await handle.send(line)
    await handle.close()


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, timeout=120))
    seen = {}
    try:
        reader = await a(sandbox.commands.run("while read line; do echo got:$line; done; echo eof", background=True, stdin=True))
        sleeper = await a(sandbox.commands.run("sleep 600", background=True))
        listed = {p.pid: p for p in await a(sandbox.commands.list())}
        seen["listed"] = {
            "reader": reader.pid in listed,
            "sleeper_cmd": [listed[sleeper.pid].cmd, *listed[sleeper.pid].args] if sleeper.pid in listed else None,
        }

        await a(sandbox.commands.send_stdin(reader.pid, "one\n"))
        await a(reader.send_stdin("two\n"))
        await stream_lines(sandbox, mode, reader.pid, ["three\n", "four\n"])
        # A second handle by pid, beside the first; both see the exit that closing stdin brings.
        joined = await a(sandbox.commands.connect(reader.pid))
        await a(sandbox.commands.close_stdin(reader.pid))
        result = await a(reader.wait())
        seen["reader"] = {"exit_code": result.exit_code, "stdout": result.stdout.splitlines()}
        seen["joined"] = {"exit_code": (await a(joined.wait())).exit_code}

        seen["kill"] = await a(sandbox.commands.kill(sleeper.pid))
        await a(sleeper.disconnect())
        seen["sleeper_listed_after_kill"] = sleeper.pid in [p.pid for p in await a(sandbox.commands.list())]
        seen["kill_again"] = await a(sandbox.commands.kill(sleeper.pid))
    finally:
        await a(sandbox.kill())
    return seen


run(body)
