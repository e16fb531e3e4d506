import { FileType, type EntryInfo } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import type { AccessChecker } from "../../filesystem/access.js";
import type { Entry, EntryType } from "../../filesystem/entry.js";
import type { FsContext } from "../../filesystem/fs-context.js";
import type { EnvdDeps } from "../deps.js";

export interface FsDeps extends EnvdDeps {
  access: AccessChecker;
}

/** The acting user (request's or default; unknown → INVALID_ARGUMENT) and the call's signal. */
export function fsContext(deps: FsDeps, user: string | undefined, signal: AbortSignal): FsContext {
  return { user: deps.resolveActor(user), access: deps.access, names: deps.users.snapshot(), signal };
}

const fileTypes: Record<EntryType, FileType> = {
  file: FileType.FILE_TYPE_FILE,
  directory: FileType.FILE_TYPE_DIRECTORY,
  symlink: FileType.FILE_TYPE_SYMLINK,
  other: FileType.FILE_TYPE_OTHER,
};

export function toEntryInfo(entry: Entry): EntryInfo {
  return {
    name: entry.name,
    path: entry.path,
    type: fileTypes[entry.type],
    size: entry.size,
    mode: entry.mode,
    owner: entry.owner,
    group: entry.group,
    modifiedAt: entry.modifiedAt,
    symlinkTarget: entry.symlinkTarget,
  };
}
