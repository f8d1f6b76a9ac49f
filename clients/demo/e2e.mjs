// End-to-end driver of the demo page in headless Chromium (Debian's /usr/bin/chromium,
// never a downloaded browser), run by tests/tests/browser.rs.
//
// Environment: DAEMON_URL (https://localhost:PORT), TLS_DIR (the daemon's {data_dir}/tls:
// ca.pem, server.pem, server.key), OUT_DIR (screenshot, browser console log).
// It serves this directory and the client's build on https://127.0.0.1:<free port> (another
// origin than the daemon's) with the daemon's own certificate, trusts the daemon's CA in a
// private NSS database (HOME is a temp dir), opens the page, and talks on stdout:
//   APP <origin>       the page's origin
//   CODE <123-456>     the pairing code the page shows (the test approves it with the CLI)
//   RESULT <json>      what the page shows at the end
// Exit status 0 when the page read the Carte Vitale.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { extname, join, normalize, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const { DAEMON_URL, TLS_DIR, OUT_DIR } = process.env;
if (!DAEMON_URL || !TLS_DIR || !OUT_DIR) {
  console.error("e2e: set DAEMON_URL, TLS_DIR and OUT_DIR");
  process.exit(2);
}
mkdirSync(OUT_DIR, { recursive: true });
const consoleLog = join(OUT_DIR, "browser-console.log");
writeFileSync(consoleLog, "");

// --- the application's origin: a static https server -----------------------------------
const roots = { "/client/": join(here, "../typescript/dist/"), "/": here + "/" };
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };
const server = createServer(
  { cert: readFileSync(join(TLS_DIR, "server.pem")), key: readFileSync(join(TLS_DIR, "server.key")) },
  (req, res) => {
    const path = new URL(req.url, "https://x").pathname;
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    const rel = normalize(path.slice(prefix.length) || "index.html");
    if (rel.startsWith("..") || rel.includes("node_modules")) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(join(roots[prefix], rel));
      res.writeHead(200, { "Content-Type": types[extname(rel)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  },
);
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const appOrigin = `https://127.0.0.1:${server.address().port}`;
console.log(`APP ${appOrigin}`);

// --- trust the daemon's CA in a private NSS database ------------------------------------
const home = mkdtempSync(join(tmpdir(), "passerelle-chromium-"));
const nss = join(home, ".pki", "nssdb");
mkdirSync(nss, { recursive: true });
execFileSync("certutil", ["-d", `sql:${nss}`, "-N", "--empty-password"]);
execFileSync("certutil", ["-d", `sql:${nss}`, "-A", "-t", "C,,", "-n", "passerelle-test-ca", "-i", join(TLS_DIR, "ca.pem")]);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  env: { ...process.env, HOME: home },
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
let ok = false;
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on("console", (m) => appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
  page.on("pageerror", (e) => appendFileSync(consoleLog, `[pageerror] ${e}\n`));
  const url = `${appOrigin}/?auto=1&daemon=${encodeURIComponent(DAEMON_URL)}`;
  await page.goto(url);
  const code = await page.waitForFunction(
    () => document.body.dataset.code || document.body.dataset.error,
    null, { timeout: 20000 },
  ).then((h) => h.jsonValue());
  if (!/^\d{3}-\d{3}$/.test(code)) throw new Error(`no pairing code: ${code}`);
  console.log(`CODE ${code}`);
  await page.waitForFunction(
    () => ["lu", "error", "aucune carte Vitale"].includes(document.body.dataset.state),
    null, { timeout: 60000 },
  );
  await page.screenshot({ path: join(OUT_DIR, "demo.png"), fullPage: true });
  const result = await page.evaluate(() => ({
    origin: location.origin,
    state: document.body.dataset.state,
    error: document.body.dataset.error ?? null,
    readers: [...document.querySelectorAll("#readers tr")].map((tr) => tr.innerText),
    insured: document.getElementById("insured").textContent,
    nir: document.getElementById("nir").textContent,
    beneficiaries: [...document.querySelectorAll("#beneficiaries tr")].map((tr) => tr.innerText),
  }));
  console.log(`RESULT ${JSON.stringify(result)}`);
  ok = result.state === "lu";
} catch (e) {
  console.error(`e2e: ${e}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(ok ? 0 : 1);
