import { createFileRegistry, fromBinary, getOption, hasOption, type DescExtension } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";

/** How an audited RPC is named in the log. */
export interface AuditedMethod {
  action: string;
  resourceType: string;
  /** The message field (camelCase, as ts-proto names it) that holds the resource's id. */
  idField: string;
  scope: "team" | "admin";
}

type Named = [action: string, resourceType: string, idField: string];

const sandbox = (action: string): Named => [`sandbox.${action}`, "sandbox", "sandboxId"];
const inSandbox = (action: string): Named => [action, "sandbox", "sandboxId"];
const user = (action: string): Named => [action, "user", "userId"];

/**
 * The names a reader of the log expects. A method missing here is still
 * recorded, under the generic name (see `fallbackName`), so a new RPC is
 * never silently left out.
 */
const named: Record<string, Named> = {
  "SandboxService/CreateSandbox": sandbox("create"),
  "SandboxService/DestroySandbox": sandbox("destroy"),
  "SandboxService/PauseSandbox": sandbox("pause"),
  "SandboxService/ResumeSandbox": sandbox("resume"),
  "SandboxService/SetSandboxTimeout": sandbox("set_timeout"),
  "ProcessService/StartProcess": inSandbox("process.start"),
  "ProcessService/ConnectProcess": inSandbox("process.connect"),
  "ProcessService/SendProcessInput": inSandbox("process.input"),
  "ProcessService/StreamProcessInput": inSandbox("process.input_stream"),
  "ProcessService/CloseProcessStdin": inSandbox("process.close_stdin"),
  "ProcessService/SignalProcess": inSandbox("process.signal"),
  "ProcessService/KillProcess": inSandbox("process.kill"),
  "ProcessService/UpdateProcess": inSandbox("process.update"),
  "FilesystemService/MakeDir": inSandbox("file.make_dir"),
  "FilesystemService/MoveFile": inSandbox("file.move"),
  "FilesystemService/RemoveFile": inSandbox("file.remove"),
  "FilesystemService/WriteFile": inSandbox("file.write"),
  "ApiKeyService/CreateApiKey": ["api_key.create", "api_key", "keyId"],
  "ApiKeyService/RevokeApiKey": ["api_key.revoke", "api_key", "keyId"],
  "TeamService/CreateTeam": ["team.create", "team", "teamId"],
  "TeamService/InviteMember": ["team.member.invite", "team_invite", "inviteId"],
  "TeamService/AcceptInvite": ["team.member.join", "team", "teamId"],
  "TeamService/UpdateMemberRole": user("team.member.update_role"),
  "TeamService/RemoveMember": user("team.member.remove"),
  "TeamService/LeaveTeam": ["team.member.leave", "team", "teamId"],
  "AccountService/Signup": user("user.signup"),
  "AdminService/GrantAdmin": user("admin.grant"),
  "AdminService/RevokeAdmin": user("admin.revoke"),
  "AdminService/DeactivateUser": user("admin.user.deactivate"),
  "AdminService/ReactivateUser": user("admin.user.reactivate"),
  "AdminService/DeleteUser": user("admin.user.delete"),
  "AdminService/CreateHostToken": ["admin.host_token.create", "host", "hostId"],
  "AdminService/RevokeHost": ["admin.host.revoke", "host", "hostId"],
  "HostRegistrationService/RegisterHost": ["host.register", "host", "agentHostId"],
  "TemplateService/DeleteTemplate": ["template.delete", "template", "templateId"],
  "TemplateService/SnapshotSandbox": ["template.snapshot", "sandbox", "sandboxId"],
  "BuildService/CreateBuild": ["build.create", "build", "buildId"],
  "BuildService/CancelBuild": ["build.cancel", "build", "buildId"],
};

const auditedPackage = "wrenn.api.v1";

/** google.api.HttpRule as @bufbuild/protobuf hands it back (no generated code for it). */
interface HttpRuleLike {
  pattern: { case?: string };
  additionalBindings: HttpRuleLike[];
}

/** A read: every binding of its rule is a GET. */
function onlyGets(rule: HttpRuleLike): boolean {
  return rule.pattern.case === "get" && rule.additionalBindings.every(onlyGets);
}

/** "FooBarService" → "foo_bar"; "DoThing" → "do_thing". */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** An RPC nobody named: "<service noun>.<method>", e.g. WidgetService/FrobWidget → "widget.frob_widget". */
function fallbackName(service: string, method: string): Named {
  const noun = snake(service.replace(/Service$/, ""));
  const camel = noun.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return [`${noun}.${snake(method)}`, noun, `${camel}Id`];
}

/**
 * Every state-changing method of every wrenn.api.v1 service, by gRPC path:
 * those whose google.api.http rule is not a GET, and those without a rule
 * (nothing says they only read); a method with a GET and a POST binding is
 * audited. Read from the descriptor set the servers
 * are built from, so the list cannot drift from the proto.
 */
export function auditedMethods(descriptorSet: string = descriptorSetBase64): Map<string, AuditedMethod> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSet, "base64")));
  const httpRule = registry.getExtension("google.api.http") as DescExtension | undefined;
  const audited = new Map<string, AuditedMethod>();
  for (const file of registry.files) {
    if (file.proto.package !== auditedPackage) continue;
    for (const service of file.services) {
      for (const method of service.methods) {
        if (httpRule && hasOption(method, httpRule) && onlyGets(getOption(method, httpRule) as HttpRuleLike)) continue;
        const key = `${service.name}/${method.name}`;
        const [action, resourceType, idField] = named[key] ?? fallbackName(service.name, method.name);
        audited.set(`/${service.typeName}/${method.name}`, {
          action,
          resourceType,
          idField,
          scope: service.name === "AdminService" ? "admin" : "team",
        });
      }
    }
  }
  return audited;
}
