import type { FilesystemServiceImplementation } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import type { FsDeps } from "./common.js";
import { createListDirHandler } from "./list-dir.js";
import { createMakeDirHandler } from "./make-dir.js";
import { createMoveHandler } from "./move.js";
import { createReadFileHandler } from "./read-file.js";
import { createRemoveHandler } from "./remove.js";
import { createStatHandler } from "./stat.js";
import { createWatchDirHandler } from "./watch-dir.js";
import { createWriteFileHandler } from "./write-file.js";

export function createFilesystemService(deps: FsDeps): FilesystemServiceImplementation {
  return {
    stat: createStatHandler(deps),
    listDir: createListDirHandler(deps),
    makeDir: createMakeDirHandler(deps),
    move: createMoveHandler(deps),
    remove: createRemoveHandler(deps),
    readFile: createReadFileHandler(deps),
    writeFile: createWriteFileHandler(deps),
    watchDir: createWatchDirHandler(deps),
  };
}
