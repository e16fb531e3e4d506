import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Connection {
  address: string;
  apiKey: string;
}

/**
 * Where the API is and which key to use: WRENN_API_ADDR / WRENN_API_KEY, else
 * the local platform's defaults (./wrenn up listens on 127.0.0.1:50051 and
 * writes the first key to <data dir>/api-key).
 */
export function resolveConnection(env: NodeJS.ProcessEnv, repoRoot: string): Connection {
  const address = env.WRENN_API_ADDR?.trim() || "127.0.0.1:50051";
  let apiKey = env.WRENN_API_KEY?.trim() ?? "";
  if (!apiKey) {
    const file = join(env.WRENN_DATA_DIR ?? join(repoRoot, ".wrenn"), "api-key");
    try {
      apiKey = readFileSync(file, "utf8").trim();
    } catch {
      throw new Error(`no API key: set WRENN_API_KEY, or start the platform with ./wrenn up (it writes ${file})`);
    }
  }
  return { address, apiKey };
}
