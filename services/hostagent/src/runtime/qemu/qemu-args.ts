import type { Accel } from "./accel.js";
import { cpuModel } from "./accel.js";

/** How the VM's single NIC reaches the world; the device side never changes, so snapshots stay compatible. */
export type NetSpec =
  /** QEMU user networking with host→guest forwards (tests, hosts without netns). */
  | {
      kind: "user";
      hostForwards: Array<{ hostAddress: string; hostPort: number; guestAddress: string; guestPort: number }>;
      /** Let the guest open connections out (through the host, including its loopback services). Default false. */
      allowOutbound?: boolean;
    }
  /** An existing TAP device (typically inside the sandbox's netns; run QEMU there with `wrap`). */
  | { kind: "tap"; ifname: string };

export interface MachineSpec {
  accel: Accel;
  vcpus: number;
  memoryMiB: number;
  /** Guest RAM file: share=true writes RAM to the file (templates, pause); false maps it copy-on-write (clones). */
  memory: { path: string; share: boolean };
  kernel: string;
  initrd: string;
  /** Kernel command line; only used by a cold boot, a restore keeps the running kernel. */
  kernelArgs: string;
  disk: { path: string; format: "qcow2" | "raw" };
  net: NetSpec | null;
  /** Guest MAC; must match between a snapshot and its restores. */
  mac: string;
}

export interface ProcessFiles {
  qmpSocket: string;
  serialLog: string;
  pidFile: string;
  /** QEMU's stderr (a file: the VM outlives the agent). */
  stderrLog: string;
}

/**
 * The QEMU command line (without the binary). Device ids and order are fixed
 * because a restore must present exactly the devices the snapshot saved.
 */
export function qemuArgs(spec: MachineSpec, files: ProcessFiles, mode: { incoming: boolean; name?: string }): string[] {
  const args = [
    "-M", `microvm,accel=${spec.accel},pit=on,pic=on,rtc=on,memory-backend=mem`,
    "-cpu", cpuModel(spec.accel),
    "-smp", String(spec.vcpus),
    "-m", `${spec.memoryMiB}M`,
    "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
    "-object", `memory-backend-file,id=mem,size=${spec.memoryMiB}M,mem-path=${spec.memory.path},share=${spec.memory.share ? "on" : "off"}`,
    "-kernel", spec.kernel,
    "-initrd", spec.initrd,
    "-append", spec.kernelArgs,
    "-chardev", `file,id=serial0,path=${files.serialLog},append=on`,
    "-serial", "chardev:serial0",
    "-drive", `id=root,file=${spec.disk.path},format=${spec.disk.format},if=none,discard=unmap,detect-zeroes=unmap`,
    "-device", "virtio-blk-device,drive=root",
    "-object", "rng-random,id=rng0,filename=/dev/urandom",
    "-device", "virtio-rng-device,rng=rng0",
    "-qmp", `unix:${files.qmpSocket},server=on,wait=off`,
    "-pidfile", files.pidFile,
  ];
  if (spec.net) {
    args.push("-netdev", netdevArg(spec.net), "-device", `virtio-net-device,netdev=net0,mac=${spec.mac}`);
  }
  if (mode.name) args.push("-name", mode.name);
  // Restores start paused (-S) so the caller decides when the guest runs again.
  if (mode.incoming) args.push("-incoming", "defer", "-S");
  return args;
}

function netdevArg(net: NetSpec): string {
  if (net.kind === "tap") return `tap,id=net0,ifname=${net.ifname},script=no,downscript=no`;
  // The guest's /30 gateway is the slirp host address; a /24 keeps slirp's own defaults (DNS, DHCP) valid.
  const forwards = net.hostForwards.map((f) => `,hostfwd=tcp:${f.hostAddress}:${f.hostPort}-${f.guestAddress}:${f.guestPort}`).join("");
  // restrict=on keeps the guest away from the host's services and the outside; hostfwd still works.
  return `user,id=net0,net=169.254.0.0/24,host=169.254.0.22,restrict=${net.allowOutbound ? "off" : "on"}${forwards}`;
}

/** Kernel command line for a Wrenn guest. */
export function guestKernelArgs(tscKhz: number, extra: string[] = []): string {
  return ["console=ttyS0", "quiet", "panic=-1", "reboot=t", `tsc_early_khz=${tscKhz}`, "tsc=reliable", ...extra].join(" ");
}
