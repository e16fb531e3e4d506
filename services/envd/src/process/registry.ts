import { errors } from "@wrenn/shared";
import type { ManagedProcess } from "./process-spec.js";

/** A pid or a tag; a tag may name several processes. */
export type Selector = { pid: number } | { tag: string };

/**
 * The processes envd has started and that have not ended yet, so List,
 * Connect, input and signals can find them, and shutdown can kill them.
 */
export interface ProcessRegistry {
  add(proc: ManagedProcess): void;
  remove(pid: number): void;
  list(): ManagedProcess[];
  /** Every process the selector names (all of a tag's, never just the first); NOT_FOUND when none. */
  select(selector: Selector): ManagedProcess[];
  /** Exactly one process; a tag naming several is FAILED_PRECONDITION. */
  selectOne(selector: Selector): ManagedProcess;
  /** SIGTERM to every group, then SIGKILL to those still there after `graceMs`. */
  killAll(graceMs: number): Promise<void>;
}

export function createProcessRegistry(): ProcessRegistry {
  const byPid = new Map<number, ManagedProcess>();

  function select(selector: Selector): ManagedProcess[] {
    if ("pid" in selector) {
      const p = byPid.get(selector.pid);
      if (!p) throw errors.notFound(`no running process with pid ${selector.pid}`);
      return [p];
    }
    const found = [...byPid.values()].filter((p) => p.tag === selector.tag);
    if (found.length === 0) throw errors.notFound(`no running process with tag "${selector.tag}"`);
    return found;
  }

  return {
    add: (proc) => void byPid.set(proc.pid, proc),
    remove: (pid) => void byPid.delete(pid),
    list: () => [...byPid.values()],
    select,
    selectOne(selector) {
      const found = select(selector);
      if (found.length > 1) {
        const pids = found.map((p) => p.pid).join(", ");
        throw errors.failedPrecondition(`tag "${(selector as { tag: string }).tag}" names ${found.length} processes (pids ${pids}); select one by pid`);
      }
      return found[0];
    },
    async killAll(graceMs) {
      if (byPid.size === 0) return;
      for (const p of byPid.values()) p.signalGroup("SIGTERM");
      const deadline = Date.now() + graceMs;
      while (byPid.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const p of byPid.values()) p.signalGroup("SIGKILL");
    },
  };
}
