import { describe, expect, it } from "vitest";
import { ClientError } from "nice-grpc-common";
import { errors, grpcStatusOf, hasGrpcStatus, Status } from "../src/errors.js";

describe("hasGrpcStatus", () => {
  it("accepts our ServerErrors and a peer's ClientErrors", () => {
    expect(hasGrpcStatus(errors.notFound("gone"))).toBe(true);
    expect(hasGrpcStatus(new ClientError("/a.B/C", Status.UNAVAILABLE, "down"))).toBe(true);
  });

  it("accepts a plain object with a known code and string details (a grpc-js ServiceError)", () => {
    expect(hasGrpcStatus(Object.assign(new Error("14 UNAVAILABLE: down"), { code: 14, details: "down" }))).toBe(true);
  });

  it("refuses errors without a status: system errors, unknown codes, missing details", () => {
    expect(hasGrpcStatus(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(hasGrpcStatus({ code: 99, details: "x" })).toBe(false);
    expect(hasGrpcStatus({ code: Status.INTERNAL })).toBe(false);
    expect(hasGrpcStatus(new Error("boom"))).toBe(false);
    expect(hasGrpcStatus(null)).toBe(false);
    expect(hasGrpcStatus("5 NOT_FOUND: x")).toBe(false);
  });
});

describe("grpcStatusOf", () => {
  it("returns the code and details an error carries", () => {
    expect(grpcStatusOf(new ClientError("/a.B/C", Status.NOT_FOUND, "no such sandbox"))).toEqual({
      code: Status.NOT_FOUND,
      details: "no such sandbox",
    });
  });

  it("reads a status from a grpc-js style message when the error carries none", () => {
    expect(grpcStatusOf(new Error("14 UNAVAILABLE: No connection established"))).toEqual({
      code: Status.UNAVAILABLE,
      details: "No connection established",
    });
    expect(grpcStatusOf(new Error("5 NOT_FOUND: "))).toEqual({ code: Status.NOT_FOUND, details: "" });
  });

  it("refuses messages whose name is not the code's, and errors without a status", () => {
    expect(grpcStatusOf(new Error("14 NOT_FOUND: x"))).toBeUndefined();
    expect(grpcStatusOf(new Error("99 FOO: x"))).toBeUndefined();
    expect(grpcStatusOf(new Error("connect ECONNREFUSED"))).toBeUndefined();
    expect(grpcStatusOf("14 UNAVAILABLE: x")).toBeUndefined();
    expect(grpcStatusOf(undefined)).toBeUndefined();
  });
});
