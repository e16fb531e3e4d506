import type { Logger } from "@wrenn/shared";
import type { CleanupStack } from "../../host/cleanup-stack.js";
import type { GuestImage } from "../../image/build-image.js";
import type { NetworkRecord } from "../../network/sandbox-networks.js";
import type { SandboxHandle } from "../runtime.js";
import type { SandboxNetworkProvider } from "./network.js";
import type { MachineSpec } from "./qemu-args.js";
import type { QemuVm } from "./qemu-vm.js";

// The runtime's options and its state of one sandbox, in a file of their own
// because the runtime, its templates (which count a template's users) and
// recovery (which rebuilds the state of an adopted sandbox) all need them.

export interface QemuRuntimeOptions {
  /** DATA_DIR/sandboxes: one directory per sandbox (disk overlay, QMP socket, serial log). */
  sandboxesDir: string;
  /** DATA_DIR/templates/qemu: one directory per template snapshot. */
  templatesDir: string;
  image: GuestImage;
  logger: Logger;
  /** Guest size of the base template (fixed by its snapshot). */
  memoryMiB?: number;
  vcpus?: number;
  /** Default: user networking with envd on a loopback port. */
  network?: SandboxNetworkProvider;
}

/** The runtime's state of one sandbox, running or paused. */
export interface Running {
  handle: SandboxHandle;
  /** The sandbox's directory (disk overlay, QMP socket, logs, records, pause snapshot). */
  dir: string;
  /** Absent while paused (after a restart nothing was ever started). */
  vm?: QemuVm;
  network?: NetworkRecord;
  /** The machine as restored; a resume restores exactly this again. */
  machine: MachineSpec;
  wrap?: string[];
  stack: CleanupStack;
  destroying: boolean;
  /** Set while the sandbox is paused: QEMU is gone, its state sits in the sandbox directory. */
  paused: boolean;
  /** Adopted with its vCPUs stopped by a pause the agent's death cut short (now continued). */
  interruptedPause?: boolean;
  teardown?: Promise<void>;
}
