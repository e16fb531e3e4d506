import { describe, expect, it } from "vitest";
import { isLoopback, parseProcNetTcp } from "../../src/ports/proc-net-tcp.js";

const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
`;
const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1 0000000000000000 100 0 0 10 0
   3: 000080FE00000000FF00FC00010000FE:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0000000000000000 100 0 0 10 0
`;

describe("/proc/net/tcp parsing", () => {
  it("keeps only listeners and decodes little-endian IPv4 addresses", () => {
    expect(parseProcNetTcp(tcp)).toEqual([
      { address: "127.0.0.1", port: 8080 },
      { address: "0.0.0.0", port: 22 },
    ]);
  });

  it("decodes IPv6, the unspecified address and IPv4-mapped addresses", () => {
    expect(parseProcNetTcp(tcp6)).toEqual([
      { address: "::1", port: 3000 },
      { address: "::", port: 80 },
      { address: "::ffff:127.0.0.1", port: 5000 },
      { address: "fe80::fc:ff:fe00:1", port: 443 },
    ]);
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.2", "fe80::1"].some(isLoopback)).toBe(false);
  });
});
