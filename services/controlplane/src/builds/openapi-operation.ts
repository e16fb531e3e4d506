/** POST /v1/builds as /openapi.json lists it. */

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
});

const specFields = {
  name: { type: "string", description: "The template to make: \"name\" or \"name:tag\"." },
  recipe: { type: "string", description: "One instruction a line: FROM, RUN, START, READY, USER, COPY, ENV, WORKDIR." },
  vcpus: { type: "integer", minimum: 0 },
  memory_mib: { type: "integer", minimum: 0 },
  disk_mib: { type: "integer", minimum: 0 },
  platform: { type: "string", enum: ["true", "false"] },
  step_timeout_seconds: { type: "integer", minimum: 0 },
};

export const createBuildOperation: Record<string, unknown> = {
  operationId: "BuildService_CreateBuild",
  tags: ["BuildService"],
  summary: "Start a template build",
  description:
    "Queues a build of a recipe on a host that can build templates and answers with the build; follow it with GET /v1/builds/{build_id}/events. " +
    "`multipart/form-data`: the spec's fields, then (optionally) the archive COPY reads from as a file part named `archive` (tar, tar.gz or zip), streamed as it arrives. " +
    "`application/json`: a BuildSpec, without an archive.",
  requestBody: {
    required: true,
    content: {
      "multipart/form-data": {
        schema: { type: "object", properties: { ...specFields, archive: { type: "string", format: "binary" } }, required: ["name", "recipe"] },
        encoding: { archive: { contentType: "application/octet-stream" } },
      },
      "application/json": {
        schema: {
          type: "object",
          additionalProperties: false,
          required: ["name", "recipe"],
          properties: {
            name: specFields.name,
            recipe: specFields.recipe,
            vcpus: specFields.vcpus,
            memoryMib: specFields.memory_mib,
            diskMib: specFields.disk_mib,
            platform: { type: "boolean" },
            stepTimeoutSeconds: specFields.step_timeout_seconds,
          },
        },
      },
    },
  },
  responses: {
    "200": { description: "The build, queued or running", content: { "application/json": { schema: { type: "object", properties: { build: { $ref: "#/components/schemas/wrenn.api.v1.Build" } } } } } },
    "400": error("A bad spec or recipe (the message names the line), a malformed body, or no host that can build templates (FAILED_PRECONDITION)"),
    "401": error("No or a bad credential (checked before the body is read)"),
    "403": error("A platform build by someone who is not a platform admin"),
    "413": error("The archive is larger than the host accepts"),
    "415": error("Neither multipart/form-data nor application/json"),
    default: error("Any other failure: the gRPC status's HTTP code (429, 503, …)"),
  },
};
