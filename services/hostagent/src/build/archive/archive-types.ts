/** One entry of a build archive, after validation (see build-archive.ts). */
export interface ArchiveEntry {
  /** Normalized, relative, "/"-separated, no "./"; "." only for the synthetic archive root. */
  path: string;
  type: "file" | "dir" | "symlink";
  /** Permission bits (0o7777). */
  mode: number;
  /** Content bytes (files); 0 otherwise. */
  size: number;
  /** Symlinks: the target as stored (relative, staying inside the archive). */
  linkTarget?: string;
  /** Files: sha256 (hex) of the content. */
  sha256?: string;
}

/** An opened, validated archive. read() streams a file's content from disk (never buffered whole). */
export interface BuildArchive {
  /** sha256 (hex) of the archive file as uploaded. */
  readonly sha256: string;
  readonly bytes: number;
  entries(): ArchiveEntry[];
  read(entry: ArchiveEntry): NodeJS.ReadableStream;
  close(): Promise<void>;
}

export interface CopyItem {
  entry: ArchiveEntry;
  /** Absolute path in the guest. */
  target: string;
}

export interface CopyPlan {
  /** Parents before children; the builder creates the destination's own parents (mkdir -p). */
  items: CopyItem[];
  /** Hash of targets, types, modes, link targets and contents: the COPY step's cache input. */
  sha256: string;
}

/** An archive that cannot be used, or a COPY that cannot be planned; the message names the entry. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArchiveError";
  }
}
