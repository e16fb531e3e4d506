import { createChannel, createClient, type Channel } from "nice-grpc";
import { BuildServiceDefinition, TemplateServiceDefinition, type BuildServiceClient, type TemplateServiceClient, type BuildSpec } from "@wrenn/gen/wrenn/api/v1/template.js";
import { withApiKey } from "../support/test-team.js";

/** TemplateService and BuildService clients carrying one API key. */
export function templateClients(grpcAddress: string, apiKey: string): { templates: TemplateServiceClient; builds: BuildServiceClient; close(): void } {
  const channel: Channel = createChannel(grpcAddress);
  return {
    templates: createClient(TemplateServiceDefinition, channel, withApiKey(apiKey)),
    builds: createClient(BuildServiceDefinition, channel, withApiKey(apiKey)),
    close: () => channel.close(),
  };
}

export const spec = (fields: Partial<BuildSpec>): BuildSpec => ({
  name: "app",
  recipe: "RUN true\n",
  vcpus: 0,
  memoryMib: 0,
  diskMib: 0,
  platform: false,
  stepTimeoutSeconds: 0,
  ...fields,
});

/** A CreateBuild request stream: the spec, then the archive in pieces. */
export async function* buildRequests(buildSpec: BuildSpec, archive: Buffer[] = []) {
  yield { spec: buildSpec };
  for (const chunk of archive) yield { archiveChunk: chunk };
}
