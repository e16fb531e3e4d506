import type { FilesystemServiceImplementation } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { listDirHandler } from "./list-dir.js";
import { makeDirHandler } from "./make-dir.js";
import { moveFileHandler } from "./move-file.js";
import { readFileHandler } from "./read-file.js";
import { removeFileHandler } from "./remove-file.js";
import { statFileHandler } from "./stat-file.js";
import { watchDirHandler } from "./watch-dir.js";
import { writeFileHandler } from "./write-file.js";

export function createFilesystemService(resolve: RelayResolver): FilesystemServiceImplementation {
  return {
    statFile: statFileHandler(resolve),
    listDir: listDirHandler(resolve),
    makeDir: makeDirHandler(resolve),
    moveFile: moveFileHandler(resolve),
    removeFile: removeFileHandler(resolve),
    readFile: readFileHandler(resolve),
    writeFile: writeFileHandler(resolve),
    watchDir: watchDirHandler(resolve),
  };
}
