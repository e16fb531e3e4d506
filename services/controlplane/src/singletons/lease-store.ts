/** Named, expiring leases in the shared database: one holder per name at a time. */
export interface LeaseStore {
  /** Takes or renews `name` for `holder` for `ttlMs`; false while another holder's lease is live. */
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once, if `holder` has it, so another copy need not wait for it to expire. */
  release(name: string, holder: string): Promise<void>;
  /** Who holds a live lease on `name`, if anyone. */
  holderOf(name: string): Promise<string | undefined>;
}
