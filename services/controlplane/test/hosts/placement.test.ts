import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { memoryHeadroomBytes, memoryOvercommit, placeSandbox, type PlacementCandidate } from "../../src/hosts/placement.js";
import { hostAgentAddresses } from "../../src/hosts/host-registry.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function host(n: number, overrides: Partial<PlacementCandidate> & { free?: number; load?: number; sandboxes?: number } = {}): PlacementCandidate {
  const { free = 16 * GiB, load = 0, sandboxes = 0, ...rest } = overrides;
  return {
    hostId: `00000000-0000-4000-8000-00000000000${n}`,
    cpuCount: 4,
    memoryBytes: 24 * GiB,
    capacity: { freeMemoryBytes: free, loadAverage: load, diskFreeBytes: 100 * GiB, sandboxCount: sandboxes, sandboxMemoryBytes: 0 },
    pending: { memoryBytes: 0, sandboxes: 0 },
    templateMemoryMib: 1024,
    ...rest,
  };
}

const pick = (...hosts: PlacementCandidate[]) => placeSandbox("base", hosts).hostId.slice(-1);
const refusal = (...hosts: PlacementCandidate[]) => {
  try {
    placeSandbox("base", hosts);
  } catch (err) {
    return err as { code: Status; message: string };
  }
  throw new Error("placed");
};

describe("placement", () => {
  it("places only on hosts holding the template, NOT_FOUND when none does", () => {
    expect(pick(host(1, { templateMemoryMib: undefined }), host(2, { free: 2 * GiB }))).toBe("2");
    expect(refusal(host(1, { templateMemoryMib: undefined })).code).toBe(Status.NOT_FOUND);
  });

  it("gives memory up to RAM × overcommit, counting placements its heartbeat has not seen", () => {
    const limit = 24 * GiB * memoryOvercommit;
    expect(pick(host(1, { capacity: { ...host(1).capacity, sandboxMemoryBytes: limit - GiB } }))).toBe("1");
    const full = host(1, { capacity: { ...host(1).capacity, sandboxMemoryBytes: limit - GiB + 1 } });
    const pendingFull = host(2, { pending: { memoryBytes: limit - 512 * MiB, sandboxes: 30 } });
    const err = refusal(full, pendingFull);
    expect(err.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(err.message).toMatch(/no host has room for a sandbox of template "base" \(1024 MiB\): the most left to give is 1023 MiB, on host-00000000000040008000000000000001; try again when sandboxes end/);
  });

  it("takes nothing on a host short of available memory, whatever is committed", () => {
    expect(pick(host(1, { free: memoryHeadroomBytes - 1 }), host(2, { free: memoryHeadroomBytes }))).toBe("2");
    const err = refusal(host(1, { free: 100 * MiB }));
    expect(err.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(err.message).toMatch(/has 100 MiB available, under the 512 MiB it keeps free/);
  });

  it("prefers the less loaded CPUs, then the most memory left", () => {
    expect(pick(host(1, { load: 3.5 }), host(2, { load: 0.2, free: 4 * GiB }))).toBe("2");
    expect(pick(host(1, { free: 4 * GiB }), host(2, { free: 12 * GiB }))).toBe("2");
  });

  it("spreads among hosts alike in load and memory, counting pending placements", () => {
    // Load and free memory within one step of each other: noise, not a reason.
    expect(pick(host(1, { sandboxes: 3, load: 0.1 }), host(2, { sandboxes: 1, load: 0.3 }), host(3, { sandboxes: 2 }))).toBe("2");
    expect(pick(host(1, { sandboxes: 1 }), host(2, { sandboxes: 0, pending: { memoryBytes: GiB, sandboxes: 2 } }))).toBe("1");
    // Hosts on one machine read the same load and memory a moment apart: no step boundary between them decides.
    expect(pick(host(1, { load: 3.9, free: 10 * GiB, sandboxes: 2 }), host(2, { load: 4.1, free: 9.5 * GiB, sandboxes: 1 }))).toBe("2");
    // Same everything: the host id decides, so the choice is repeatable.
    expect(pick(host(2), host(1))).toBe("1");
  });

  it("leaves an agent that reports no capacity (an older one) to judge for itself", () => {
    expect(pick(host(1, { free: 0, pending: { memoryBytes: 100 * GiB, sandboxes: 100 } }))).toBe("1");
  });

  it("reads WRENN_HOSTAGENT_URL as one address or a comma-separated list", () => {
    expect(hostAgentAddresses("127.0.0.1:50052")).toEqual(["127.0.0.1:50052"]);
    expect(hostAgentAddresses(" a:1, b:2,,a:1 ,unix:/run/x.sock")).toEqual(["a:1", "b:2", "unix:/run/x.sock"]);
  });
});
