import { describe, expect, test } from "vitest";
import { formatBytes, parseSize, SizeParseError } from "../../src/image/size.js";

describe("parseSize", () => {
  test.each([
    ["2Gi", 2 * 2 ** 30],
    ["512Mi", 512 * 2 ** 20],
    ["5G", 5e9],
    ["100M", 1e8],
    ["64Ki", 65536],
    ["1Ti", 2 ** 40],
    ["4096", 4096],
  ])("%s is %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  test.each(["", "2GB", "2gi", "2 Gi", "1.5Gi", "-1Gi", "0", "0Gi", "Gi", "2Gi ", "02Gi", "2Pi", "9999999999999Ti"])("%j is rejected with a clear message", (text) => {
    expect(() => parseSize(text, "WRENN_DEFAULT_ROOTFS_SIZE")).toThrow(SizeParseError);
    expect(() => parseSize(text, "WRENN_DEFAULT_ROOTFS_SIZE")).toThrow(/WRENN_DEFAULT_ROOTFS_SIZE/);
  });

  test("formats sizes for messages", () => {
    expect(formatBytes(2 * 2 ** 30)).toBe("2.0 GiB");
    expect(formatBytes(512)).toBe("512 B");
  });
});
