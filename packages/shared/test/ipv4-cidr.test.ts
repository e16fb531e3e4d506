import { describe, expect, it } from "vitest";
import { formatIpv4, formatIpv4Cidr, parseIpv4, parseIpv4Cidr } from "../src/ipv4-cidr.js";

const problem = (text: string) => {
  const parsed = parseIpv4Cidr(text);
  return "problem" in parsed ? parsed.problem : null;
};

describe("parseIpv4Cidr", () => {
  it("reads canonical CIDRs, the whole range and a single host", () => {
    expect(parseIpv4Cidr("198.51.100.0/24")).toEqual({ base: parseIpv4("198.51.100.0"), prefix: 24 });
    expect(parseIpv4Cidr("0.0.0.0/0")).toEqual({ base: 0, prefix: 0 });
    expect(parseIpv4Cidr("255.255.255.255/32")).toEqual({ base: 0xffffffff, prefix: 32 });
  });

  it("reads a bare address as /32", () => {
    expect(parseIpv4Cidr("8.8.8.8")).toEqual(parseIpv4Cidr("8.8.8.8/32"));
    expect(formatIpv4Cidr(parseIpv4Cidr("10.1.2.3") as { base: number; prefix: number })).toBe("10.1.2.3/32");
  });

  it("refuses host bits, naming the network meant", () => {
    expect(problem("10.0.0.1/8")).toBe("has host bits set (did you mean 10.0.0.0/8?)");
    expect(problem("198.19.0.1/24")).toBe("has host bits set (did you mean 198.19.0.0/24?)");
  });

  it("refuses what is not an IPv4 CIDR", () => {
    for (const text of ["", "example.com", "1.2.3/24", "1.2.3.0/", "1.2.3.0/x", "1.2.3.0/24/8", " 1.2.3.0/24", "1.2.3.0/24 ", "1.2.3.0/123"]) {
      expect(problem(text), text).toBe("is not an IPv4 CIDR like 198.51.100.0/24");
    }
  });

  it("says IPv6 is not supported", () => {
    expect(problem("::1/128")).toBe("is an IPv6 CIDR; only IPv4 is supported");
    expect(problem("2001:db8::/32")).toBe("is an IPv6 CIDR; only IPv4 is supported");
  });

  it("refuses octets above 255 or with leading zeros, and prefixes above 32", () => {
    expect(problem("300.1.1.0/24")).toBe("has an invalid address");
    expect(problem("010.0.0.0/8")).toBe("has an invalid address");
    expect(problem("1.2.3.0/33")).toBe("has a prefix length above 32");
  });
});

describe("formatIpv4", () => {
  it("writes the dotted quad of an unsigned 32-bit number", () => {
    expect(formatIpv4(0)).toBe("0.0.0.0");
    expect(formatIpv4(0xc6336400)).toBe("198.51.100.0");
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
  });
});
