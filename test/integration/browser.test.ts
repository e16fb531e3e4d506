import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { startHttpServer } from "./proxy-sandbox-servers.js";

// A real browser (headless Debian chromium) against a real stack: a page
// served by python's http.server in the sandbox, reached through the
// path-form port proxy with the sandbox's traffic token, opens a terminal
// over the WebSocket bridge; we type a command on the keyboard and read its
// output on the page.
const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
const ctx = useStackWithSandbox();
const site = "/tmp/browser-site";
let browser: Browser | undefined;

/** A terminal page: key presses go over the bridge, output goes into <pre id="out">, control messages into data-controls. */
const page = `<!doctype html>
<html><body>
<pre id="out"></pre>
<script>
const params = new URLSearchParams(location.hash.slice(1));
const ws = new WebSocket("ws://" + location.host + "/v1/sandboxes/" + params.get("sb") + "/pty?token=" + encodeURIComponent(params.get("key")));
ws.binaryType = "arraybuffer";
const decoder = new TextDecoder();
const out = document.getElementById("out");
ws.onmessage = (e) => {
  if (typeof e.data === "string") document.body.dataset.controls = (document.body.dataset.controls || "") + e.data + "\\n";
  else out.textContent += decoder.decode(e.data, { stream: true });
};
ws.onclose = (e) => (document.body.dataset.closed = String(e.code));
document.addEventListener("keydown", (e) => {
  const text = e.key === "Enter" ? "\\r" : e.key.length === 1 ? e.key : "";
  if (text) ws.send(new TextEncoder().encode(text));
});
</script>
</body></html>
`;

describe.skipIf(!haveChromium)(`a browser page through the proxy runs a terminal (needs ${chromiumPath})`, () => {
  beforeAll(async () => {
    const written = await ctx.client.run(ctx.sandboxId, "sh", ["-c", `mkdir -p ${site} && echo ${Buffer.from(page).toString("base64")} | base64 -d > ${site}/term.html`]);
    expect(written.exitCode).toBe(0);
    await startHttpServer(ctx.client, ctx.sandboxId, 8000, site);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("types a command and shows its output", async () => {
    const { sandbox } = await ctx.client.sandboxes.getSandbox({ sandboxId: ctx.sandboxId });
    const tab = await browser!.newPage();
    const hash = new URLSearchParams({ sb: ctx.sandboxId, key: ctx.stack.apiKey }).toString();
    // The traffic token once in the query: the proxy answers with a cookie and a redirect without it.
    await tab.goto(`${ctx.stack.httpUrl}/proxy/${ctx.sandboxId}/8000/term.html?wrenn_traffic_token=${sandbox!.trafficToken}#${hash}`);
    expect(new URL(tab.url()).searchParams.has("wrenn_traffic_token")).toBe(false);
    // Page-side expressions as strings: this file compiles without the DOM's types.
    await tab.waitForFunction(`(document.body.dataset.controls || "").includes('"started"')`);

    await tab.keyboard.type("echo browser-$((40+2))");
    await tab.keyboard.press("Enter");
    await tab.waitForFunction(`/^browser-42\\r?$/m.test(document.getElementById("out").textContent)`);

    await tab.keyboard.type("exit");
    await tab.keyboard.press("Enter");
    await tab.waitForFunction("document.body.dataset.closed !== undefined");
    expect(await tab.getAttribute("body", "data-closed")).toBe("1000");
    await tab.close();
  });
});
