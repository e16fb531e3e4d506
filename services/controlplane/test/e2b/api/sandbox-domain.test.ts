import { describe, expect, it } from "vitest";
import { domainFor } from "../../../src/e2b/api/sandbox-domain.js";

describe("Sandbox.domain on the E2B face", () => {
  it("is the configured host with the port the request came in on, unless that is the scheme's default", () => {
    expect(domainFor("localhost:0", { localPort: 41234 })).toBe("localhost:41234");
    expect(domainFor("wrenn.example", { localPort: 80 })).toBe("wrenn.example");
    expect(domainFor("wrenn.example:8080", { localPort: 443, encrypted: true })).toBe("wrenn.example");
    expect(domainFor("wrenn.example:8080", { localPort: 8443, encrypted: true })).toBe("wrenn.example:8443");
    expect(domainFor("wrenn.example", { localPort: 443 })).toBe("wrenn.example:443");
  });
});
