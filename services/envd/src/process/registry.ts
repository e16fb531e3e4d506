/**
 * The processes envd has started and that are still running, so shutdown can
 * kill them and later RPCs (list, connect, signal) can find them by pid or tag.
 */
export interface RunningProcess {
  pid: number;
  tag: string;
  cmd: string;
  startedAt: Date;
  /** Signals the whole process group. */
  signalGroup(signal: NodeJS.Signals): void;
}

export interface ProcessRegistry {
  add(proc: RunningProcess): void;
  remove(pid: number): void;
  list(): RunningProcess[];
  /** Every process with this tag (tags are not unique). */
  byTag(tag: string): RunningProcess[];
  /** SIGTERM to every group, then SIGKILL to those still there after `graceMs`. */
  killAll(graceMs: number): Promise<void>;
}

export function createProcessRegistry(): ProcessRegistry {
  const byPid = new Map<number, RunningProcess>();
  return {
    add: (proc) => void byPid.set(proc.pid, proc),
    remove: (pid) => void byPid.delete(pid),
    list: () => [...byPid.values()],
    byTag: (tag) => [...byPid.values()].filter((p) => p.tag === tag),
    async killAll(graceMs) {
      if (byPid.size === 0) return;
      for (const p of byPid.values()) p.signalGroup("SIGTERM");
      const deadline = Date.now() + graceMs;
      while (byPid.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const p of byPid.values()) p.signalGroup("SIGKILL");
    },
  };
}
