import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "@wrenn/shared";
import type { EventBus, Subscription } from "../events/event-bus.js";
import type { SandboxLifecycle } from "./sandbox-lifecycle.js";

/**
 * Every controlplane of a deployment (those sharing one database) joins the
 * deployment's group; each outcome is applied by one of them. Other
 * deployments on the same stream (e.g. test stacks, each with a database of
 * its own) have groups of their own and see every event too; an event about
 * a sandbox their database does not hold changes nothing there.
 */
export function outcomeConsumerGroup(deploymentId: string): string {
  return `controlplane-outcomes:${deploymentId}`;
}

/**
 * The fallback writer: applies outcome events to the database, so an outcome
 * still lands when the controlplane that ran the host call died before
 * writing it. A failed write throws, which leaves the event pending for
 * redelivery.
 */
export async function startOutcomeConsumer(
  bus: EventBus,
  lifecycle: SandboxLifecycle,
  logger: Logger,
  deploymentId: string,
): Promise<Subscription> {
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  return bus.consume(outcomeConsumerGroup(deploymentId), consumer, async (event, meta) => {
    await lifecycle.applyEvent(event);
    logger.debug({ type: event.type, sandboxId: event.sandboxId, id: meta.id, redelivered: meta.redelivered }, "outcome applied");
  });
}
