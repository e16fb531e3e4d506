import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@wrenn/shared";
import { qemuInstalled, type HostAgentConfig } from "../config.js";
import { buildImage } from "../image/build-image.js";
import { createProgress } from "../image/progress.js";
import type { RecoveredSandboxes, Runtime } from "../runtime/runtime.js";
import { createNamespaceRuntime } from "../runtime/namespace/namespace-runtime.js";
import { baseTemplateId, buildBaseTemplate } from "../runtime/namespace/template-root.js";
import { createQemuRuntime } from "../runtime/qemu/qemu-runtime.js";
import { createNetnsNetworkProvider } from "../runtime/qemu/netns-network.js";
import { createNamespaceNetworkProvider, type SandboxNetworks } from "../network/index.js";

/**
 * WRENN_RUNTIME: "qemu" and "namespace" are taken as asked (qemu failing to
 * get its image or base template is a start-up error). "auto" uses QEMU when
 * it is installed and a guest image was built before (images/current); the
 * image is brought up to date (rebuilt with progress if its inputs changed)
 * and the base template made. If any of that fails it falls back to the
 * namespace runtime and says why.
 *
 * Before anything new is made, the runtime adopts the sandboxes a previous
 * run left alive and removes the dead ones; then the networks nobody adopted
 * are removed (so the base template build and new sandboxes never collide
 * with an adopted sandbox's addresses or names).
 */
export interface SelectedRuntime {
  runtime: Runtime;
  recovered: RecoveredSandboxes;
}

export async function selectRuntime(
  config: HostAgentConfig,
  sandboxesDir: string,
  logger: Logger,
  networks?: SandboxNetworks,
): Promise<SelectedRuntime> {
  const imageBuilt = existsSync(join(config.imagesDir, "current"));
  if (config.runtime === "auto" && qemuInstalled() && !imageBuilt) {
    logger.info({ imagesDir: config.imagesDir }, "no guest image built yet; using the namespace runtime (run `npm run image` or start with WRENN_RUNTIME=qemu to use QEMU microVMs)");
  } else if (config.runtime === "qemu" || (config.runtime === "auto" && qemuInstalled())) {
    try {
      return await startQemu(config, sandboxesDir, logger, networks);
    } catch (err) {
      if (config.runtime === "qemu") throw err;
      logger.warn({ err }, "QEMU runtime unavailable; falling back to the namespace runtime");
    }
  } else if (config.runtime === "auto") {
    logger.info("qemu-system-x86_64 not found; using the namespace runtime");
  }
  return startNamespace(config, sandboxesDir, logger, networks);
}

async function recover(runtime: Runtime, logger: Logger, networks?: SandboxNetworks): Promise<RecoveredSandboxes> {
  const started = performance.now();
  const recovered = await runtime.recover();
  await networks?.removeStale();
  if (recovered.adopted.length + recovered.lost.length > 0) {
    logger.info({ adopted: recovered.adopted.length, lost: recovered.lost.length, ms: Math.round(performance.now() - started) }, "sandboxes of the previous run recovered");
  }
  return recovered;
}

async function startQemu(config: HostAgentConfig, sandboxesDir: string, logger: Logger, networks?: SandboxNetworks): Promise<SelectedRuntime> {
  // accel.ts reads WRENN_QEMU_ACCEL itself and only knows kvm|tcg.
  if (config.qemuAccel === "auto") delete process.env.WRENN_QEMU_ACCEL;
  else process.env.WRENN_QEMU_ACCEL = config.qemuAccel;
  const image = await buildImage({
    imagesDir: config.imagesDir,
    sizeBytes: config.rootfsSizeBytes,
    nodeBinary: config.nodePath,
    envdBundle: config.envdBundle,
    progress: createProgress(logger.child({ component: "image" })),
  });
  const runtime = createQemuRuntime({
    sandboxesDir,
    // A snapshot keeps its network device's state: TAP and user-net templates are not interchangeable.
    templatesDir: join(config.dataDir, "templates", networks ? "qemu-tap" : "qemu"),
    network: networks ? createNetnsNetworkProvider({ networks }) : undefined,
    image,
    logger,
    memoryMiB: config.memoryMiB,
    vcpus: config.vcpus,
  });
  const recovered = await recover(runtime, logger, networks);
  const started = performance.now();
  await runtime.prepare();
  logger.info({ ms: Math.round(performance.now() - started), image: image.hash.slice(0, 12) }, "QEMU base template ready");
  return { runtime, recovered };
}

async function startNamespace(config: HostAgentConfig, sandboxesDir: string, logger: Logger, networks?: SandboxNetworks): Promise<SelectedRuntime> {
  const baseRoot = await buildBaseTemplate(join(config.dataDir, "templates"), logger);
  const runtime = createNamespaceRuntime({
    sandboxesDir,
    templateRoots: new Map([[baseTemplateId, baseRoot]]),
    envdBundle: config.envdBundle,
    nodePath: config.nodePath,
    limits:
      config.sandboxMemoryBytes > 0 || config.sandboxPidsMax > 0
        ? { memoryBytes: config.sandboxMemoryBytes, pidsMax: config.sandboxPidsMax, cpus: config.vcpus }
        : undefined,
    network: networks ? createNamespaceNetworkProvider({ networks }) : undefined,
    logger,
  });
  return { runtime, recovered: await recover(runtime, logger, networks) };
}
