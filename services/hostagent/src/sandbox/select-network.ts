import { execFileSync } from "node:child_process";
import type { Logger } from "@wrenn/shared";
import type { HostAgentConfig } from "../config.js";
import { createSandboxNetworks, type SandboxNetworks } from "../network/index.js";

/**
 * Per-sandbox network namespaces when asked (or, on "auto", when this agent
 * can make them: root and nftables). Namespaces and rules a previous run left
 * behind are removed later (SandboxNetworks.removeStale), once the runtime
 * has adopted the sandboxes that are still alive.
 */
export async function prepareSandboxNetworks(config: HostAgentConfig, logger: Logger): Promise<SandboxNetworks | undefined> {
  if (config.sandboxNetwork === "isolated") return undefined;
  const capable = process.getuid?.() === 0 && hasCommand("nft") && hasCommand("ip");
  if (!capable) {
    if (config.sandboxNetwork === "netns") {
      throw new Error("WRENN_SANDBOX_NETWORK=netns needs root, nftables (nft) and iproute2 (ip)");
    }
    logger.info("per-sandbox networks need root and nftables; sandboxes get no outside network");
    return undefined;
  }
  return createSandboxNetworks({ logger, prefix: config.networkPrefix, pool: config.networkPool, rateMbit: config.sandboxRateMbit });
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
