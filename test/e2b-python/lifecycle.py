"""Sandbox calls: create with metadata, envs and a timeout; get_info; set_timeout;
list filtered by metadata one per page; kill (True, then False for the gone one)."""
from datetime import datetime, timezone

from e2b import SandboxQuery

from both_clients import a, run


def seconds_left(info) -> int:
    return round((info.end_at - datetime.now(timezone.utc)).total_seconds())


async def body(client, mode, tag):
    created = [await a(client.create(metadata={"run": tag, "n": str(n)}, envs={"ORDER": str(n)}, timeout=120)) for n in range(3)]
    first = created[0]
    seen = {}
    try:
        info = await a(first.get_info())
        seen["info"] = {
            "sandbox_id_matches": info.sandbox_id == first.sandbox_id,
            "metadata": info.metadata,
            "state": info.state.value,
            "timeout_s": round((info.end_at - info.started_at).total_seconds()),
        }
        ran = await a(first.commands.run('echo "order $ORDER"'))
        seen["envs_stdout"] = ran.stdout

        await a(first.set_timeout(600))
        seen["seconds_left_after_set_timeout"] = seconds_left(await a(first.get_info()))

        paginator = client.list(query=SandboxQuery(metadata={"run": tag}), limit=1)
        pages = []
        while paginator.has_next:
            pages.append([s.sandbox_id for s in await a(paginator.next_items())])
        seen["page_sizes"] = [len(page) for page in pages if page]
        listed = sorted(i for page in pages for i in page)
        seen["listed_are_created"] = listed == sorted(s.sandbox_id for s in created)
        only = client.list(query=SandboxQuery(metadata={"run": tag, "n": "1"}))
        seen["filtered_two_keys"] = [s.metadata.get("n") for s in await a(only.next_items())]
    finally:
        seen["killed"] = [await a(s.kill()) for s in created]
    seen["kill_again"] = await a(client.kill(first.sandbox_id))
    return seen


run(body)
