import type { DatabasePool } from "slonik";
import type { Logger } from "@wrenn/shared";
import { BuildServiceDefinition, TemplateServiceDefinition } from "@wrenn/gen/wrenn/api/v1/template.js";
import { createBuildRepository } from "./db/build-repository.js";
import { createTemplateRepository } from "./db/template-repository.js";
import { grpcService, type GrpcService } from "./extensions.js";
import type { HostConnection } from "./hosts/host-connection.js";
import type { HostRegistry } from "./hosts/host-registry.js";
import { createTemplateHost } from "./hosts/template-host-adapter.js";
import { createTemplateHosts } from "./hosts/template-hosts.js";
import type { SandboxLifecycle } from "./lifecycle/sandbox-lifecycle.js";
import { createBuildService } from "./rpc/build/build-service.js";
import { createTemplateService } from "./rpc/template/template-service.js";
import { createBuildFollower } from "./templates/build-follower.js";
import { createBuildOperations } from "./templates/build-operations.js";
import { createBuildWatch } from "./templates/build-watch.js";
import { createTemplateOperations } from "./templates/template-operations.js";
import { platformBaseTemplates } from "./templates/platform-templates.js";
import { createPlatformTemplateBuilds } from "./templates/platform-template-builds.js";
import { resolveSandboxTemplate } from "./templates/sandbox-template-resolver.js";
import { isBaseHostTemplate } from "./templates/template.js";

export interface TemplateParts {
  /** TemplateService and BuildService. */
  services: GrpcService[];
  /** CreateSandbox's template lookup (the E2B template falls back to the base until it is built). */
  resolve(teamId: string, ref: string): Promise<{ id: string; hostTemplateId: string }>;
  close(): Promise<void>;
}

/**
 * Templates and builds put together: the stores, the host side, the build
 * follower (resumed for every build still active, so a restarted
 * controlplane picks its builds up again), the platform's base rows (seeded
 * here, their sizes refreshed from each host that comes online), the
 * platform's built templates (started when missing, platform-template-builds.ts)
 * and the two public services.
 */
export async function createTemplateParts(deps: {
  pool: DatabasePool;
  hosts: HostRegistry;
  lifecycle: SandboxLifecycle;
  logger: Logger;
  /** Build the platform's recipe-made templates when missing (WRENN_PLATFORM_TEMPLATE_BUILDS). */
  platformBuilds: boolean;
}): Promise<TemplateParts> {
  const logger = deps.logger.child({ component: "templates" });
  const templates = createTemplateRepository(deps.pool);
  const builds = createBuildRepository(deps.pool);
  await templates.seedPlatform(platformBaseTemplates());

  const hosts = createTemplateHosts(deps.hosts);
  const watch = createBuildWatch();
  const follower = createBuildFollower({ builds, templates, hosts, logger: logger.child({ component: "build-follower" }), notify: (id) => watch.notify(id) });
  const buildOperations = createBuildOperations({ builds, templates, hosts, follower, watch, logger });
  const templateOperations = createTemplateOperations({ templates, hosts, lifecycle: deps.lifecycle, logger });

  const readBaseSizes = (hostId: string, connection: HostConnection) =>
    void (async () => {
      for (const t of await createTemplateHost(connection).listTemplates()) {
        if (isBaseHostTemplate(t.hostTemplateId) && t.vcpus && t.memoryMib && t.diskMib) {
          await templates.updatePlatformSizes(t.hostTemplateId, t);
        }
      }
    })().catch((err: unknown) => logger.warn({ hostId, err: (err as Error).message }, "reading a host's base template sizes failed"));
  // Hosts already online (registered before this ran), and each one that comes online later.
  for (const hostId of deps.hosts.onlineHostIds()) readBaseSizes(hostId, await deps.hosts.connectionFor(hostId));
  deps.hosts.onOnline(readBaseSizes);
  await follower.resumeAll();
  // After resumeAll: a build a restarted copy was following counts as active, not missing.
  // Off in test stacks that do not ask for it: a build nobody started would share their two cores and their leftover checks.
  const platformBuilds = deps.platformBuilds ? createPlatformTemplateBuilds({ templates, builds: buildOperations, logger: logger.child({ component: "platform-builds" }) }) : undefined;
  platformBuilds?.check();
  if (platformBuilds) deps.hosts.onOnline(() => platformBuilds.check());

  return {
    services: [
      grpcService(TemplateServiceDefinition, createTemplateService(templateOperations)),
      grpcService(BuildServiceDefinition, createBuildService(buildOperations, templateOperations)),
    ],
    resolve: (teamId, ref) => resolveSandboxTemplate(templates, teamId, ref),
    close: async () => {
      await platformBuilds?.close();
      await follower.close();
    },
  };
}
