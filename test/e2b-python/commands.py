"""commands.run: stdout, stderr, exit codes and CommandExitException, envs, cwd, user, timeouts."""
from e2b import CommandExitException, TimeoutException

from both_clients import a, run


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, envs={"FROM_SANDBOX": "sandbox-wide"}, timeout=120))
    seen = {}
    try:
        ran = await a(sandbox.commands.run("echo out; echo err >&2"))
        seen["output"] = {"stdout": ran.stdout, "stderr": ran.stderr, "exit_code": ran.exit_code}
        try:
            await a(sandbox.commands.run("echo partial; echo failing >&2; exit 7"))
            seen["failed"] = None
        except CommandExitException as err:
            seen["failed"] = {"exit_code": err.exit_code, "stdout": err.stdout, "stderr": err.stderr}
        ran = await a(sandbox.commands.run('echo "$FROM_SANDBOX $FROM_CALL"', envs={"FROM_CALL": "call-only"}))
        seen["envs"] = ran.stdout.strip()
        ran = await a(sandbox.commands.run("pwd", cwd="/tmp"))
        seen["cwd"] = ran.stdout.strip()
        ran = await a(sandbox.commands.run("whoami; echo $HOME", user="root"))
        seen["root"] = ran.stdout.split()
        try:
            await a(sandbox.commands.run("sleep 30", timeout=1))
            seen["timeout"] = None
        except TimeoutException as err:
            seen["timeout"] = type(err).__name__
        streamed = []
        await a(sandbox.commands.run("for i in 1 2 3; do echo line$i; done", on_stdout=lambda line: streamed.append(line)))
        seen["on_stdout"] = "".join(streamed)
    finally:
        await a(sandbox.kill())
    return seen


run(body)
