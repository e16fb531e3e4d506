import { execFile } from "node:child_process";
import type { Logger } from "@wrenn/shared";
import type { ClockHelper } from "./clock-helper.js";

/** Drift below this is left to the guest's own clock. */
const toleranceMs = 1_000;

export interface Clock {
  /**
   * After a restore the guest clock is wherever it was at snapshot time. Set
   * it from the host's clock when it is off by more than a second. Needs
   * CAP_SYS_TIME; without it the failure is logged and the caller goes on.
   */
  correct(hostNowMs: number): Promise<void>;
  close(): void;
}

/**
 * With a helper (the guest image passes its path; main.ts starts it at boot,
 * so that it is already running in every snapshot), the clock is set through
 * the long-lived wrenn-clock helper; otherwise, or when the helper has died,
 * through `date`, one process per correction.
 */
export function createClock(logger: Logger, helper: ClockHelper | undefined): Clock {
  async function setClock(targetMs: number): Promise<void> {
    if (helper?.alive) {
      await helper.set(targetMs);
      return;
    }
    await setWithDate(targetMs);
  }

  return {
    async correct(hostNowMs) {
      const driftMs = hostNowMs - Date.now();
      if (Math.abs(driftMs) <= toleranceMs) return;
      try {
        await setClock(hostNowMs);
        logger.info({ driftMs }, "guest clock corrected");
      } catch (err) {
        logger.warn({ driftMs, err: (err as Error).message }, "could not set the guest clock");
      }
    },
    close() {
      helper?.close();
    },
  };
}

function setWithDate(targetMs: number): Promise<void> {
  const seconds = (targetMs / 1000).toFixed(3);
  return new Promise((resolve, reject) => {
    execFile("date", ["-u", "-s", `@${seconds}`], { timeout: 2_000 }, (err) => (err ? reject(err) : resolve()));
  });
}
