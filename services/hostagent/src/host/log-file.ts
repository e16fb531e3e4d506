import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import pino from "pino";

/**
 * The agent's log file (DATA_DIR/logs/hostagent.log). Log rotation renames
 * the file and sends SIGHUP; we then reopen the same path, so new lines go
 * to a new file and nothing is lost in between (SonicBoom buffers).
 */
export interface LogFile {
  stream: pino.DestinationStream;
  reopen(): void;
  close(): void;
}

export function openLogFile(path: string): LogFile {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const stream = pino.destination({ dest: path, mkdir: true, sync: false, append: true });
  return {
    stream,
    reopen: () => stream.reopen(),
    close: () => stream.flushSync?.(),
  };
}
