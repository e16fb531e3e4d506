import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

export type Accel = "kvm" | "tcg";

/**
 * Picks the accelerator. `/dev/kvm` alone proves nothing: on PVM hosts it
 * exists but only runs PVM guest kernels, and a normal guest crawls then dies.
 * So KVM needs vmx/svm in /proc/cpuinfo, no kvm_pvm module, and a probe QEMU
 * that actually initialises KVM. WRENN_QEMU_ACCEL=kvm|tcg overrides.
 */
export function detectAccel(env: NodeJS.ProcessEnv = process.env, qemuBinary = "qemu-system-x86_64"): Accel {
  const override = env.WRENN_QEMU_ACCEL;
  if (override) {
    if (override !== "kvm" && override !== "tcg") throw new Error(`WRENN_QEMU_ACCEL must be "kvm" or "tcg", not ${JSON.stringify(override)}`);
    return override;
  }
  if (!existsSync("/dev/kvm") || existsSync("/sys/module/kvm_pvm")) return "tcg";
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo)) return "tcg";
  const probe = spawnSync(
    qemuBinary,
    ["-M", "microvm,accel=kvm", "-cpu", "host,-arch-capabilities", "-nodefaults", "-no-user-config", "-display", "none", "-S", "-monitor", "stdio"],
    { input: "quit\n", timeout: 5000, stdio: ["pipe", "ignore", "ignore"] },
  );
  return probe.status === 0 ? "kvm" : "tcg";
}

/** `-cpu` for the accelerator (MSR 0x10a aborts `-cpu host` on some KVM hosts). */
export function cpuModel(accel: Accel): string {
  return accel === "kvm" ? "host,-arch-capabilities" : "max";
}

/**
 * The host TSC rate in kHz for `tsc_early_khz`: under TCG the guest reads the
 * host's TSC, and without a known rate about one boot in five hangs
 * calibrating it. WRENN_QEMU_TSC_KHZ overrides.
 */
export function hostTscKhz(env: NodeJS.ProcessEnv = process.env): number {
  const override = Number(env.WRENN_QEMU_TSC_KHZ);
  if (Number.isInteger(override) && override > 0) return override;
  const mhz = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
  return mhz ? Math.round(Number(mhz) * 1000) : 2_600_000;
}
