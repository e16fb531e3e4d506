import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "@wrenn/devstack";
import { keyHeaders } from "../harness/api-key.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

async function json(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.httpUrl}${path}`, {
    method,
    headers: keyHeaders(stack, body === undefined ? {} : { "content-type": "application/json" }),
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe("the HTTP/JSON gateway, as curl uses it", () => {
  it("creates a sandbox (202), runs a command streamed as NDJSON, and destroys it", async () => {
    const created = await json("POST", "/v1/sandboxes", { templateId: "base" });
    expect(created.status).toBe(202);
    expect(created.body.sandbox.status).toBe("SANDBOX_STATUS_STARTING");
    const id: string = created.body.sandbox.sandboxId;

    await expect
      .poll(async () => (await json("GET", `/v1/sandboxes/${id}`)).body.sandbox.status, { timeout: 60_000, message: "the sandbox's status" })
      .toBe("SANDBOX_STATUS_RUNNING");

    const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}/processes`, {
      method: "POST",
      headers: keyHeaders(stack, { "content-type": "application/json" }),
      body: JSON.stringify({ process: { cmd: "sh", args: ["-c", "echo hello; echo oops >&2; exit 3"] } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const events = (await res.text()).trim().split("\n").map((line) => JSON.parse(line).event);
    expect(events[0].start.pid).toBeGreaterThan(0);
    const stdout = events.filter((e) => e.data?.stdout).map((e) => Buffer.from(e.data.stdout, "base64").toString()).join("");
    const stderr = events.filter((e) => e.data?.stderr).map((e) => Buffer.from(e.data.stderr, "base64").toString()).join("");
    expect(stdout).toBe("hello\n");
    expect(stderr).toBe("oops\n");
    expect(events.at(-1).end.exitCode).toBe(3);

    const destroyed = await json("DELETE", `/v1/sandboxes/${id}`);
    expect(destroyed.status).toBe(202);
    await expect
      .poll(async () => {
        const got = await json("GET", `/v1/sandboxes/${id}`);
        return got.status === 404 ? "gone" : got.body.sandbox.status;
      }, { timeout: 60_000, message: "the destroyed sandbox's status" })
      .toMatch(/^(gone|SANDBOX_STATUS_STOPPED)$/);
  });

  it("answers unknown sandboxes with 404 and malformed requests with 400, as {code, message}", async () => {
    const unknown = await json("GET", `/v1/sandboxes/sb-${"0".repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: "NOT_FOUND" });
    expect(typeof unknown.body.message).toBe("string");

    const badId = await json("GET", "/v1/sandboxes/nope");
    expect(badId.status).toBe(400);
    expect(badId.body.code).toBe("INVALID_ARGUMENT");

    const badJson = await json("POST", "/v1/sandboxes", "{not json");
    expect(badJson.status).toBe(400);
    expect(badJson.body.code).toBe("INVALID_ARGUMENT");

    const unknownField = await json("POST", "/v1/sandboxes", { templateId: "base", flavour: "large" });
    expect(unknownField.status).toBe(400);

    const noRoute = await json("GET", "/v1/nothing-here");
    expect(noRoute.status).toBe(404);
  });

  it("serves an OpenAPI document generated from the proto annotations", async () => {
    const doc = await json("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/v1/sandboxes", "/v1/sandboxes/{sandbox_id}", "/v1/sandboxes/{sandbox_id}/processes"]),
    );
  });
});
