import { describe, expect, it } from "vitest";
import { SandboxStatus, Sandbox } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { listQueryOf, pageOf } from "../../../src/e2b/api/list-query.js";

/** The query exactly as the SDK builds it: pairs encoded, joined as a query string, then sent as one parameter. */
function sdkQuery(metadata: Record<string, string>, extra: Record<string, string> = {}): string {
  const pairs = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)]));
  return new URLSearchParams({ metadata: new URLSearchParams(pairs).toString(), ...extra }).toString();
}

const sandbox = (n: number, createdMs: number) =>
  Sandbox.fromPartial({ sandboxId: `sb-${n.toString(16).padStart(32, "0")}`, status: SandboxStatus.SANDBOX_STATUS_RUNNING, createdAt: new Date(createdMs) });

describe("E2B list query", () => {
  it("decodes the SDK's doubly encoded metadata filter, odd characters included", () => {
    const query = listQueryOf(sdkQuery({ "a b": "x&y=z", plain: "ä%" }, { state: "running,paused", limit: "2" }));
    expect(query.metadata).toEqual(["a b=x&y=z", "plain=ä%"]);
    expect([...query.states].sort()).toEqual(["paused", "running"]);
    expect(query.limit).toBe(2);
  });

  it("refuses a bad state, limit, token or encoding with 400", () => {
    for (const bad of ["state=stopped", "limit=0", "limit=1001", "limit=x", "nextToken=abc", "metadata=%25E0%25A4%25A=1"]) {
      expect(() => listQueryOf(bad), bad).toThrow(expect.objectContaining({ httpStatus: 400 }));
    }
  });

  it("pages by the last sandbox shown, so one killed between pages skips nobody", () => {
    const all = [sandbox(3, 3000), sandbox(1, 1000), sandbox(2, 2000)];
    const first = pageOf(all, listQueryOf("limit=1"));
    expect(first.page.map((s) => s.sandboxId)).toEqual([all[1]!.sandboxId]);
    const second = pageOf(all.filter((s) => s !== all[1]), listQueryOf(`limit=1&nextToken=${first.nextToken}`));
    expect(second.page.map((s) => s.sandboxId)).toEqual([all[2]!.sandboxId]);
    const last = pageOf(all, listQueryOf(`limit=1&nextToken=${second.nextToken}`));
    expect(last.page.map((s) => s.sandboxId)).toEqual([all[0]!.sandboxId]);
    expect(last.nextToken).toBeUndefined();
  });
});
