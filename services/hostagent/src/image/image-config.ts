import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSize } from "./size.js";

export interface ImageConfig {
  dataDir: string;
  imagesDir: string;
  sizeBytes: number;
  nodeBinary: string;
  envdBundle: string;
}

const repoEnvdBundle = fileURLToPath(new URL("../../../envd/dist/envd.mjs", import.meta.url));

/**
 * Image settings from the environment, with the same data-dir default as the
 * host agent. Throws with a precise message on a bad WRENN_DEFAULT_ROOTFS_SIZE.
 */
export function loadImageConfig(env: NodeJS.ProcessEnv = process.env): ImageConfig {
  const isRoot = process.getuid?.() === 0;
  const dataDir = env.WRENN_DATA_DIR || (isRoot ? "/var/lib/wrenn" : join(homedir(), ".wrenn"));
  return {
    dataDir,
    imagesDir: join(dataDir, "images"),
    sizeBytes: parseSize(env.WRENN_DEFAULT_ROOTFS_SIZE || "2Gi", "WRENN_DEFAULT_ROOTFS_SIZE"),
    nodeBinary: env.WRENN_NODE_PATH || "/usr/bin/node",
    envdBundle: env.WRENN_ENVD_BUNDLE || repoEnvdBundle,
  };
}
