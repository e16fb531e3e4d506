export { detectAccel, hostTscKhz, cpuModel, type Accel } from "./accel.js";
export { createDiskOverlay, diskInfo, type DiskInfo } from "./disk.js";
export { machineSpecFor, userNetForEnvd, type MachineOptions } from "./machine-spec.js";
export { qemuArgs, guestKernelArgs, type MachineSpec, type NetSpec } from "./qemu-args.js";
export { bootVm, restoreVm, readSnapshotMeta, type QemuVm, type SnapshotMeta, type VmOptions, type VmStats } from "./qemu-vm.js";
export type { QemuExit } from "./qemu-process.js";
export { connectQmp, QmpError, type QmpClient, type QmpEvent } from "./qmp-client.js";
