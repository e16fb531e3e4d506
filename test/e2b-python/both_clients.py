"""Runs one script body with either client, so each script covers sync and async alike.

A script calls `run(body)`; the first argument picks the client ("sync" is
`Sandbox`, "async" is `AsyncSandbox`). The body awaits every SDK call through
`a()`, which passes the sync client's plain values through, and returns what
it saw, printed as one JSON line for test/integration/e2b-python.test.ts.
"""
import asyncio
import inspect
import json
import os
import sys
import uuid

from e2b import AsyncSandbox, Sandbox


async def a(value):
    """The value of an SDK call: awaited for the async client, as it is for the sync one."""
    return await value if inspect.isawaitable(value) else value


def run(body) -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "sync"
    if mode not in ("sync", "async"):
        raise SystemExit(f"unknown client {mode!r}: sync or async")
    client = AsyncSandbox if mode == "async" else Sandbox
    # A tag unique to this run, so metadata filters see only this run's sandboxes.
    tag = f"{mode}-{uuid.uuid4().hex[:8]}"
    print(json.dumps(asyncio.run(body(client, mode, tag))), flush=True)
    # Leaves without interpreter teardown: the SDK's Rust HTTP client (pyqwest)
    # now and then aborts there once an async stream has been used, after the
    # script's work is done and printed.
    os._exit(0)
