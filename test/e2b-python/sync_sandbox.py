"""The sync client's everyday calls against Wrenn, configured only by E2B_* variables.

Creates a sandbox with metadata, env vars and a timeout, runs commands
(stdout, stderr, exit code, CommandExitException), writes, reads and lists
files, reads the sandbox's info, kills it, and prints what it saw as one JSON
line for test/integration/e2b-python.test.ts to assert on.
"""
import json

from e2b import CommandExitException, Sandbox

sandbox = Sandbox.create(metadata={"suite": "python-sync"}, envs={"GREETING": "hello from envs"}, timeout=300)
seen = {"sandbox_id": sandbox.sandbox_id}
try:
    ran = sandbox.commands.run('echo "$GREETING"; echo to-stderr >&2')
    seen["run"] = {"stdout": ran.stdout, "stderr": ran.stderr, "exit_code": ran.exit_code}
    try:
        sandbox.commands.run("exit 3")
        seen["failed"] = None
    except CommandExitException as err:
        seen["failed"] = {"type": type(err).__name__, "exit_code": err.exit_code}

    sandbox.files.write("/tmp/py-sync/notes.txt", "written by the sync client")
    seen["read"] = sandbox.files.read("/tmp/py-sync/notes.txt")
    seen["listed"] = sorted(entry.name for entry in sandbox.files.list("/tmp/py-sync"))

    info = sandbox.get_info()
    seen["info"] = {"sandbox_id": info.sandbox_id, "metadata": info.metadata, "state": str(info.state.value if hasattr(info.state, "value") else info.state)}
finally:
    seen["killed"] = sandbox.kill()
    seen["running_after_kill"] = sandbox.is_running()
print(json.dumps(seen))
