"""files: read and write (text, bytes, a file object, a stream, several at once),
list with depth, make_dir, rename, remove, exists, get_info."""
import io

from e2b import FileType, NotFoundException

from both_clients import a, run

BINARY = bytes(range(256)) * 4


async def read_stream(sandbox, mode, path) -> bytes:
    chunks = await a(sandbox.files.read(path, format="stream"))
    if mode == "sync":
        return b"".join(chunks)
    return b"".join([chunk async for chunk in chunks])


async def body(client, mode, tag):
    sandbox = await a(client.create(metadata={"run": tag}, timeout=120))
    root = f"/tmp/files-{mode}"
    seen = {}
    try:
        written = await a(sandbox.files.write(f"{root}/text.txt", "héllo text"))
        seen["write_info"] = {"name": written.name, "path": written.path, "type": written.type.value}
        seen["text"] = await a(sandbox.files.read(f"{root}/text.txt"))
        await a(sandbox.files.write(f"{root}/bytes.bin", BINARY))
        seen["bytes_equal"] = (await a(sandbox.files.read(f"{root}/bytes.bin", format="bytes"))) == BINARY
        await a(sandbox.files.write(f"{root}/from-io.txt", io.BytesIO(b"from a file object")))
        seen["file_object"] = await a(sandbox.files.read(f"{root}/from-io.txt"))
        seen["stream_equal"] = await read_stream(sandbox, mode, f"{root}/bytes.bin") == BINARY
        many = await a(sandbox.files.write_files([
            {"path": f"{root}/many/a.txt", "data": "A"},
            {"path": f"{root}/many/deep/b.txt", "data": b"B"},
        ]))
        seen["write_files"] = sorted(w.path for w in many)
        seen["many_read"] = [await a(sandbox.files.read(f"{root}/many/a.txt")), await a(sandbox.files.read(f"{root}/many/deep/b.txt"))]

        seen["list_depth_1"] = sorted(e.name for e in await a(sandbox.files.list(f"{root}/many")))
        seen["list_depth_2"] = sorted(e.path.removeprefix(f"{root}/many/") for e in await a(sandbox.files.list(f"{root}/many", depth=2)))

        seen["make_dir"] = [await a(sandbox.files.make_dir(f"{root}/made")), await a(sandbox.files.make_dir(f"{root}/made"))]
        moved = await a(sandbox.files.rename(f"{root}/text.txt", f"{root}/made/moved.txt"))
        seen["rename"] = {"path": moved.path, "old_exists": await a(sandbox.files.exists(f"{root}/text.txt")), "new_read": await a(sandbox.files.read(f"{root}/made/moved.txt"))}

        info = await a(sandbox.files.get_info(f"{root}/bytes.bin"))
        seen["get_info"] = {"name": info.name, "type": info.type.value, "size": info.size, "path": info.path}
        seen["dir_type_is_dir"] = (await a(sandbox.files.get_info(f"{root}/made"))).type == FileType.DIR

        await a(sandbox.files.remove(f"{root}/made"))
        seen["exists_after_remove"] = await a(sandbox.files.exists(f"{root}/made"))
        try:
            await a(sandbox.files.read(f"{root}/made/moved.txt"))
            seen["read_removed"] = None
        except NotFoundException as err:
            seen["read_removed"] = type(err).__name__
    finally:
        await a(sandbox.kill())
    return seen


run(body)
