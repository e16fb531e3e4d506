"""The async client (AsyncSandbox) on the same calls as sync_sandbox.py, one JSON line out."""
import asyncio
import json

from e2b import AsyncSandbox, CommandExitException


async def main() -> dict:
    sandbox = await AsyncSandbox.create(metadata={"suite": "python-async"}, envs={"GREETING": "hello from async"}, timeout=300)
    seen = {"sandbox_id": sandbox.sandbox_id}
    try:
        ran = await sandbox.commands.run('echo "$GREETING"; echo to-stderr >&2')
        seen["run"] = {"stdout": ran.stdout, "stderr": ran.stderr, "exit_code": ran.exit_code}
        try:
            await sandbox.commands.run("exit 3")
            seen["failed"] = None
        except CommandExitException as err:
            seen["failed"] = {"type": type(err).__name__, "exit_code": err.exit_code}

        await sandbox.files.write("/tmp/py-async/notes.txt", "written by the async client")
        seen["read"] = await sandbox.files.read("/tmp/py-async/notes.txt")
        seen["listed"] = sorted(entry.name for entry in await sandbox.files.list("/tmp/py-async"))

        info = await sandbox.get_info()
        seen["info"] = {"sandbox_id": info.sandbox_id, "metadata": info.metadata, "state": str(info.state.value if hasattr(info.state, "value") else info.state)}
    finally:
        seen["killed"] = await sandbox.kill()
        seen["running_after_kill"] = await sandbox.is_running()
    return seen


print(json.dumps(asyncio.run(main())))
