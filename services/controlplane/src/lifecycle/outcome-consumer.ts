import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "@wrenn/shared";
import type { EventBus, Subscription } from "../events/event-bus.js";
import type { SandboxLifecycle } from "./sandbox-lifecycle.js";

/** Every controlplane joins this group; each outcome is applied by one of them. */
export const outcomeConsumerGroup = "controlplane-outcomes";

/**
 * The fallback writer: applies outcome events to the database, so an outcome
 * still lands when the controlplane that ran the host call died before
 * writing it. A failed write throws, which leaves the event pending for
 * redelivery.
 */
export async function startOutcomeConsumer(bus: EventBus, lifecycle: SandboxLifecycle, logger: Logger): Promise<Subscription> {
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  return bus.consume(outcomeConsumerGroup, consumer, async (event, meta) => {
    await lifecycle.applyEvent(event);
    logger.debug({ type: event.type, sandboxId: event.sandboxId, id: meta.id, redelivered: meta.redelivered }, "outcome applied");
  });
}
