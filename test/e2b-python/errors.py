"""Errors arrive as the SDK's own types: not found (a gone sandbox, a missing file,
an unknown pid), authentication (a wrong key), timeout (a command past its limit)."""
from e2b import AuthenticationException, NotFoundException, TimeoutException

from both_clients import a, run


async def error_of(call):
    """The SDK error class a call raised (None if it succeeded), checked against the documented bases."""
    try:
        await a(call())
        return None
    except (NotFoundException, AuthenticationException, TimeoutException) as err:
        bases = [base.__name__ for base in (NotFoundException, AuthenticationException, TimeoutException) if isinstance(err, base)]
        return bases[0]


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, timeout=120))
    seen = {}
    try:
        seen["missing_file"] = await error_of(lambda: sandbox.files.read("/no/such/file"))
        seen["unknown_pid"] = await error_of(lambda: sandbox.commands.connect(999999))
        seen["command_timeout"] = await error_of(lambda: sandbox.commands.run("sleep 30", timeout=1))
        seen["wrong_key_create"] = await error_of(lambda: client.create(api_key="e2b_" + "0" * 64))
        seen["wrong_key_list"] = await error_of(lambda: client.list(api_key="e2b_" + "0" * 64).next_items())
    finally:
        await a(sandbox.kill())
    seen["gone_get_info"] = await error_of(lambda: client.get_info(sandbox.sandbox_id))
    seen["gone_connect"] = await error_of(lambda: client.connect(sandbox.sandbox_id))
    seen["unknown_id_get_info"] = await error_of(lambda: client.get_info("nosuchsandbox0000000"))
    return seen


run(body)
