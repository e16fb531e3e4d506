import { sql, type DatabasePool } from "slonik";
import type { Logger } from "@wrenn/shared";

/** One thing /readyz depends on. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** Short and generic: the answer is public (no addresses, no driver messages). */
  detail: string;
}

export interface ReadinessOptions {
  pool: DatabasePool;
  /** Hosts that answered their last heartbeat. */
  onlineHostIds(): string[];
  logger: Logger;
  /** How long the database has to answer `SELECT 1`; unset: 2 s. */
  databaseTimeoutMs?: number;
}

/**
 * The checks behind /readyz: the database answers and at least one host is
 * online (without either no sandbox can be made or reached). Failures are
 * logged when a check changes state, not on every probe.
 */
export function createReadiness(options: ReadinessOptions): () => Promise<ReadinessCheck[]> {
  const timeoutMs = options.databaseTimeoutMs ?? 2_000;
  const last = new Map<string, boolean>();
  const note = (check: ReadinessCheck, err?: unknown): ReadinessCheck => {
    if (last.get(check.name) !== check.ok) {
      if (check.ok) options.logger.info({ check: check.name }, "readiness check passes");
      else options.logger.warn({ check: check.name, detail: check.detail, err: err instanceof Error ? err.message : undefined }, "readiness check fails");
      last.set(check.name, check.ok);
    }
    return check;
  };

  async function database(): Promise<ReadinessCheck> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([options.pool.query(sql.unsafe`SELECT 1`), late]);
      return note({ name: "database", ok: true, detail: "answers" });
    } catch (err) {
      return note({ name: "database", ok: false, detail: "does not answer" }, err);
    } finally {
      clearTimeout(timer);
    }
  }

  return async () => {
    const online = options.onlineHostIds().length;
    const hosts = note({ name: "hosts", ok: online > 0, detail: online > 0 ? `${online} online` : "no host online" });
    return [await database(), hosts];
  };
}
