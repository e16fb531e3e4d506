import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ClientError, Status } from "nice-grpc-common";
import { FileType as E2bFileType } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import { FileEventType, FileType, type FileEvent } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { e2bEntry, permissionsText } from "../../../src/e2b/envd/filesystem-entry.js";
import { toConnectError } from "../../../src/e2b/envd/filesystem-errors.js";
import { asE2bWrites } from "../../../src/e2b/envd/filesystem-watch.js";

const event = (name: string, type: FileEventType): FileEvent => ({ name, path: `/w/${name}`, type });

describe("E2B entry mapping", () => {
  it("prints permissions as E2B's envd (Go's FileMode.String)", () => {
    expect(permissionsText(FileType.FILE_TYPE_FILE, 0o644)).toBe("-rw-r--r--");
    expect(permissionsText(FileType.FILE_TYPE_DIRECTORY, 0o755)).toBe("drwxr-xr-x");
    expect(permissionsText(FileType.FILE_TYPE_SYMLINK, 0o777)).toBe("Lrwxrwxrwx");
    expect(permissionsText(FileType.FILE_TYPE_FILE, 0o4750)).toBe("-rwxr-x---");
  });

  it("maps every field the SDK reads", () => {
    const modifiedAt = new Date("2026-12-02T10:00:00.250Z");
    const entry = e2bEntry({ name: "a", path: "/a", type: FileType.FILE_TYPE_SYMLINK, size: 7, mode: 0o777, owner: "user", group: "user", modifiedAt, symlinkTarget: "/b" });
    expect(entry).toMatchObject({ name: "a", path: "/a", type: E2bFileType.SYMLINK, size: 7n, mode: 0o777, permissions: "Lrwxrwxrwx", owner: "user", group: "user", symlinkTarget: "/b" });
    expect(entry.modifiedTime).toMatchObject({ seconds: BigInt(Math.floor(modifiedAt.getTime() / 1000)), nanos: 250_000_000 });
    // A regular file has no symlink target on the wire (the SDK shows undefined, as from E2B).
    expect(e2bEntry({ name: "f", path: "/f", type: FileType.FILE_TYPE_FILE, size: 0, mode: 0o644, owner: "", group: "", modifiedAt: undefined, symlinkTarget: "" }).symlinkTarget).toBeUndefined();
    expect(e2bEntry({ name: "p", path: "/p", type: FileType.FILE_TYPE_OTHER, size: 0, mode: 0o644, owner: "", group: "", modifiedAt: undefined, symlinkTarget: "" }).type).toBe(E2bFileType.UNSPECIFIED);
  });
});

describe("watch events as E2B's envd reports a write", () => {
  it("hides the atomic write's temporary file and reports create + write of the file", () => {
    const replaced = new Set<string>();
    const seen = [
      event("sub/.w.txt.wrenn-0123456789ab.tmp", FileEventType.FILE_EVENT_TYPE_CREATE),
      event("sub/.w.txt.wrenn-0123456789ab.tmp", FileEventType.FILE_EVENT_TYPE_WRITE),
      event("sub/.w.txt.wrenn-0123456789ab.tmp", FileEventType.FILE_EVENT_TYPE_RENAME),
      event("sub/w.txt", FileEventType.FILE_EVENT_TYPE_CREATE),
      event("sub/w.txt", FileEventType.FILE_EVENT_TYPE_REMOVE),
    ].flatMap((e) => asE2bWrites(e, replaced));
    expect(seen.map((e) => [e.name, e.type])).toEqual([
      ["sub/w.txt", FileEventType.FILE_EVENT_TYPE_CREATE],
      ["sub/w.txt", FileEventType.FILE_EVENT_TYPE_WRITE],
      ["sub/w.txt", FileEventType.FILE_EVENT_TYPE_REMOVE],
    ]);
    expect(replaced.size).toBe(0);
  });

  it("passes other changes as they are (a create is only followed by a write after a replace)", () => {
    const replaced = new Set<string>();
    expect(asE2bWrites(event("new.txt", FileEventType.FILE_EVENT_TYPE_CREATE), replaced)).toHaveLength(1);
    expect(asE2bWrites(event(".hidden.tmp", FileEventType.FILE_EVENT_TYPE_CREATE), replaced)).toHaveLength(1);
    expect(asE2bWrites(event("x.wrenn-zz.tmp", FileEventType.FILE_EVENT_TYPE_WRITE), replaced)).toHaveLength(1);
  });
});

describe("errors as Connect errors", () => {
  it("keeps the public call's code and message", () => {
    const notFound = toConnectError(new ClientError("/wrenn.api.v1.FilesystemService/StatFile", Status.NOT_FOUND, "stat /x: no such file or directory"));
    expect(notFound.code).toBe(Code.NotFound);
    expect(notFound.rawMessage).toBe("stat /x: no such file or directory");
    expect(toConnectError(new ClientError("/m", Status.ALREADY_EXISTS, "exists")).code).toBe(Code.AlreadyExists);
    const own = new ConnectError("mine", Code.ResourceExhausted);
    expect(toConnectError(own)).toBe(own);
  });

  it("says nothing of an unexpected failure", () => {
    const err = toConnectError(new Error("secret internals at /srv/x"));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal error");
  });
});
