/**
 * An extension as a private edition would write one: a gRPC service, an
 * HTTP route, a background worker and API-key hooks, built only from what
 * runControlPlane hands it.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { ServerError, Status, type ServiceDefinition } from "nice-grpc";
import { deploymentIdOf } from "../../src/db/database.js";
import { grpcService, type ControlPlaneExtension } from "../../src/extensions.js";

interface Text {
  value: string;
}
const encodeText = ({ value }: Text) => toBinary(StringValueSchema, create(StringValueSchema, { value }));
const decodeText = (bytes: Uint8Array): Text => ({ value: fromBinary(StringValueSchema, bytes).value });

/** A one-method service whose messages are google.protobuf.StringValue: a real protobuf service, no generated code. */
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

/** API keys of the example and the team each one belongs to. */
export const apiKeys = { team: "key-team-a", blocked: "key-team-blocked" } as const;

/** What the example's worker went through, in order, for the test to read. */
export interface WorkerLog {
  /** "started <deployment id>", then "stopping <deployment id>" once aborted (read while the database is still open). */
  entries: string[];
}

export function exampleExtension(workerLog: WorkerLog): ControlPlaneExtension {
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
          // The first hook says who is calling…
          ({ metadata }) => {
            const key = metadata.get("authorization");
            if (key === `Bearer ${apiKeys.team}`) return { team: "team-a" };
            if (key === `Bearer ${apiKeys.blocked}`) return { team: "team-blocked" };
            throw new ServerError(Status.UNAUTHENTICATED, "an API key is required");
          },
          // …and the next decides on what the first attached.
          ({ attributes }) => {
            if (attributes.team === "team-blocked") throw new ServerError(Status.PERMISSION_DENIED, "team-blocked may not call this");
          },
        ],
      };
    },
  };
}
