import { errors } from "@wrenn/shared";
import { formatCidr, formatIpv4, parseCidr, type Cidr } from "./ipv4.js";

/** One sandbox's /30 link between the host and its namespace. */
export interface LinkAddresses {
  index: number;
  /** The /30 as "a.b.c.d/30". */
  subnet: string;
  /** Host end of the veth (the sandbox's default gateway). */
  hostAddress: string;
  /** Namespace end of the veth: where the host reaches the sandbox's ports. */
  sandboxAddress: string;
}

export interface AddressPool {
  readonly cidr: string;
  allocate(): LinkAddresses;
  /** Marks a block as taken (a network adopted after an agent restart); throws if it already is. */
  reserve(index: number): void;
  free(index: number): void;
  inUse(): number;
}

/**
 * Hands out /30 blocks of a pool (default 10.240.0.0/16 → 16,384 sandboxes),
 * lowest free first. The pool itself is not persisted: each sandbox's
 * directory records its block, and a restarted agent reserves the blocks of
 * the sandboxes it adopts before handing out new ones.
 */
export function createAddressPool(text: string): AddressPool {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") throw errors.invalidArgument(`network pool: ${parsed}`);
  if (parsed.prefix > 30) throw errors.invalidArgument(`network pool ${text} must be /30 or larger`);
  const pool: Cidr = parsed;
  const capacity = 2 ** (30 - pool.prefix);
  const used = new Set<number>();
  let next = 0;
  return {
    cidr: formatCidr(pool),
    allocate() {
      if (used.size >= capacity) throw errors.resourceExhausted(`no free sandbox network in ${formatCidr(pool)}`);
      // Round-robin from the last allocation so a just-freed block (whose
      // conntrack entries may linger a moment) is not reused at once.
      while (used.has(next % capacity)) next++;
      const index = next % capacity;
      next = index + 1;
      used.add(index);
      const base = pool.base + index * 4;
      return { index, subnet: `${formatIpv4(base)}/30`, hostAddress: formatIpv4(base + 1), sandboxAddress: formatIpv4(base + 2) };
    },
    reserve(index) {
      if (!Number.isInteger(index) || index < 0 || index >= capacity) throw errors.invalidArgument(`network index ${index} is outside ${formatCidr(pool)}`);
      if (used.has(index)) throw errors.alreadyExists(`network index ${index} is already in use`);
      used.add(index);
    },
    free(index) {
      used.delete(index);
    },
    inUse: () => used.size,
  };
}
