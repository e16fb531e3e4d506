import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { createLogger } from "@wrenn/shared";
import type { Database } from "../../src/db/database.js";
import { createHostRepository } from "../../src/db/host-repository.js";
import { createHostRegistry, type HostRegistry } from "../../src/hosts/host-registry.js";
import { hostUuidFor } from "../../src/hosts/host-identity.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { openTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("the host registry over several hosts");

const GiB = 1024 ** 3;
const logger = createLogger("registry-test", { level: "silent" });
const roomy = { freeMemoryBytes: 20 * GiB, loadAverage: 0.1, diskFreeBytes: 100 * GiB, sandboxCount: 0, sandboxMemoryBytes: 0 };

/**
 * The registry against three fake host agents (the real agents' placement is
 * tested with a dev stack of several agents): which host each pickHost
 * chooses, from what the agents' heartbeats report.
 */
describe.skipIf(!testDatabaseUrl)("host registry with several hosts", () => {
  let db: Database;
  let agents: FakeHostAgent[];
  let registry: HostRegistry;
  const idOf = (agent: FakeHostAgent) => hostUuidFor(agent.hostId);
  const nameOf = (hostId: string) => `agent ${agents.findIndex((agent) => idOf(agent) === hostId) + 1}`;
  const heartbeat = () => registry.heartbeat();

  beforeAll(async () => {
    db = await openTestDatabase();
    agents = await Promise.all([startFakeHostAgent(), startFakeHostAgent(), startFakeHostAgent()]);
    for (const agent of agents) agent.capacity = { ...roomy };
    registry = createHostRegistry({ hostAgentUrl: agents.map((a) => a.address).join(","), hosts: createHostRepository(db.pool), logger, heartbeatMs: 60_000 });
    await registry.start();
  });
  afterAll(async () => {
    registry?.close();
    await Promise.all((agents ?? []).map((agent) => agent.close()));
    await db?.close();
  });

  it("registers every host of the list", () => {
    expect(registry.onlineHostIds().sort()).toEqual(agents.map(idOf).sort());
  });

  it("spreads creates over alike hosts, counting the ones still being created", async () => {
    const placed = [];
    for (let i = 0; i < 6; i++) placed.push(await registry.pickHost({ templateId: "base" }));
    const counts = new Map<string, number>();
    for (const p of placed) counts.set(nameOf(p.hostId), (counts.get(nameOf(p.hostId)) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2]);
    for (const p of placed) p.answered?.();
    await heartbeat();
  });

  it("places a template only where it is, and NOT_FOUND where it is nowhere", async () => {
    const [, second] = agents;
    second!.templates.set("only-on-two", { ...second!.templates.get("base")!, templateId: "only-on-two" });
    for (let i = 0; i < 3; i++) expect(nameOf((await registry.pickHost({ templateId: "only-on-two" })).hostId)).toBe("agent 2");
    await expect(registry.pickHost({ templateId: "nowhere" })).rejects.toMatchObject({ code: Status.NOT_FOUND });
  });

  it("prefers idle CPUs and leaves out a host short of memory, by what the heartbeat reported", async () => {
    agents[0]!.capacity = { ...roomy, loadAverage: 7 };
    agents[1]!.capacity = { ...roomy, freeMemoryBytes: 100 * 1024 ** 2 };
    await heartbeat();
    for (let i = 0; i < 3; i++) {
      const placed = await registry.pickHost({ templateId: "base" });
      expect(nameOf(placed.hostId)).toBe("agent 3");
      placed.answered?.();
    }
  });

  it("answers RESOURCE_EXHAUSTED when no host has room, and places again once one reports room", async () => {
    // The fakes have 4 GiB of RAM: 6 GiB can be given with the overcommit.
    for (const agent of agents) agent.capacity = { ...roomy, sandboxMemoryBytes: 5.5 * GiB };
    await heartbeat();
    const err = await registry.pickHost({ templateId: "base" }).catch((e: unknown) => e as { code: Status; details: string });
    expect(err).toMatchObject({ code: Status.RESOURCE_EXHAUSTED });
    expect((err as { details: string }).details).toMatch(/no host has room for a sandbox of template "base" \(1024 MiB\): the most left to give is 512 MiB/);
    agents[2]!.capacity = { ...roomy };
    await heartbeat();
    expect(nameOf((await registry.pickHost({ templateId: "base" })).hostId)).toBe("agent 3");
  });

  it("places around a host that stopped answering, which its row shows unreachable", async () => {
    for (const agent of agents) agent.capacity = { ...roomy };
    await agents[2]!.close();
    await heartbeat();
    expect(registry.onlineHostIds().sort()).toEqual([idOf(agents[0]!), idOf(agents[1]!)].sort());
    expect((await createHostRepository(db.pool).get(idOf(agents[2]!)))?.status).toBe("unreachable");
    for (let i = 0; i < 4; i++) expect(["agent 1", "agent 2"]).toContain(nameOf((await registry.pickHost({ templateId: "base" })).hostId));
  });
});
