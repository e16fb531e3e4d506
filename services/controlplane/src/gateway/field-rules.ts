/**
 * What the server requires of request fields beyond their proto3 types, as
 * JSON Schema, for /openapi.json. The rules are the ones the controlplane's
 * handlers, its lifecycle validation and envd enforce (a field listed as
 * required is one whose absence is INVALID_ARGUMENT); the fuzz stage sends
 * requests on both sides of every rule and finds any drift.
 */

type Schema = Record<string, unknown>;

export interface MessageRules {
  /** Proto field names whose absence (or default value) the server refuses. */
  required?: string[];
  /** JSON Schema keywords merged into a field's schema, by proto field name. */
  fields?: Record<string, Schema>;
  /** Keywords merged into the message's own schema. */
  message?: Schema;
}

/** Wire ids (packages/shared/src/ids.ts): the prefix and the UUID's 32 hex digits. */
export const idPatterns: Record<string, string> = {
  sandbox_id: "^sb-[0-9a-fA-F]{32}$",
  key_id: "^key-[0-9a-fA-F]{32}$",
  build_id: "^bld-[0-9a-fA-F]{32}$",
};

const noNul = "^[^\\u0000]*$";
const templateName = "^[a-z0-9][a-z0-9._-]{0,62}(:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$";
const sandboxPath: Schema = { minLength: 1, maxLength: 4096, pattern: noNul };
const thirtyDays = 30 * 24 * 3600;
const ptyDimension: Schema = { minimum: 1, maximum: 65535 };

const pathOnly = (): MessageRules => ({ required: ["path"], fields: { path: sandboxPath } });
const needsProcess = (extra: string[] = []): MessageRules => ({ required: ["process", ...extra] });

export const requestRules: Record<string, MessageRules> = {
  "wrenn.api.v1.CreateSandboxRequest": {
    fields: {
      template_id: { maxLength: 128, pattern: "^([A-Za-z0-9][A-Za-z0-9._:-]*)?$" },
      metadata: {
        maxProperties: 64,
        propertyNames: { minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]*$" },
        additionalProperties: { type: "string", maxLength: 1024, pattern: noNul },
      },
      envs: {
        maxProperties: 256,
        propertyNames: { maxLength: 256, pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
        additionalProperties: { type: "string", maxLength: 32 * 1024, pattern: noNul },
      },
      timeout_seconds: { maximum: thirtyDays },
    },
  },
  "wrenn.api.v1.EgressPolicy": {
    fields: { allowed_cidrs: { maxItems: 256, items: { type: "string", pattern: "^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}/\\d{1,2}$" } } },
  },
  // A new template's "name" or "name:tag" (templates/template-ref.ts).
  "wrenn.api.v1.SnapshotSandboxRequest": { required: ["name"], fields: { name: { maxLength: 128, pattern: templateName } } },
  "wrenn.api.v1.ResumeSandboxRequest": { fields: { timeout_seconds: { maximum: thirtyDays } } },
  "wrenn.api.v1.SetSandboxTimeoutRequest": { fields: { timeout_seconds: { maximum: thirtyDays } } },

  "wrenn.api.v1.StatFileRequest": pathOnly(),
  "wrenn.api.v1.ListDirRequest": pathOnly(),
  "wrenn.api.v1.MakeDirRequest": pathOnly(),
  "wrenn.api.v1.RemoveFileRequest": pathOnly(),
  "wrenn.api.v1.ReadFileRequest": pathOnly(),
  "wrenn.api.v1.WatchDirRequest": pathOnly(),
  // Every NDJSON line may name the path; the first one must.
  "wrenn.api.v1.WriteFileRequest": pathOnly(),
  "wrenn.api.v1.MoveFileRequest": { required: ["source", "destination"], fields: { source: sandboxPath, destination: sandboxPath } },

  "wrenn.api.v1.StartProcessRequest": { required: ["start"] },
  "wrenn.envd.v1.StartRequest": { required: ["process"] },
  "wrenn.envd.v1.ProcessConfig": {
    required: ["cmd"],
    fields: {
      cmd: { minLength: 1, pattern: noNul },
      args: { items: { type: "string", pattern: noNul } },
      envs: { propertyNames: { pattern: "^[^=\\u0000]+$" }, additionalProperties: { type: "string", pattern: noNul } },
    },
  },
  "wrenn.envd.v1.PtySize": { required: ["rows", "cols"], fields: { rows: ptyDimension, cols: ptyDimension } },
  "wrenn.envd.v1.ProcessSelector": {
    fields: { pid: { minimum: 1 }, tag: { minLength: 1 } },
    // Exactly one of the two: a pid or a tag.
    message: { oneOf: [{ required: ["pid"] }, { required: ["tag"] }] },
  },
  "wrenn.api.v1.ConnectProcessRequest": needsProcess(),
  "wrenn.api.v1.SendProcessInputRequest": needsProcess(),
  // The first NDJSON line names the process; later ones may repeat it.
  "wrenn.api.v1.StreamProcessInputRequest": needsProcess(),
  "wrenn.api.v1.CloseProcessStdinRequest": needsProcess(),
  "wrenn.api.v1.SignalProcessRequest": {
    ...needsProcess(["signal"]),
    fields: { signal: { enum: ["SIGNAL_HUP", "SIGNAL_INT", "SIGNAL_KILL", "SIGNAL_TERM"] } },
  },
  "wrenn.api.v1.UpdateProcessRequest": needsProcess(["pty"]),
  "wrenn.api.v1.KillProcessRequest": { required: ["selector"], fields: { selector: { minLength: 1 } } },

  "wrenn.api.v1.CreateApiKeyRequest": { required: ["name"], fields: { name: { minLength: 1, maxLength: 100, pattern: "\\S" } } },
  // Admin and audit lists: at most 500 a page (0 means 100); an audit result is one of two words, or no filter.
  "wrenn.api.v1.ListAuditLogsRequest": { fields: { page_size: { maximum: 500 }, result: { enum: ["", "success", "failure"] } } },
  "wrenn.api.v1.ListUsersRequest": { fields: { page_size: { maximum: 500 } } },
  "wrenn.api.v1.ListAllTeamsRequest": { fields: { page_size: { maximum: 500 } } },
};
