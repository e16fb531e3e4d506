"""pty: create, send input, resize, kill; the terminal's output read back."""
import asyncio

from e2b import CommandExitException, PtySize

from both_clients import a, run


async def open_pty(sandbox, mode, size, sink):
    if mode == "sync":
        return sandbox.pty.create(size)
    return await sandbox.pty.create(size, on_data=sink.append)


async def wait_pty(handle, mode, sink):
    """The exit code once the shell ends, with its output gathered into `sink`."""
    try:
        result = handle.wait(on_pty=sink.append) if mode == "sync" else await handle.wait()
        return result.exit_code
    except CommandExitException as err:
        return err.exit_code


async def wait_for_file(sandbox, path, seconds=15):
    """Until `path` exists and is not empty (the shell wrote it)."""
    for _ in range(int(seconds / 0.1)):
        if await a(sandbox.files.exists(path)) and (await a(sandbox.files.read(path))).strip():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{path} never appeared")


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, timeout=120))
    seen = {}
    try:
        output = []
        shell = await open_pty(sandbox, mode, PtySize(rows=24, cols=80), output)
        # Each size goes to a file, and the resize waits for the first: input and resize are separate
        # calls, so a resize sent at once could reach the terminal before the shell ran the first stty.
        await a(sandbox.pty.send_stdin(shell.pid, b"stty size > /tmp/pty-size-1; echo tty-$((6*7))\n"))
        await wait_for_file(sandbox, "/tmp/pty-size-1")
        await a(sandbox.pty.resize(shell.pid, PtySize(rows=40, cols=132)))
        await a(sandbox.pty.send_stdin(shell.pid, b"stty size > /tmp/pty-size-2; exit 5\n"))
        seen["exit_code"] = await wait_pty(shell, mode, output)
        text = b"".join(output).decode(errors="replace")
        sizes = [await a(sandbox.files.read(f"/tmp/pty-size-{n}")) for n in (1, 2)]
        seen["sizes"] = [size.strip() for size in sizes]
        seen["echoed_arithmetic"] = "tty-42" in text

        idle_output = []
        idle = await open_pty(sandbox, mode, PtySize(rows=24, cols=80), idle_output)
        seen["kill"] = await a(sandbox.pty.kill(idle.pid))
        await wait_pty(idle, mode, idle_output)
        seen["listed_after_kill"] = idle.pid in [p.pid for p in await a(sandbox.commands.list())]
    finally:
        await a(sandbox.kill())
    return seen


run(body)
