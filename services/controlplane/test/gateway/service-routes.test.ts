/** The gateway's own routes: health and the OpenAPI document. */
import { describe, expect, it } from "vitest";
import { readJson, useGateway } from "./gateway-fixture.js";

const gw = useGateway();

describe("service routes", () => {
  it("serves /healthz", async () => {
    const res = await fetch(`${gw.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ status: "ok" });
  });

  it("lists every annotated route in /openapi.json", async () => {
    const doc = await readJson(await fetch(`${gw.base}/openapi.json`));
    const ops = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`),
    );
    // The sandbox API exactly; the identity services' routes (account, teams, keys, admin, audit) are theirs to list.
    const sandboxOps = ops.filter((op) => op.split(" ")[1].startsWith("/v1/sandboxes"));
    const identityPaths = /^\/v1\/(whoami|signup|invites|teams|admin|audit-logs)(\/|$)/;
    const templateOps = ops.filter((op) => /^\/v1\/(templates|builds)(\/|$)/.test(op.split(" ")[1]));
    const hostOps = ops.filter((op) => op.split(" ")[1].startsWith("/v1/hosts"));
    expect(hostOps).toEqual(["POST /v1/hosts/register RegisterHost"]);
    expect(ops.filter((op) => !sandboxOps.includes(op) && !templateOps.includes(op) && !hostOps.includes(op) && !identityPaths.test(op.split(" ")[1]))).toEqual([]);
    expect(templateOps.sort()).toEqual(
      [
        "GET /v1/templates ListTemplates",
        "GET /v1/templates/{template_id} GetTemplate",
        "DELETE /v1/templates/{template_id} DeleteTemplate",
        "GET /v1/builds ListBuilds",
        "GET /v1/builds/{build_id} GetBuild",
        "POST /v1/builds/{build_id}/cancel CancelBuild",
        "GET /v1/builds/{build_id}/events WatchBuild",
      ].sort(),
    );
    expect(sandboxOps.sort()).toEqual(
      [
        "POST /v1/sandboxes CreateSandbox",
        "GET /v1/sandboxes/{sandbox_id} GetSandbox",
        "GET /v1/sandboxes ListSandboxes",
        "DELETE /v1/sandboxes/{sandbox_id} DestroySandbox",
        "POST /v1/sandboxes/{sandbox_id}/processes StartProcess",
        "GET /v1/sandboxes/{sandbox_id}/processes ListProcesses",
        "POST /v1/sandboxes/{sandbox_id}/processes/connect ConnectProcess",
        "POST /v1/sandboxes/{sandbox_id}/processes/input SendProcessInput",
        "POST /v1/sandboxes/{sandbox_id}/processes/input/stream StreamProcessInput",
        "POST /v1/sandboxes/{sandbox_id}/processes/close-stdin CloseProcessStdin",
        "POST /v1/sandboxes/{sandbox_id}/processes/signal SignalProcess",
        "DELETE /v1/sandboxes/{sandbox_id}/processes/{selector} KillProcess",
        "POST /v1/sandboxes/{sandbox_id}/processes/update UpdateProcess",
        "GET /v1/sandboxes/{sandbox_id}/files/stat StatFile",
        "GET /v1/sandboxes/{sandbox_id}/files/list ListDir",
        "POST /v1/sandboxes/{sandbox_id}/files/mkdir MakeDir",
        "POST /v1/sandboxes/{sandbox_id}/files/move MoveFile",
        "DELETE /v1/sandboxes/{sandbox_id}/files RemoveFile",
        "GET /v1/sandboxes/{sandbox_id}/files/read ReadFile",
        "POST /v1/sandboxes/{sandbox_id}/files/write WriteFile",
        "GET /v1/sandboxes/{sandbox_id}/files/watch WatchDir",
        "GET /v1/sandboxes/{sandbox_id}/ports ListPorts",
        "GET /v1/sandboxes/{sandbox_id}/ports/watch WatchPorts",
        "POST /v1/sandboxes/{sandbox_id}/pause PauseSandbox",
        "POST /v1/sandboxes/{sandbox_id}/resume ResumeSandbox",
        "POST /v1/sandboxes/{sandbox_id}/timeout SetSandboxTimeout",
        "GET /v1/sandboxes/{sandbox_id}/metrics GetSandboxMetrics",
        "POST /v1/sandboxes/{sandbox_id}/snapshot SnapshotSandbox",
      ].sort(),
    );
    const list = doc.paths["/v1/sandboxes/{sandbox_id}/files/list"].get;
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      "path:sandbox_id",
      "query:path",
      "query:depth",
      "query:user",
    ]);
    expect(doc.components.schemas["wrenn.api.v1.Sandbox"].properties.status.enum).toContain("SANDBOX_STATUS_RUNNING");
  });
});
