import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import type { LeaseStore } from "../singletons/lease-store.js";

const holderRow = z.object({ holder: z.string() });

export function createLeaseRepository(pool: DatabasePool): LeaseStore {
  return {
    async tryAcquire(name, holder, ttlMs) {
      // Taken when free, expired, or already ours (then only renewed). The
      // database's clock decides expiry, so copies' clocks need not agree.
      const row = await pool.maybeOne(sql.type(holderRow)`
        INSERT INTO singleton_leases (name, holder, expires_at)
        VALUES (${name}, ${holder}, clock_timestamp() + ${ttlMs} * interval '1 millisecond')
        ON CONFLICT (name) DO UPDATE
          SET holder = EXCLUDED.holder,
              expires_at = EXCLUDED.expires_at,
              acquired_at = CASE WHEN singleton_leases.holder = EXCLUDED.holder
                                 THEN singleton_leases.acquired_at ELSE clock_timestamp() END
          WHERE singleton_leases.holder = EXCLUDED.holder OR singleton_leases.expires_at < clock_timestamp()
        RETURNING holder`);
      return row?.holder === holder;
    },

    async release(name, holder) {
      await pool.query(sql.unsafe`DELETE FROM singleton_leases WHERE name = ${name} AND holder = ${holder}`);
    },

    async holderOf(name) {
      const row = await pool.maybeOne(sql.type(holderRow)`
        SELECT holder FROM singleton_leases WHERE name = ${name} AND expires_at >= clock_timestamp()`);
      return row?.holder;
    },
  };
}
