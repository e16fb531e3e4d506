import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { FileType as E2bFileType, type EntryInfoSchema } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import { FileType, type EntryInfo } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";

export type E2bEntry = MessageInitShape<typeof EntryInfoSchema>;

/** Wrenn's file types as E2B names them; "other" (devices, pipes) has no E2B word and stays unspecified, which the SDK skips in listings. */
export function e2bFileType(type: FileType): E2bFileType {
  switch (type) {
    case FileType.FILE_TYPE_FILE:
      return E2bFileType.FILE;
    case FileType.FILE_TYPE_DIRECTORY:
      return E2bFileType.DIRECTORY;
    case FileType.FILE_TYPE_SYMLINK:
      return E2bFileType.SYMLINK;
    default:
      return E2bFileType.UNSPECIFIED;
  }
}

/**
 * The mode as E2B's envd (Go) prints it with os.FileMode.String(): a type
 * letter ("-", "d", "L" for a symlink) then rwx triplets, e.g. "-rw-r--r--".
 */
export function permissionsText(type: FileType, mode: number): string {
  const lead = type === FileType.FILE_TYPE_DIRECTORY ? "d" : type === FileType.FILE_TYPE_SYMLINK ? "L" : type === FileType.FILE_TYPE_OTHER ? "?" : "-";
  let bits = "";
  for (let shift = 6; shift >= 0; shift -= 3) {
    const triplet = (mode >> shift) & 7;
    bits += (triplet & 4 ? "r" : "-") + (triplet & 2 ? "w" : "-") + (triplet & 1 ? "x" : "-");
  }
  return lead + bits;
}

/** A Wrenn EntryInfo as the SDK's EntryInfo: the mode keeps Wrenn's permission bits (as E2B's envd reports them). */
export function e2bEntry(entry: EntryInfo): E2bEntry {
  return {
    name: entry.name,
    type: e2bFileType(entry.type),
    path: entry.path,
    size: BigInt(entry.size),
    mode: entry.mode,
    permissions: permissionsText(entry.type, entry.mode),
    owner: entry.owner,
    group: entry.group,
    modifiedTime: entry.modifiedAt ? timestampFromDate(entry.modifiedAt) : undefined,
    symlinkTarget: entry.type === FileType.FILE_TYPE_SYMLINK ? entry.symlinkTarget : undefined,
    metadata: {},
  };
}
