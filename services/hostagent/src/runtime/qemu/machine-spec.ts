import type { GuestImage } from "../../image/build-image.js";
import { guestNetwork } from "../../image/guest-scripts.js";
import { detectAccel, hostTscKhz, type Accel } from "./accel.js";
import { guestKernelArgs, type MachineSpec, type NetSpec } from "./qemu-args.js";

export interface MachineOptions {
  accel?: Accel;
  vcpus?: number;
  memoryMiB?: number;
  /** Guest RAM file (under /dev/shm for speed, or the data dir). */
  memoryPath: string;
  /** true for a VM whose RAM becomes a template/pause snapshot; false for clones of a template file. */
  shareMemory: boolean;
  /** qcow2 overlay made with createDiskOverlay. */
  diskPath: string;
  net: NetSpec | null;
  /** Extra kernel arguments, e.g. wrenn.hostname=… (cold boot only). */
  kernelArgs?: string[];
}

let cachedAccel: Accel | undefined;

/** A MachineSpec for a Wrenn guest image with the defaults the guest expects (MAC, tsc). */
export function machineSpecFor(image: GuestImage, options: MachineOptions): MachineSpec {
  cachedAccel ??= detectAccel();
  return {
    accel: options.accel ?? cachedAccel,
    vcpus: options.vcpus ?? 1,
    memoryMiB: options.memoryMiB ?? 256,
    memory: { path: options.memoryPath, share: options.shareMemory },
    kernel: image.kernel,
    initrd: image.initrd,
    kernelArgs: guestKernelArgs(hostTscKhz(), options.kernelArgs),
    disk: { path: options.diskPath, format: "qcow2" },
    net: options.net,
    mac: guestNetwork.mac,
  };
}

/** User networking that forwards `hostPort` on loopback to envd in the guest. */
export function userNetForEnvd(hostPort: number): NetSpec {
  return {
    kind: "user",
    hostForwards: [{ hostAddress: "127.0.0.1", hostPort, guestAddress: guestNetwork.address, guestPort: guestNetwork.envdPort }],
  };
}
