/**
 * The two scripts that bring a guest up. They are part of the image hash, so
 * editing them rebuilds the image.
 *
 * Boot path: kernel → initramfs /init (busybox: load virtio modules, mount
 * /dev/vda, switch_root) → /sbin/wrenn-init on the real root (PID 1: mounts,
 * hostname, network, supervises envd). systemd is not used: under TCG it
 * would add seconds to every cold boot.
 */

/** Virtio modules in dependency order; the Debian cloud kernel builds them as modules. */
export const guestModules = [
  "kernel/drivers/virtio/virtio_ring.ko",
  "kernel/drivers/virtio/virtio.ko",
  "kernel/drivers/virtio/virtio_mmio.ko",
  "kernel/drivers/block/virtio_blk.ko",
  "kernel/net/core/failover.ko",
  "kernel/drivers/net/net_failover.ko",
  "kernel/drivers/net/virtio_net.ko",
  "kernel/drivers/char/virtio_console.ko",
  "kernel/drivers/char/hw_random/virtio-rng.ko",
  "kernel/fs/overlayfs/overlay.ko",
];

/** Guest network defaults; every VM (and every clone of a template) uses the same ones. */
export const guestNetwork = {
  address: "169.254.0.21",
  prefix: 30,
  gateway: "169.254.0.22",
  mac: "52:54:00:a9:00:15",
  envdPort: 49983,
};

export const guestUser = { name: "wrenn-user", uid: 1000 };

/** Paths inside the root filesystem. */
export const guestPaths = {
  init: "/sbin/wrenn-init",
  envd: "/opt/wrenn/envd.mjs",
  /** Built beside envd's bundle (services/envd/native/wrenn-clock.c); copied with it. */
  clockHelper: "/opt/wrenn/wrenn-clock",
  node: "/usr/bin/node",
  busybox: "/opt/wrenn/busybox",
};

export function initramfsInit(): string {
  return `#!/bin/busybox sh
# Wrenn initramfs: load the virtio drivers, mount the root disk, hand over.
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /newroot
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
say() { echo "wrenn-initramfs[$(cut -d' ' -f1 /proc/uptime)]: $*" > /dev/console; }
for m in ${guestModules.map((m) => m.split("/").pop()).join(" ")}; do
  insmod /lib/modules/$m || say "insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
if ! mount -t ext4 -o rw,noatime /dev/vda /newroot; then
  say "cannot mount /dev/vda"; sleep 1; echo o > /proc/sysrq-trigger
fi
say "root mounted"
umount /proc
mount --move /dev /newroot/dev
exec switch_root /newroot ${guestPaths.init}
`;
}

/**
 * PID 1 on the root disk. Network values may be overridden on the kernel
 * command line (wrenn.ip=ADDR/PREFIX wrenn.gw=ADDR wrenn.hostname=NAME), but a
 * snapshot freezes them: clones keep the template's address, which is why
 * each sandbox lives in its own network namespace on the host.
 */
export function wrennInit(): string {
  const bb = guestPaths.busybox;
  return `#!/bin/sh
# Wrenn guest init (PID 1): mounts, hostname, network, then supervise envd.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
ip=${guestNetwork.address}/${guestNetwork.prefix}
gw=${guestNetwork.gateway}
name=wrenn
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    wrenn.ip=*) ip=\${arg#wrenn.ip=} ;;
    wrenn.gw=*) gw=\${arg#wrenn.gw=} ;;
    wrenn.hostname=*) name=\${arg#wrenn.hostname=} ;;
  esac
done
say() { echo "wrenn-init[$(cut -d' ' -f1 /proc/uptime)]: $*" > /dev/console; }
${bb} hostname "$name"
echo "$name" > /etc/hostname
${bb} ip link set lo up
${bb} ip addr add "$ip" dev eth0 && ${bb} ip link set eth0 up && ${bb} ip route add default via "$gw" || say "network setup failed"
say "network up ($ip via $gw), starting envd"
# envd is supervised: if it dies it is restarted, so the sandbox stays reachable.
# It listens on the guest's own address only (not loopback, not 0.0.0.0) and
# refuses peers that are local addresses: only the host side of the channel reaches it.
while true; do
  HOME=/root WRENN_ENVD_LISTEN="\${ip%/*}:${guestNetwork.envdPort}" WRENN_ENVD_DEFAULT_USER=${guestUser.name} WRENN_ENVD_SET_HOSTNAME=1 WRENN_ENVD_CLOCK_HELPER=${guestPaths.clockHelper} \\
    ${guestPaths.node} ${guestPaths.envd} </dev/null >/dev/console 2>&1
  say "envd exited with $?, restarting"
  sleep 1
done
`;
}
