import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "@wrenn/devstack";

/** What the host agent's port tunnel answers to a CONNECT for a sandbox nobody made. */
function connectStatus(address: string): Promise<string> {
  const colon = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("end", () => resolve(text.split("\r\n")[0] ?? ""));
    socket.on("error", reject);
    socket.write(`CONNECT sb-${"0".repeat(32)}:8000 HTTP/1.1\r\n\r\n`);
  });
}

// Real processes (tsx starts take seconds on a loaded machine), embedded database.
describe("a stack's port tunnel", { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ embedded: true });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it("has an address of its own, where the host agent's tunnel answers, kept when the agent restarts", async () => {
    expect(stack.portProxyAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(stack.portProxyAddress).not.toBe(stack.hostagentAddress);
    expect(await connectStatus(stack.portProxyAddress)).toBe("HTTP/1.1 404 Not Found");
    await stack.restart("hostagent");
    expect(stack.services.hostagent.current.addresses.get("port-proxy")).toBe(stack.portProxyAddress);
    expect(await connectStatus(stack.portProxyAddress)).toBe("HTTP/1.1 404 Not Found");
  });
});
