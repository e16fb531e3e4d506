import { createChannel, createClient, Metadata, Status } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { afterEach, describe, expect, it } from "vitest";
import { clientsWithToken, collect, readUntil, startEnvd, statusOf, type RunningEnvd } from "./harness.js";
import { connectivityState as ConnectivityState } from "@grpc/grpc-js";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { accessTokenMetadataKey } from "@wrenn/shared";

let envd: RunningEnvd | undefined;
afterEach(async () => {
  await envd?.stop();
  envd = undefined;
});

const token = "tok-0123456789abcdef";
const withToken = (t: string) => ({ metadata: Metadata({ [accessTokenMetadataKey]: t }) });

describe("access token", () => {
  it("before Init sets a token, refuses every call but Init; health stays open", async () => {
    envd = await startEnvd({}, undefined, [], { initialise: false });
    // Only its owner (root: the host agent) may open the socket.
    expect(statSync(envd.socket).mode & 0o777).toBe(0o600);
    const refused = await envd.process.list({}).catch((err: { code: number; details: string }) => err);
    expect(refused).toMatchObject({ code: Status.UNAUTHENTICATED, details: expect.stringMatching(/not initialised.*only the host agent's Init/) });
    expect(await statusOf(envd.process.start({ process: { cmd: "true" } }))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.fs.readFile({ path: "/etc/hostname" }))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.fs.writeFile((async function* () {
      yield { path: join(envd!.dir, "planted"), data: Buffer.from("x") };
    })()))).toBe(Status.UNAUTHENTICATED);
    expect(existsSync(join(envd.dir, "planted"))).toBe(false);
    expect(await statusOf(envd.envd.listPorts({}))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.envd.prepareSnapshot({}))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.envd.afterRestore({}))).toBe(Status.UNAUTHENTICATED);
    // Whatever token a caller presents, nothing but Init gets through before one is set.
    expect(await statusOf(envd.process.list({}, withToken(token)))).toBe(Status.UNAUTHENTICATED);
    // An Init without a token does not open envd either.
    await envd.envd.init({ sandboxId: "sb-0" });
    expect(await statusOf(envd.process.list({}))).toBe(Status.UNAUTHENTICATED);

    const health = createClient(HealthDefinition, envd.channel);
    expect((await health.check({ service: "" })).status).toBe(1); // SERVING: the agent waits on it before Init

    await envd.envd.init({ sandboxId: "sb-1", accessToken: token });
    expect((await envd.process.list({}, withToken(token))).processes).toEqual([]);
  });

  it("guards every envd RPC after Init, keeps health open, and needs the current token to change it", async () => {
    envd = await startEnvd({}, undefined, [], { initialise: false });
    await envd.envd.init({ sandboxId: "sb-1", accessToken: token });

    expect(await statusOf(envd.process.list({}))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.process.start({ process: { cmd: "true" } }))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.fs.stat({ path: "/" }))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.envd.listPorts({}))).toBe(Status.UNAUTHENTICATED);
    expect(await statusOf(envd.process.list({}, withToken("tok-wrong-wrong-wrong")))).toBe(Status.UNAUTHENTICATED);
    // A second Init without the current token cannot take over the daemon.
    expect(await statusOf(envd.envd.init({ accessToken: "tok-attacker-attacker" }))).toBe(Status.UNAUTHENTICATED);

    const health = createClient(HealthDefinition, envd.channel);
    expect((await health.check({ service: "" })).status).toBe(1); // SERVING

    expect((await envd.process.list({}, withToken(token))).processes).toEqual([]);
    const run = await collect(envd.process.start({ process: { cmd: "echo", args: ["ok"] } }, withToken(token)));
    expect(run.stdout.toString()).toBe("ok\n");

    const next = "tok-fedcba9876543210";
    await envd.envd.init({ accessToken: next }, withToken(token));
    expect(await statusOf(envd.process.list({}, withToken(token)))).toBe(Status.UNAUTHENTICATED);
    expect((await envd.process.list({}, withToken(next))).processes).toEqual([]);
    expect(await statusOf(envd.envd.init({ accessToken: "short" }, withToken(next)))).toBe(Status.INVALID_ARGUMENT);
  });
});

describe("snapshot hooks", () => {
  it("refuse new long work between PrepareSnapshot and AfterRestore, then drop streams from before the snapshot", async () => {
    envd = await startEnvd();
    // A background process with a client attached across the "snapshot".
    const stream = envd.process.start({ process: { cmd: "bash", args: ["-c", "echo up; sleep 30"] }, tag: "snap", background: true });
    const got = await readUntil(stream, (t) => t.includes("up"));
    const pid = got.events[0]!.start!.pid;

    expect(envd.channel.getConnectivityState(false)).toBe(ConnectivityState.READY);
    await envd.envd.prepareSnapshot({});
    // Idle connections were told to go away: the client's channel is no longer READY.
    await expect.poll(() => envd!.channel.getConnectivityState(false), { timeout: 2_000, message: "the channel to leave READY" }).not.toBe(ConnectivityState.READY);
    // The GOAWAY closed our connection; a new channel is what a client after the snapshot uses.
    const channel = createChannel(`unix://${envd.socket}`);
    const { ProcessServiceDefinition } = await import("@wrenn/gen/wrenn/envd/v1/process.js");
    const { EnvdServiceDefinition } = await import("@wrenn/gen/wrenn/envd/v1/envd.js");
    const clients = clientsWithToken(envd.token);
    const proc = clients.create(ProcessServiceDefinition, channel);
    const control = clients.create(EnvdServiceDefinition, channel);
    expect(await statusOf(proc.start({ process: { cmd: "true" } }))).toBe(Status.UNAVAILABLE);
    expect(await statusOf(proc.connect({ process: { pid } }))).toBe(Status.UNAVAILABLE);
    expect(await statusOf(control.watchPorts({}))).toBe(Status.UNAVAILABLE);
    // Short calls still work (the host agent may inspect before pausing).
    expect((await proc.list({})).processes.map((p) => p.pid)).toContain(pid);

    await control.afterRestore({ nowUnixMs: Date.now() });
    // The stream that was open before the snapshot ends with UNAVAILABLE; the process lives on.
    const ended = await got.rest.next().then(
      () => "no error",
      (err: { code?: number }) => err.code,
    );
    expect(ended).toBe(Status.UNAVAILABLE);

    const channel2 = createChannel(`unix://${envd.socket}`);
    const proc2 = clients.create(ProcessServiceDefinition, channel2);
    const again = await readUntil(proc2.connect({ process: { tag: "snap" } }), (t) => t.includes("up"));
    expect(again.events[0]?.start?.pid).toBe(pid);
    await proc2.kill({ selector: "snap" });
    const run = await collect(proc2.start({ process: { cmd: "echo", args: ["after"] } }));
    expect(run.stdout.toString()).toBe("after\n");
    // Only connections from before the restore are cut after its 1 s grace, not the ones opened since.
    const long = await collect(proc2.start({ process: { cmd: "sh", args: ["-c", "sleep 1.5; echo late"] } }));
    expect(long.stdout.toString()).toBe("late\n");
    channel.close();
    channel2.close();
  });
});
