import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { keyA, keyB, useProxy } from "./proxy-fixture.js";

// WebSocket upgrades through the proxy, both address forms: the app's echo
// answers, binary frames arrive intact, and a refused upgrade gets an HTTP
// answer, never a 101.
const proxy = useProxy();

function open(url: string, options: WebSocket.ClientOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once("message", (data: Buffer, binary) => resolve({ data, binary })));
}

describe("port proxy, WebSocket upgrades", () => {
  it("echoes text and binary through the path form, the prefix stripped", async () => {
    const sb = proxy.addSandbox();
    const ws = await open(`ws://127.0.0.1:${proxy.gatewayPort}/proxy/${sb}/${proxy.appPort}/socket`, { headers: { "x-api-key": keyA } });
    const text = nextMessage(ws);
    ws.send("hello");
    expect(String((await text).data)).toBe("/socket hello");
    const bytes = Buffer.from([0, 255, 1, 254]);
    const binary = nextMessage(ws);
    ws.send(bytes);
    expect(await binary).toEqual({ data: bytes, binary: true });
    ws.close();
  });

  it("echoes through the host form", async () => {
    const sb = proxy.addSandbox();
    const ws = await open(`ws://127.0.0.1:${proxy.gatewayPort}/echo`, { headers: { "x-api-key": keyA, host: `${proxy.appPort}-${sb}.localhost:${proxy.gatewayPort}` } });
    const text = nextMessage(ws);
    ws.send("there");
    expect(String((await text).data)).toBe("/echo there");
    ws.close();
  });

  it("refuses another team's and an unauthenticated upgrade before any 101", async () => {
    const sb = proxy.addSandbox();
    const url = `ws://127.0.0.1:${proxy.gatewayPort}/proxy/${sb}/${proxy.appPort}/socket`;
    await expect(open(url, { headers: { "x-api-key": keyB } })).rejects.toThrow("status 404");
    await expect(open(url, {})).rejects.toThrow("status 401");
  });
});
