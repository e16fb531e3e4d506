/** The two raw file routes as /openapi.json lists them (path parameters are added by the gateway). */

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
});

const userParameter = {
  name: "user",
  in: "query",
  required: false,
  description: "The sandbox user whose rights apply, who owns written files, and whose home relative paths start from (default: the sandbox's default user).",
  schema: { type: "string" },
};

const commonErrors = {
  "400": error("Bad query or body"),
  "401": error("No or a bad credential (checked before the body is read)"),
  "403": error("The sandbox user may not do this"),
  "404": error("No such sandbox (or another team's), or no such file"),
  "409": error("The sandbox is not running"),
  default: error("Any other failure: the gRPC status's HTTP code (429, 503, …)"),
};

export const uploadOperation: Record<string, unknown> = {
  operationId: "FilesystemService_UploadFiles",
  tags: ["FilesystemService"],
  summary: "Upload files",
  description:
    "Streams the body into the sandbox. `application/octet-stream`: one file, written to `path`. " +
    "`multipart/form-data`: every part is a file written where its filename says: an absolute path, or relative to `path` (a directory) or to the user's home. " +
    "`Content-Encoding: gzip` bodies are inflated while they stream. Files are owned by `user`. Answers the written entries in order.",
  parameters: [
    { name: "path", in: "query", required: false, description: "The file (octet-stream; required) or the directory relative filenames go under (multipart).", schema: { type: "string" } },
    userParameter,
  ],
  requestBody: {
    required: true,
    content: {
      "application/octet-stream": { schema: { type: "string", format: "binary" } },
      "multipart/form-data": { schema: { type: "object", additionalProperties: { type: "string", format: "binary" } } },
    },
  },
  responses: {
    "200": {
      description: "The files as written",
      content: {
        "application/json": {
          schema: { type: "object", properties: { entries: { type: "array", items: { $ref: "#/components/schemas/wrenn.envd.v1.EntryInfo" } } } },
        },
      },
    },
    ...commonErrors,
    "415": error("Neither octet-stream nor multipart, or an encoding other than gzip"),
  },
};

export const downloadOperation: Record<string, unknown> = {
  operationId: "FilesystemService_DownloadFile",
  tags: ["FilesystemService"],
  summary: "Download a file",
  description: "The file's bytes as the body, with Content-Length, a content type from its extension and Content-Disposition: attachment. A transfer that fails midway is cut, never ended short.",
  parameters: [{ name: "path", in: "query", required: true, description: "The file to read.", schema: { type: "string" } }, userParameter],
  responses: {
    "200": {
      description: "The file; its type from the extension (text/plain, image/png, …), else application/octet-stream",
      content: { "*/*": { schema: { type: "string", format: "binary" } } },
    },
    ...commonErrors,
  },
};
