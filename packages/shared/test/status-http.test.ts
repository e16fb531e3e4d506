import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc-common";
import { httpStatusFor, statusName } from "../src/status-http.js";

// Written out by hand rather than derived from the table under test, so a
// changed row in status-http.ts shows up here as a failure to look at.
const expected: [Status, number][] = [
  [Status.OK, 200],
  [Status.CANCELLED, 499],
  [Status.UNKNOWN, 500],
  [Status.INVALID_ARGUMENT, 400],
  [Status.DEADLINE_EXCEEDED, 504],
  [Status.NOT_FOUND, 404],
  [Status.ALREADY_EXISTS, 409],
  [Status.PERMISSION_DENIED, 403],
  [Status.RESOURCE_EXHAUSTED, 429],
  [Status.FAILED_PRECONDITION, 400],
  [Status.ABORTED, 409],
  [Status.OUT_OF_RANGE, 400],
  [Status.UNIMPLEMENTED, 501],
  [Status.INTERNAL, 500],
  [Status.UNAVAILABLE, 503],
  [Status.DATA_LOSS, 500],
  [Status.UNAUTHENTICATED, 401],
];

describe("httpStatusFor", () => {
  it.each(expected)("maps gRPC status %i to HTTP %i", (code, http) => {
    expect(httpStatusFor(code)).toBe(http);
  });

  it("covers every gRPC status code (a new one must get a row here)", () => {
    const codes = Object.values(Status).filter((v): v is Status => typeof v === "number");
    expect(codes.sort((a, b) => a - b)).toEqual(expected.map(([code]) => code).sort((a, b) => a - b));
  });

  it("answers 500 for a code outside the table instead of undefined", () => {
    expect(httpStatusFor(99 as Status)).toBe(500);
  });
});

describe("statusName", () => {
  it("gives the canonical name clients see in the JSON `code` field", () => {
    expect(statusName(Status.NOT_FOUND)).toBe("NOT_FOUND");
    expect(statusName(Status.RESOURCE_EXHAUSTED)).toBe("RESOURCE_EXHAUSTED");
    expect(statusName(Status.OK)).toBe("OK");
  });

  it("says UNKNOWN for a code it does not know", () => {
    expect(statusName(99 as Status)).toBe("UNKNOWN");
  });
});
