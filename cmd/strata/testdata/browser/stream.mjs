// Drives headless Chromium (playwright-core) through viewer.html and prints
// one JSON document on stdout: the network log of the model's requests, the
// MSFT_lod events with their times, and the screenshots taken per level.
//
// Environment: STRATA_TEST_NODE_MODULES, STRATA_TEST_CHROMIUM, VIEWER_URL
// (viewer.html?model=…), MODEL_URL, OUT_DIR, LEVELS (levels in the model),
// LEVEL_STARTS (JSON: where each level's span starts, finest first),
// THROTTLE_BPS and LATENCY_MS (network emulation; 0 disables).
import { createRequire } from "node:module";
import path from "node:path";
import { writeFile } from "node:fs/promises";

const require = createRequire(path.join(process.env.STRATA_TEST_NODE_MODULES, "noop.js"));
const { chromium } = require("playwright-core");

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`${k} is not set`); return v; };
const modelURL = env("MODEL_URL");
const outDir = env("OUT_DIR");
const levels = Number(env("LEVELS"));
const throttle = Number(process.env.THROTTLE_BPS || 0);
const latency = Number(process.env.LATENCY_MS || 0);

const launched = Date.now();
const browser = await chromium.launch({
  executablePath: env("STRATA_TEST_CHROMIUM"),
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
  ],
});
const out = { launchMs: 0, requests: [], events: [], screenshots: [], console: [], error: null };
try {
  out.launchMs = Date.now() - launched;
  const context = await browser.newContext({ viewport: { width: 640, height: 480 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const t0 = Date.now();
  page.on("console", (m) => out.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => out.console.push(`pageerror: ${e.message}`));
  const entries = new Map();
  page.on("request", (r) => {
    if (r.url() !== modelURL) return;
    const e = { method: r.method(), range: r.headers()["range"] || "", startMs: Date.now() - t0 };
    entries.set(r, e);
    out.requests.push(e);
  });
  page.on("response", async (resp) => {
    const e = entries.get(resp.request());
    if (!e) return;
    const h = await resp.allHeaders();
    e.status = resp.status();
    e.contentLength = Number(h["content-length"] || -1);
    e.contentRange = h["content-range"] || "";
  });
  page.on("requestfinished", (r) => { const e = entries.get(r); if (e) e.endMs = Date.now() - t0; });
  page.on("requestfailed", (r) => { const e = entries.get(r); if (e) e.failed = r.failure()?.errorText || "failed"; });

  // Each finer level's request is held until the next coarser level has
  // been drawn and captured: Babylon renders on the CPU here (SwiftShader),
  // where compiling the first shaders can outlast the next level's
  // download, and a level must be on screen to be captured. The times
  // measured include these waits, as a viewer on a slow GPU would.
  const starts = JSON.parse(env("LEVEL_STARTS")); // progressiveRange[0] of each level, finest first
  let shown = -1; // highest Babylon LOD index drawn (0 is the coarsest)
  const waiters = [];
  const drawn = (index) => new Promise((resolve) => {
    if (shown >= index) resolve();
    else waiters.push({ index, resolve });
  });
  await page.route(modelURL, async (route) => {
    const m = /^bytes=(\d+)-/.exec(route.request().headers()["range"] || "");
    const level = m ? starts.indexOf(Number(m[1])) : -1;
    if (level >= 0 && level < levels - 1) {
      // Level L needs level L+1 on screen first: Babylon's index levels-2-L.
      await drawn(levels - 2 - level);
    }
    await route.continue();
  });
  const pending = [];
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  await page.exposeFunction("lodShown", async (kind, index, ms, dataURL, triangles) => {
    const ev = { kind, index, triangles, pageMs: ms, ms: Date.now() - t0 };
    out.events.push(ev);
    if (kind === "node") {
      // Babylon counts from the coarsest; the manifest's level 0 is the finest.
      const level = levels - 1 - index;
      const file = path.join(outDir, `lod${level}.png`);
      const shot = writeFile(file, Buffer.from(dataURL.slice(dataURL.indexOf(",") + 1), "base64"));
      pending.push(shot);
      await shot;
      out.screenshots.push({ level, file, ms: Date.now() - t0 });
      shown = Math.max(shown, index);
      for (const w of waiters.splice(0)) {
        if (shown >= w.index) w.resolve();
        else waiters.push(w);
      }
    }
    if (kind === "complete" || kind === "error") done();
  });
  // The page and Babylon load at full speed; the model under emulation.
  await page.goto(env("VIEWER_URL"), { waitUntil: "load" });
  if (throttle > 0) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false, latency, downloadThroughput: throttle / 8, uploadThroughput: throttle / 8,
    });
  }
  await page.evaluate(() => { window.start(); });
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("timed out waiting for the model")), 90000); });
  try {
    await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
  await Promise.all(pending);
  const state = await page.evaluate(() => window.strataState);
  if (state.error) out.error = state.error;
  out.complete = state.complete;
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  const closing = Date.now();
  await browser.close();
  out.closeMs = Date.now() - closing;
}
process.stdout.write(JSON.stringify(out));
