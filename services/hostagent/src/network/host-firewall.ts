import type { EgressPolicy } from "./egress-policy.js";
import { CommandError } from "@wrenn/shared";
import { netCommand } from "./net-command.js";

/**
 * The host's side of sandbox isolation: one nftables table (`inet <prefix>`)
 * in the host namespace, out of reach of every sandbox (a VM guest never sees
 * it; the namespace runtime's processes have no CAP_NET_ADMIN and live in
 * another netns anyway).
 *
 *   input        packets from a sandbox veth to any host address: only replies
 *                to connections the host opened (envd, port proxy) pass.
 *   forward      from a sandbox veth → from_sandbox; towards a sandbox veth:
 *                only replies (nobody, not even another sandbox, opens a
 *                connection into a sandbox through the host).
 *   from_sandbox IPv6 dropped; the `egress` verdict map jumps to the
 *                sandbox's own chain by interface name; an unknown sandbox
 *                interface is dropped (fail closed).
 *   sb-<hash>    anti-spoof (source must be the sandbox's address), replies,
 *                no other sandbox, the always-denied ranges, then the policy.
 *   postrouting  MASQUERADE what leaves a sandbox towards the outside.
 *
 * Denials are REJECTs (ICMP admin-prohibited) so a blocked connect fails at
 * once inside the sandbox instead of hanging.
 */
export interface HostFirewall {
  /** Creates the table when absent (keeps the chains of live sandboxes). */
  ensure(): Promise<void>;
  /** Adds or replaces the sandbox's chain and map entry, atomically. */
  setSandbox(rule: SandboxRule): Promise<void>;
  /** Removes the sandbox's chain and map entry; a no-op when already gone. */
  removeSandbox(hash: string, ifname: string): Promise<void>;
  /** Deletes the whole table (stale cleanup). */
  destroy(): Promise<void>;
  readonly table: string;
}

export interface SandboxRule {
  hash: string;
  ifname: string;
  sandboxAddress: string;
  policy: EgressPolicy;
  deniedCidrs: string[];
}

const reject = "reject with icmpx type admin-prohibited";

export function createHostFirewall(prefix: string): HostFirewall {
  const table = `inet ${prefix}`;
  const sandboxIfs = `"${prefix}-*"`;
  const chainOf = (hash: string) => `sb-${hash}`;

  const baseRuleset = `table ${table} {
  map egress { type ifname : verdict; }
  chain input {
    type filter hook input priority filter - 5; policy accept;
    iifname ${sandboxIfs} ct state established,related accept
    iifname ${sandboxIfs} ${reject}
  }
  chain forward {
    type filter hook forward priority filter - 5; policy accept;
    iifname ${sandboxIfs} jump from_sandbox
    oifname ${sandboxIfs} ct state established,related accept
    oifname ${sandboxIfs} drop
  }
  chain from_sandbox {
    meta nfproto ipv6 drop
    iifname vmap @egress
    drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat - 5; policy accept;
    iifname ${sandboxIfs} oifname != ${sandboxIfs} masquerade
  }
}
`;

  function sandboxRules(rule: SandboxRule): string[] {
    const chain = `${table} ${chainOf(rule.hash)}`;
    const rules = [
      `ip saddr != ${rule.sandboxAddress} drop`,
      "ct state established,related accept",
      `oifname ${sandboxIfs} ${reject}`,
      ...(rule.deniedCidrs.length > 0 ? [`ip daddr { ${rule.deniedCidrs.join(", ")} } ${reject}`] : []),
      ...policyRules(rule.policy),
    ];
    return rules.map((r) => `add rule ${chain} ${r}`);
  }

  function policyRules(policy: EgressPolicy): string[] {
    switch (policy.mode) {
      case "allow-all":
        return ["accept"];
      case "deny-all":
        return [reject];
      case "allow-list":
        // One rule per CIDR: an anonymous interval set would refuse overlapping entries.
        return [...policy.cidrs.map((cidr) => `ip daddr ${cidr} accept`), reject];
    }
  }

  async function exists(): Promise<boolean> {
    try {
      await netCommand(["nft", "list", "table", ...table.split(" ")]);
      return true;
    } catch (err) {
      if (err instanceof CommandError && /No such file or directory/.test(err.stderr)) return false;
      throw err;
    }
  }

  let ensured: Promise<void> | undefined;

  return {
    table,
    ensure() {
      ensured ??= (async () => {
        if (!(await exists())) await netCommand(["nft", "-f", "-"], baseRuleset);
      })().catch((err) => {
        ensured = undefined;
        throw err;
      });
      return ensured;
    },
    async setSandbox(rule) {
      const chain = `${table} ${chainOf(rule.hash)}`;
      // add (idempotent) + flush makes this both "create" and "replace policy";
      // the element goes in last, so traffic never jumps to a half-built chain.
      const script = [
        `add chain ${chain}`,
        `flush chain ${chain}`,
        ...sandboxRules(rule),
        `add element ${table} egress { "${rule.ifname}" : jump ${chainOf(rule.hash)} }`,
        "",
      ].join("\n");
      await netCommand(["nft", "-f", "-"], script);
    },
    async removeSandbox(hash, ifname) {
      const chain = `${table} ${chainOf(hash)}`;
      try {
        await netCommand(["nft", "-f", "-"], `delete element ${table} egress { "${ifname}" }\nflush chain ${chain}\ndelete chain ${chain}\n`);
        return;
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
      }
      // Partly gone already (an earlier release, or the table was wiped): remove what is left, one by one.
      for (const step of [`delete element ${table} egress { "${ifname}" }`, `flush chain ${chain}`, `delete chain ${chain}`]) {
        try {
          await netCommand(["nft", "-f", "-"], `${step}\n`);
        } catch (err) {
          if (!(err instanceof CommandError && /No such file or directory/.test(err.stderr))) throw err;
        }
      }
    },
    async destroy() {
      ensured = undefined;
      // "add" then "delete" in one transaction succeeds whether or not the table existed.
      await netCommand(["nft", "-f", "-"], `add table ${table}\ndelete table ${table}\n`);
    },
  };
}
