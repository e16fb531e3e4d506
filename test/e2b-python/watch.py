"""watch_dir: the sync client's polling form (CreateWatcher, get_new_events) and the
async client's streaming form (on_event), seeing a create, a write and a remove."""
import asyncio
import time

from both_clients import a, run


async def make_changes(sandbox, folder):
    await a(sandbox.files.write(f"{folder}/new.txt", "first"))
    await a(sandbox.commands.run(f"echo more >> {folder}/new.txt; mkdir {folder}/sub"))
    await a(sandbox.files.remove(f"{folder}/new.txt"))


async def events_sync(sandbox, folder):
    handle = sandbox.files.watch_dir(folder)
    await make_changes(sandbox, folder)
    events = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(e.type.value == "remove" for e in events):
        events.extend(handle.get_new_events())
        time.sleep(0.2)
    handle.stop()
    return events


async def events_async(sandbox, folder):
    events = []
    handle = await sandbox.files.watch_dir(folder, on_event=events.append)
    await make_changes(sandbox, folder)
    for _ in range(50):
        if any(e.type.value == "remove" for e in events):
            break
        await asyncio.sleep(0.2)
    await handle.stop()
    return events


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, timeout=120))
    folder = f"/tmp/watched-{mode}"
    try:
        await a(sandbox.files.make_dir(folder))
        events = await (events_sync if mode == "sync" else events_async)(sandbox, folder)
        kinds = {}
        for event in events:
            kinds.setdefault(event.name, set()).add(event.type.value)
        return {name: sorted(types) for name, types in kinds.items()}
    finally:
        await a(sandbox.kill())


run(body)
