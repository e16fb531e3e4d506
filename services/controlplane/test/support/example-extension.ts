/**
 * An extension as a private edition would write one: a gRPC service (also
 * transcoded to HTTP from its annotations), an HTTP route, a background
 * worker and request hooks built on the caller identity found (identity's
 * hook runs first), only from what runControlPlane hands it.
 */
import { create, createFileRegistry, fromBinary, setExtension, toBinary, type DescExtension, type DescMessage } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  MethodOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { ServerError, Status, type ServiceDefinition } from "nice-grpc";
import { descriptorSetBase64 as wrennDescriptorSet } from "@wrenn/gen/descriptor.js";
import { deploymentIdOf } from "../../src/db/database.js";
import { grpcService, type ControlPlaneExtension } from "../../src/extensions.js";
import { principalOf } from "../../src/identity/principal.js";

/**
 * The example's API, as `buf build` would describe this .proto (written out
 * here so the test needs no compiler):
 *
 *   package wrenn.example.v1;
 *   message Text { string value = 1; }
 *   service EchoService {
 *     rpc Echo(Text) returns (Text) { option (google.api.http) = { get: "/v1/echo/{value}" }; }
 *   }
 */
function exampleDescriptorSet(): string {
  const wrenn = fromBinary(FileDescriptorSetSchema, Buffer.from(wrennDescriptorSet, "base64"));
  const known = createFileRegistry(wrenn);
  const http = known.getExtension("google.api.http") as DescExtension;
  const httpRule = known.getMessage("google.api.HttpRule")!;
  const options = create(MethodOptionsSchema);
  setExtension(options, http, create(httpRule, { pattern: { case: "get", value: "/v1/echo/{value}" } }) as never);
  const file = create(FileDescriptorProtoSchema, {
    name: "wrenn/example/v1/echo.proto",
    package: "wrenn.example.v1",
    syntax: "proto3",
    dependency: ["google/api/annotations.proto"],
    messageType: [
      {
        name: "Text",
        field: [{ name: "value", jsonName: "value", number: 1, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.OPTIONAL }],
      },
    ],
    service: [{ name: "EchoService", method: [{ name: "Echo", inputType: ".wrenn.example.v1.Text", outputType: ".wrenn.example.v1.Text", options }] }],
  });
  const set = create(FileDescriptorSetSchema, { file: [...wrenn.file, file] });
  return Buffer.from(toBinary(FileDescriptorSetSchema, set)).toString("base64");
}

export const exampleApi = { descriptorSetBase64: exampleDescriptorSet(), packagePrefix: "wrenn.example.v1" };

const textSchema = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(exampleApi.descriptorSetBase64, "base64"))).getMessage(
  "wrenn.example.v1.Text",
) as DescMessage;

interface Text {
  value: string;
}
const encodeText = ({ value }: Text) => toBinary(textSchema, create(textSchema, { value }));
const decodeText = (bytes: Uint8Array): Text => ({ value: (fromBinary(textSchema, bytes) as unknown as Text).value });

/** The service of that descriptor, for nice-grpc: a real protobuf service, no generated code. */
export const EchoServiceDefinition = {
  echo: {
    path: "/wrenn.example.v1.EchoService/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeText,
    requestDeserialize: decodeText,
    responseSerialize: encodeText,
    responseDeserialize: decodeText,
    options: {},
  },
} as const satisfies ServiceDefinition;

/** What the example's worker went through, in order, for the test to read. */
export interface WorkerLog {
  /** "started <deployment id>", then "stopping <deployment id>" once aborted (read while the database is still open). */
  entries: string[];
}

/** `blockedTeams`: team ids (UUIDs) the example's second hook refuses; read at each call. */
export function exampleExtension(workerLog: WorkerLog, blockedTeams: ReadonlySet<string> = new Set()): ControlPlaneExtension {
  return {
    name: "example",
    setup({ pool }) {
      return {
        grpcServices: [
          grpcService(EchoServiceDefinition, {
            async echo({ value }, context) {
              return { value: `${value} (for ${String(context.attributes.team)})` };
            },
          }),
        ],
        httpApis: [exampleApi],
        httpRoutes: [
          {
            prefix: "/v1/team",
            async handle(_req, res, request) {
              const body = JSON.stringify({ team: request.attributes.team, path: request.path });
              res.writeHead(200, { "content-type": "application/json" });
              res.end(body);
            },
          },
        ],
        workers: [
          {
            name: "deployment-watcher",
            async run(signal) {
              workerLog.entries.push(`started ${await deploymentIdOf(pool)}`);
              await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
              workerLog.entries.push(`stopping ${await deploymentIdOf(pool)}`);
            },
          },
        ],
        requestHooks: [
          // The first hook builds on the caller identity's hook found (it ran before any extension's)…
          ({ attributes }) => ({ team: principalOf({ attributes }).teamId }),
          // …and the next decides on what the first attached.
          ({ attributes }) => {
            if (blockedTeams.has(String(attributes.team))) throw new ServerError(Status.PERMISSION_DENIED, "this team may not call this");
          },
        ],
      };
    },
  };
}
