// End-to-end driver of the replacement demo page (replacements.html) in headless Chromium,
// run by tests/tests/browser_replacements.rs.
//
// Environment: DAEMON_URL, TLS_DIR, OUT_DIR (as e2e.mjs), REPLACED_PIN and SUBSTITUTE_PIN
// (typed into the page). Talks on stdout, one line each:
//   APP <origin>     the page's origin
//   CODE <123-456>   the pairing code the page shows (the test approves it with the CLI)
//   RESULT <json>    what the page showed
// Exit status 0 when the page opened the session, billed a signed FSE in it and closed it.
import { mkdirSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { launchTrusting, serveApp } from "./e2e-setup.mjs";

const { DAEMON_URL, TLS_DIR, OUT_DIR, REPLACED_PIN, SUBSTITUTE_PIN } = process.env;
if (!DAEMON_URL || !TLS_DIR || !OUT_DIR || !REPLACED_PIN || !SUBSTITUTE_PIN) {
  console.error("e2e-replacements: set DAEMON_URL, TLS_DIR, OUT_DIR, REPLACED_PIN and SUBSTITUTE_PIN");
  process.exit(2);
}
mkdirSync(OUT_DIR, { recursive: true });
const consoleLog = join(OUT_DIR, "browser-console.log");
writeFileSync(consoleLog, "");

const { server, origin: appOrigin } = await serveApp(TLS_DIR);
console.log(`APP ${appOrigin}`);
const browser = await launchTrusting(join(TLS_DIR, "ca.pem"));
const text = (page, id) => page.$eval(`#${id}`, (e) => e.textContent);
/** Waits until `fn` (run in the page) is true, or the page shows an error. */
const until = (page, fn, timeout = 30000) =>
  page.waitForFunction(`document.body.dataset.error || (${fn})()`, null, { timeout });

const result = { origin: appOrigin };
let ok = false;
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.on("console", (m) => appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
  page.on("pageerror", (e) => appendFileSync(consoleLog, `[pageerror] ${e}\n`));
  await page.goto(`${appOrigin}/replacements.html?auto=1&daemon=${encodeURIComponent(DAEMON_URL)}`);
  const code = await page.waitForFunction(
    () => document.body.dataset.code || document.body.dataset.error, null, { timeout: 20000 },
  ).then((h) => h.jsonValue());
  if (!/^\d{3}-\d{3}$/.test(code)) throw new Error(`no pairing code: ${code}`);
  console.log(`CODE ${code}`);
  await until(page, () => document.body.dataset.state === "prêt", 60000);
  result.replaced = await text(page, "replaced");
  result.substitute = await text(page, "substitute");

  await page.fill("#replaced-pin", REPLACED_PIN);
  await page.click("#open");
  await until(page, () => document.getElementById("session-state").dataset.state === "open");
  result.opened = await text(page, "session-state");
  await page.screenshot({ path: join(OUT_DIR, "replacement-opened.png"), fullPage: true });

  await page.fill("#substitute-pin", SUBSTITUTE_PIN);
  await page.click("#bill");
  await until(page, () => document.body.dataset.fse === "signed");
  result.fse = {
    number: await text(page, "fse-number"),
    billedAs: await text(page, "fse-billed-as"),
    substitute: await text(page, "fse-substitute"),
    status: await text(page, "fse-status"),
  };
  await page.screenshot({ path: join(OUT_DIR, "replacement-billed.png"), fullPage: true });

  await page.click("#close");
  await until(page, () => document.getElementById("session-state").dataset.state === "closed");
  await until(page, () => document.querySelectorAll("#events li").length >= 2);
  result.closed = await text(page, "session-state");
  result.sessions = await page.$$eval("#sessions tr", (rows) => rows.map((r) => r.dataset.state));
  result.events = await page.$$eval("#events li", (li) => li.map((l) => l.textContent));
  await page.screenshot({ path: join(OUT_DIR, "replacement-closed.png"), fullPage: true });
  result.error = await page.evaluate(() => document.body.dataset.error ?? null);
  ok = !result.error && result.fse.status === "signed";
} catch (e) {
  console.error(`e2e-replacements: ${e}`);
} finally {
  console.log(`RESULT ${JSON.stringify(result)}`);
  await browser.close();
  server.close();
}
process.exit(ok ? 0 : 1);
