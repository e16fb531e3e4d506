import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { auditedMethods } from "../../../src/rpc/audit/audit-actions.js";

/** Which calls the audit log records, and under what names, read from the descriptor set. */
describe("audited methods", () => {
  const audited = auditedMethods();
  const name = (path: string) => audited.get(`/wrenn.api.v1.${path}`)?.action;

  it("names the state-changing calls of the public API", () => {
    expect(name("SandboxService/CreateSandbox")).toBe("sandbox.create");
    expect(name("ApiKeyService/RevokeApiKey")).toBe("api_key.revoke");
    expect(name("TeamService/RemoveMember")).toBe("team.member.remove");
    expect(name("AdminService/GrantAdmin")).toBe("admin.grant");
    expect(name("ProcessService/StartProcess")).toBe("process.start");
    expect(name("FilesystemService/WriteFile")).toBe("file.write");
    expect(audited.get("/wrenn.api.v1.AdminService/DeactivateUser")?.scope).toBe("admin");
    expect(audited.get("/wrenn.api.v1.SandboxService/CreateSandbox")?.scope).toBe("team");
  });

  it("leaves out every method whose http rule is a GET, and nothing else", () => {
    for (const read of ["SandboxService/GetSandbox", "SandboxService/ListSandboxes", "AuditService/ListAuditLogs", "AdminService/ListUsers", "FilesystemService/ReadFile", "PortService/WatchPorts"]) {
      expect(name(read), read).toBeUndefined();
    }
    // No state-changing call of the proto falls through to the generic name: each has one a reader expects.
    const generic = [...audited].filter(([path, method]) => method.action === genericName(path));
    expect(generic).toEqual([]);
  });

  it("records a method nobody named under a generic name, and one without an http rule too", () => {
    const set = create(FileDescriptorSetSchema, {
      file: [
        {
          name: "wrenn/api/v1/widget.proto",
          package: "wrenn.api.v1",
          syntax: "proto3",
          messageType: [{ name: "FrobWidgetRequest" }, { name: "FrobWidgetResponse" }],
          service: [{ name: "WidgetService", method: [{ name: "FrobWidget", inputType: ".wrenn.api.v1.FrobWidgetRequest", outputType: ".wrenn.api.v1.FrobWidgetResponse" }] }],
        },
      ],
    });
    const methods = auditedMethods(Buffer.from(toBinary(FileDescriptorSetSchema, set)).toString("base64"));
    expect(methods.get("/wrenn.api.v1.WidgetService/FrobWidget")).toEqual({ action: "widget.frob_widget", resourceType: "widget", idField: "widgetId", scope: "team" });
  });
});

/** What the fallback would call "/wrenn.api.v1.FooService/DoThing": "foo.do_thing". */
function genericName(path: string): string {
  const [, service = "", method = ""] = /^\/wrenn\.api\.v1\.(\w+)\/(\w+)$/.exec(path) ?? [];
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  return `${snake(service.replace(/Service$/, ""))}.${snake(method)}`;
}
