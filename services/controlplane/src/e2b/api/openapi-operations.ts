/** The E2B face's routes as /openapi.json lists them (tag "E2B compatibility"). */

const tags = ["E2B compatibility"];
const stringMap = { type: "object", additionalProperties: { type: "string" } };
/** A request field may also be null, which reads as not given (as a generated client may send it). */
const orNull = (schema: { type: string } & Record<string, unknown>) => ({ ...schema, type: [schema.type, "null"] });
const timeout = orNull({ type: "integer", minimum: 0, maximum: 7 * 24 * 3600, description: "Seconds." });
const json = (schema: unknown) => ({ "application/json": { schema } });

const errorSchema = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "integer", description: "The HTTP status" }, message: { type: "string" } },
};
const error = (description: string) => ({ description, content: json(errorSchema) });
const errors = {
  "400": error("A malformed body or query, or a sandbox in the wrong state"),
  "401": error("No or a bad X-API-KEY"),
  "404": error("No such sandbox (also for one already killed)"),
  default: error("Any other failure (429 with Retry-After when the create rate limit is reached, 403, 503)"),
};

const sandboxSchema = {
  type: "object",
  required: ["sandboxID", "templateID", "clientID", "envdVersion"],
  properties: {
    sandboxID: { type: "string", description: "\"sb\" and 32 hex digits" },
    templateID: { type: "string" },
    clientID: { type: "string" },
    envdVersion: { type: "string" },
    envdAccessToken: { type: "string" },
    trafficAccessToken: { type: "string" },
    domain: { type: "string" },
  },
};
const listedProperties = {
  sandboxID: { type: "string" },
  templateID: { type: "string" },
  clientID: { type: "string" },
  startedAt: { type: "string", format: "date-time" },
  endAt: { type: "string", format: "date-time" },
  cpuCount: { type: "integer" },
  memoryMB: { type: "integer" },
  diskSizeMB: { type: "integer" },
  state: { type: "string", enum: ["running", "paused"] },
  envdVersion: { type: "string" },
  metadata: stringMap,
};
const listedRequired = ["sandboxID", "templateID", "clientID", "startedAt", "endAt", "cpuCount", "memoryMB", "diskSizeMB", "state", "envdVersion"];
const listedSchema = { type: "object", required: listedRequired, properties: listedProperties };
const detailSchema = {
  type: "object",
  required: listedRequired,
  properties: { ...listedProperties, envdAccessToken: { type: "string" }, domain: { type: "string" } },
};
const metricSchema = {
  type: "object",
  properties: {
    timestamp: { type: "string", format: "date-time" },
    timestampUnix: { type: "integer" },
    cpuCount: { type: "integer" },
    cpuUsedPct: { type: "number" },
    memUsed: { type: "integer" },
    memTotal: { type: "integer" },
    memCache: { type: "integer" },
    diskUsed: { type: "integer" },
    diskTotal: { type: "integer" },
  },
};

const createBody = {
  required: false,
  content: json({
    type: "object",
    properties: {
      templateID: orNull({ type: "string", description: "Default \"base\"" }),
      timeout: { ...timeout, description: "Seconds until the sandbox is killed (or paused with autoPause); default 300, 0 = none." },
      metadata: orNull(stringMap),
      envVars: orNull(stringMap),
      autoPause: orNull({ type: "boolean" }),
      autoResume: orNull({ type: "object", properties: { enabled: orNull({ type: "boolean" }) } }),
      allow_internet_access: orNull({ type: "boolean" }),
      network: orNull({
        type: "object",
        properties: { allowPublicTraffic: orNull({ type: "boolean", description: "Default true: the sandbox's ports need no credential through the proxy." }) },
      }),
    },
  }),
};
const timeoutBody = (required: boolean) => ({
  required: false,
  content: json({ type: "object", ...(required ? { required: ["timeout"] } : {}), properties: { timeout } }),
});

export const operations = {
  create: {
    tags,
    summary: "Create a sandbox (E2B)",
    description: "E2B's create: CreateSandbox with wait_ready, answered once the sandbox runs.",
    requestBody: createBody,
    responses: { "201": { description: "The running sandbox", content: json(sandboxSchema) }, ...errors },
  },
  get: {
    tags,
    summary: "A sandbox's detail (E2B)",
    responses: { "200": { description: "The sandbox", content: json(detailSchema) }, ...errors },
  },
  list: {
    tags,
    summary: "List sandboxes (E2B)",
    description: "Oldest first; the next page's token, if any, is in the X-Next-Token header.",
    parameters: [
      { name: "metadata", in: "query", required: false, schema: { type: "string" }, description: "A query string of its own: k=v&k2=v2, keys and values percent-encoded" },
      { name: "state", in: "query", required: false, style: "form", explode: false, schema: { type: "array", items: { type: "string", enum: ["running", "paused"] } } },
      { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } },
      { name: "nextToken", in: "query", required: false, schema: { type: "string" } },
    ],
    responses: {
      "200": {
        description: "One page of sandboxes",
        headers: { "X-Next-Token": { schema: { type: "string" }, description: "The next page's token" } },
        content: json({ type: "array", items: listedSchema }),
      },
      ...errors,
    },
  },
  kill: {
    tags,
    summary: "Kill a sandbox (E2B)",
    responses: { "204": { description: "Killed" }, ...errors },
  },
  timeout: {
    tags,
    summary: "Set a sandbox's timeout (E2B)",
    requestBody: timeoutBody(true),
    responses: { "204": { description: "Set, counted from now" }, ...errors },
  },
  pause: {
    tags,
    summary: "Pause a sandbox (E2B)",
    requestBody: { required: false, content: json({ type: "object" }) },
    responses: { "204": { description: "Paused" }, "409": error("Already paused"), ...errors },
  },
  connect: {
    tags,
    summary: "Connect to a sandbox, resuming it when paused (E2B)",
    requestBody: timeoutBody(false),
    responses: {
      "200": { description: "It was running", content: json(sandboxSchema) },
      "201": { description: "It was paused and is resumed", content: json(sandboxSchema) },
      ...errors,
    },
  },
  resume: {
    tags,
    summary: "Resume a paused sandbox (E2B, deprecated: use connect)",
    requestBody: timeoutBody(false),
    responses: { "201": { description: "Resumed", content: json(sandboxSchema) }, "409": error("Already running"), ...errors },
  },
  metrics: {
    tags,
    summary: "A sandbox's resource use (E2B)",
    description: "One sample, of now.",
    parameters: [
      { name: "start", in: "query", required: false, schema: { type: "integer", minimum: 0, maximum: 999999999999 } },
      { name: "end", in: "query", required: false, schema: { type: "integer", minimum: 0, maximum: 999999999999 } },
    ],
    responses: { "200": { description: "The sample", content: json({ type: "array", items: metricSchema }) }, ...errors },
  },
};
