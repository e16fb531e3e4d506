import { execFile } from "node:child_process";
import type { Logger } from "@wrenn/shared";

/** Drift below this is left to the guest's own clock. */
const toleranceMs = 1_000;

/**
 * After a restore the guest clock is wherever it was at snapshot time. Set it
 * from the host's clock when it is off by more than a second. Needs
 * CAP_SYS_TIME; without it the failure is logged and Init still succeeds.
 */
export async function correctClock(hostNowMs: number, logger: Logger): Promise<void> {
  const driftMs = hostNowMs - Date.now();
  if (Math.abs(driftMs) <= toleranceMs) return;
  const seconds = (hostNowMs / 1000).toFixed(3);
  await new Promise<void>((resolve) => {
    execFile("date", ["-u", "-s", `@${seconds}`], { timeout: 2_000 }, (err) => {
      if (err) logger.warn({ driftMs, err: err.message }, "could not set the guest clock");
      else logger.info({ driftMs }, "guest clock corrected");
      resolve();
    });
  });
}
