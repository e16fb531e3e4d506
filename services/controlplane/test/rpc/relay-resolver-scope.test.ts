import { describe, expect, it } from "vitest";
import { Status } from "@wrenn/shared";
import type { HostConnection } from "../../src/hosts/host-connection.js";
import type { SandboxRecord } from "../../src/lifecycle/sandbox.js";
import { createRelayResolver } from "../../src/rpc/sandbox-relay.js";

const teamId = "5b0e6c1d-2a3f-4e8b-9c7d-1f0a2b3c4d5e";
const own = "0f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9";
const sibling = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

describe("the relay resolver's sandbox scope", () => {
  const asked: string[] = [];
  const resolve = createRelayResolver(
    async (_team, id) => {
      asked.push(id);
      return { id, teamId, status: "running", hostId: "7d1f3a52-0c4e-4a53-9a0e-2f4b8c6d1e90" } as SandboxRecord;
    },
    async () => ({ process: {}, filesystem: {}, ports: {} }) as unknown as HostConnection,
  );

  it("answers a sandbox token's call on another sandbox of its own team as not found, before any lookup", async () => {
    await expect(resolve({ teamId, onlySandboxId: own }, sibling)).rejects.toMatchObject({ code: Status.NOT_FOUND, details: "sandbox not found" });
    expect(asked).toEqual([]);
    await expect(resolve({ teamId, onlySandboxId: own }, own)).resolves.toHaveProperty("metadata");
    await expect(resolve({ teamId }, sibling)).resolves.toHaveProperty("metadata");
    expect(asked).toEqual([own, sibling]);
  });
});
