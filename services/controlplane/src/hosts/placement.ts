import { errors, quoteForMessage, toWireId } from "@wrenn/shared";
import type { HostCapacity } from "./host-store.js";

/** A reachable host as placement sees it: its size, its last heartbeat's capacity, and what it holds. */
export interface PlacementCandidate {
  hostId: string;
  cpuCount: number;
  memoryBytes: number;
  capacity: HostCapacity;
  /** Memory and sandboxes placed on it that its last heartbeat could not see yet. */
  pending: { memoryBytes: number; sandboxes: number };
  /** The template's memory on this host, in MiB, when the host holds the template; unset when it does not. */
  templateMemoryMib?: number;
}

/**
 * Below this much available memory a host takes no new sandbox, whatever is
 * committed: it is short of memory already (the agent, QEMU's own overhead
 * and the page cache need it).
 */
export const memoryHeadroomBytes = 512 * 1024 * 1024;

/**
 * How far the memory given to sandboxes may exceed the host's RAM. A guest
 * touches its memory lazily (an idle 1 GiB VM restored from a snapshot holds
 * under 200 MiB here), so counting every allotment in full would leave most
 * of a host idle; MemAvailable above the headroom guards the real use.
 */
export const memoryOvercommit = 1.5;

const MiB = 1024 * 1024;

/** Hosts within this much load per CPU of the least loaded count as equally busy (load averages are noisy). */
const loadTolerance = 0.5;
/** Hosts within this share of RAM of the one with the most memory left count as equally roomy. */
const memoryTolerance = 0.1;

const loadPerCpu = (c: PlacementCandidate) => c.capacity.loadAverage / Math.max(1, c.cpuCount);
/** The share of its RAM a host has left after this sandbox. */
const memoryLeft = (c: PlacementCandidate, needed: number) =>
  ((c.capacity.freeMemoryBytes || c.memoryBytes) - c.pending.memoryBytes - needed) / Math.max(1, c.memoryBytes);
const sandboxesOn = (c: PlacementCandidate) => c.capacity.sandboxCount + c.pending.sandboxes;

/** The candidates whose `value` is within `tolerance` of the best one's. */
function nearBest(candidates: PlacementCandidate[], value: (c: PlacementCandidate) => number, tolerance: number, lowerIsBetter: boolean): PlacementCandidate[] {
  const values = candidates.map(value);
  const best = lowerIsBetter ? Math.min(...values) : Math.max(...values);
  return candidates.filter((_, i) => Math.abs(values[i]! - best) <= tolerance);
}

/**
 * Picks the host for a new sandbox of `templateId`:
 * - only hosts holding the template (none: NOT_FOUND);
 * - only hosts with room: available memory above the headroom, and the
 *   template's memory left to give within RAM × overcommit, counting what is
 *   being placed there that their last heartbeat could not see (none:
 *   RESOURCE_EXHAUSTED, saying what the roomiest host has);
 * - then the least loaded CPUs, then the most memory left, each with a
 *   tolerance (half a CPU's load, a tenth of RAM), and among hosts alike in
 *   both, the one with fewest sandboxes (spread), then the host id.
 */
export function placeSandbox(templateId: string, candidates: PlacementCandidate[]): PlacementCandidate {
  const holding = candidates.filter((c) => c.templateMemoryMib !== undefined);
  if (holding.length === 0) throw errors.notFound(`template ${quoteForMessage(templateId)} not found`);
  const needed = (c: PlacementCandidate) => (c.templateMemoryMib ?? 0) * MiB;
  // An agent too old to report capacity sends zeros: it judges for itself when it creates.
  const reports = (c: PlacementCandidate) => c.capacity.freeMemoryBytes > 0;
  const uncommitted = (c: PlacementCandidate) => c.memoryBytes * memoryOvercommit - c.capacity.sandboxMemoryBytes - c.pending.memoryBytes;
  const fits = (c: PlacementCandidate) => !reports(c) || (c.capacity.freeMemoryBytes >= memoryHeadroomBytes && uncommitted(c) >= needed(c));
  const fitting = holding.filter(fits);
  if (fitting.length === 0) {
    const roomiest = holding.reduce((best, c) => (uncommitted(c) > uncommitted(best) ? c : best));
    const short = roomiest.capacity.freeMemoryBytes < memoryHeadroomBytes;
    throw errors.resourceExhausted(
      `no host has room for a sandbox of template ${quoteForMessage(templateId)} (${roomiest.templateMemoryMib} MiB): ` +
        (short
          ? `the roomiest, ${toWireId("host", roomiest.hostId)}, has ${Math.floor(roomiest.capacity.freeMemoryBytes / MiB)} MiB available, under the ${memoryHeadroomBytes / MiB} MiB it keeps free`
          : `the most left to give is ${Math.max(0, Math.floor(uncommitted(roomiest) / MiB))} MiB, on ${toWireId("host", roomiest.hostId)}`) +
        "; try again when sandboxes end",
    );
  }
  // Narrowed in turn, each step keeping the hosts near the best, so that
  // noise in one figure does not override the next: idle CPUs, then memory
  // left, then spread, then the host id (so the choice is repeatable).
  const idle = nearBest(fitting, loadPerCpu, loadTolerance, true);
  const roomy = nearBest(idle, (c) => memoryLeft(c, needed(c)), memoryTolerance, false);
  return [...roomy].sort((a, b) => sandboxesOn(a) - sandboxesOn(b) || a.hostId.localeCompare(b.hostId))[0]!;
}
