// Load a page in headless Firefox (Debian's firefox-esr) over WebDriver BiDi, wait until its
// `#report` element is no longer PENDING, and print the page's DOM on stdout: what
// `chromium --dump-dom` gives the Chromium tests.
//
// Usage: node dump-dom.mjs URL [FIREFOX_BINARY]   (default /usr/bin/firefox-esr)
// Exits 2 when the page does not finish within 60 s.
import puppeteer from "puppeteer-core";

const [url, binary = "/usr/bin/firefox-esr"] = process.argv.slice(2);
if (!url) {
  console.error("usage: node dump-dom.mjs URL [FIREFOX_BINARY]");
  process.exit(64);
}

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: binary,
  headless: true,
  // The test machine has no network: no updates, telemetry or captive-portal probes.
  extraPrefsFirefox: {
    "app.update.enabled": false,
    "network.captive-portal-service.enabled": false,
    "toolkit.telemetry.enabled": false,
    "network.proxy.type": 0,
  },
});
let status = 0;
try {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: "load", timeout: 60_000 });
  try {
    await page.waitForFunction(
      () => document.getElementById("report")?.textContent !== "PENDING",
      { timeout: 60_000, polling: 100 },
    );
  } catch (error) {
    console.error(`the page did not finish: ${error}`);
    status = 2;
  }
  process.stdout.write(await page.content());
} finally {
  await browser.close();
}
process.exit(status);
