/**
 * /docs in a real browser (Debian's chromium, headless): Swagger UI renders
 * the operations, and try-it-out sends the key given under Authorize.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { useGateway } from "./gateway-fixture.js";

const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
const gw = useGateway();

describe.skipIf(!haveChromium)(`Swagger UI at /docs (needs ${chromiumPath})`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  });
  afterAll(() => browser?.close());

  it("lists the operations, loads nothing from elsewhere, and sends the authorized key with try-it-out", async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(gw.base)) foreign.push(request.url());
    });
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(err.message));
    await page.goto(`${gw.base}/docs`);
    const listSandboxes = page.locator("#operations-SandboxService-ListSandboxes");
    await listSandboxes.waitFor();

    const key = `wrn_${"k".repeat(43)}`;
    await page.locator("button.authorize").first().click();
    // The bearer scheme's form in the Authorize dialog.
    const bearer = page.locator(".auth-container").filter({ hasText: "bearer" }).first();
    await bearer.locator("input").fill(key);
    await bearer.locator("button.authorize").click();
    await page.locator("button.btn-done").first().click();

    await listSandboxes.locator(".opblock-summary").click();
    await listSandboxes.locator("button.try-out__btn").click();
    const sent = page.waitForRequest((request) => request.url().startsWith(`${gw.base}/v1/sandboxes`));
    await listSandboxes.locator("button.execute").click();
    const request = await sent;
    expect(request.headers().authorization).toBe(`Bearer ${key}`);
    await expect.poll(() => listSandboxes.locator(".live-responses-table tbody .response-col_status").first().textContent()).toContain("200");

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
