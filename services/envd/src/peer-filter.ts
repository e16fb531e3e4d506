import { networkInterfaces } from "node:os";
import type { Socket } from "node:net";

/** "::ffff:10.0.0.1" → "10.0.0.1": an IPv4 peer on a dual-stack socket. */
function plain(address: string): string {
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}

/** Loopback, or an address of one of this machine's interfaces (read fresh: addresses can change). */
export function isLocalAddress(address: string): boolean {
  const a = plain(address);
  if (a.startsWith("127.") || a === "::1") return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (plain(info.address) === a) return true;
  }
  return false;
}

/**
 * In a VM envd listens on the guest's own address, and the only legitimate
 * peer is the host on the far side of the sandbox's channel. A process in
 * the guest that connects to that address does so from a local address:
 * refused. Unix sockets carry no address; their protection is the file's
 * mode and where the file is visible (see the README).
 */
export function createPeerFilter(refuseLocal: boolean, onRefused: (peer: string) => void): (socket: Socket) => boolean {
  return (socket) => {
    const peer = socket.remoteAddress;
    if (!refuseLocal || peer === undefined) return true;
    if (!isLocalAddress(peer)) return true;
    onRefused(peer);
    return false;
  };
}
