import { loadConfig, z } from "@wrenn/shared";

/**
 * The builder's own setting, read apart from config.ts: WRENN_BUILD_CACHE_MB,
 * the step cache's budget (default 8192 MiB); past it the least recently
 * used checkpoints go after each build.
 */
export function loadBuildConfig(env: NodeJS.ProcessEnv = process.env): { cacheBudgetBytes: number } {
  const config = loadConfig(z.object({ WRENN_BUILD_CACHE_MB: z.coerce.number().int().min(0).max(16 * 1024 * 1024).default(8192) }), env);
  return { cacheBudgetBytes: config.WRENN_BUILD_CACHE_MB * 1024 * 1024 };
}
