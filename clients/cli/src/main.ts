// `./wrenn template …`: build templates from a recipe and list them, through
// the public gRPC API (what any client can do; nothing here is privileged).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ClientError, createChannel, createClientFactory, Metadata, Status, type ClientMiddleware } from "nice-grpc";
import { BuildServiceDefinition, TemplateServiceDefinition } from "@wrenn/gen/wrenn/api/v1/template.js";
import { parseTemplateArgs, usage, UsageError } from "./args.js";
import { buildTemplate } from "./build-command.js";
import { resolveConnection } from "./connection.js";
import { templateTable } from "./template-table.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function bearer(apiKey: string): ClientMiddleware {
  return async function* withKey(call, options) {
    const metadata = Metadata(options.metadata);
    metadata.set("authorization", `Bearer ${apiKey}`);
    return yield* call.next(call.request, { ...options, metadata });
  };
}

const stdout = {
  write: (t: string) => void process.stdout.write(t),
  isTTY: process.stdout.isTTY === true,
  get columns() {
    return process.stdout.columns;
  },
};
const stderr = { write: (t: string) => void process.stderr.write(t), isTTY: process.stderr.isTTY === true };

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseTemplateArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`error: ${e.message}\n${usage}\n`);
      return 2;
    }
    throw e;
  }
  if (command.command === "help") {
    stdout.write(`${usage}\n`);
    return 0;
  }
  const { address, apiKey } = resolveConnection(process.env, repoRoot);
  const channel = createChannel(address);
  const factory = createClientFactory().use(bearer(apiKey));
  try {
    if (command.command === "list") {
      const { templates } = await factory.create(TemplateServiceDefinition, channel).listTemplates({});
      stdout.write(templateTable(templates));
      return 0;
    }
    // ./wrenn changes to the repository; the caller's directory is where -f and --archive are relative to.
    const cwd = process.env.WRENN_CLI_CWD || process.cwd();
    return await buildTemplate(factory.create(BuildServiceDefinition, channel), command, cwd, stdout, stderr);
  } catch (e) {
    if (e instanceof ClientError && e.code === Status.UNAVAILABLE) {
      throw new Error(`cannot reach the Wrenn API at ${address} (is ./wrenn up running? WRENN_API_ADDR sets another address)`);
    }
    throw e;
  } finally {
    channel.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const message = e instanceof ClientError ? `${e.details} (${Status[e.code]})` : (e as Error).message;
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  },
);
