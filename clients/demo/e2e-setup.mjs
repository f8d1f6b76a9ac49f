// What the end-to-end driver (e2e.mjs) needs around the page: the application's own https
// origin (a static server of this directory and of the client's build, with the daemon's
// certificate), a private NSS database trusting the daemon's CA, and Debian's Chromium
// (/usr/bin/chromium, never a downloaded browser) through playwright-core.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { extname, join, normalize, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Serves the page, `/client/` (the TypeScript client's `dist/`) and `/vendor/` (its
 * dependency, see the page's import map) on
 * `https://127.0.0.1:<free port>` with the certificate in `tlsDir`. Returns `{server, origin}`.
 */
export async function serveApp(tlsDir) {
  const roots = {
    "/client/": join(here, "../typescript/dist/"),
    "/vendor/eventsource-parser/": join(here, "../typescript/node_modules/eventsource-parser/dist/"),
    "/": here + "/",
  };
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };
  const server = createServer(
    { cert: readFileSync(join(tlsDir, "server.pem")), key: readFileSync(join(tlsDir, "server.key")) },
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
  return { server, origin: `https://127.0.0.1:${server.address().port}` };
}

/** Headless Chromium whose HOME holds a fresh NSS database trusting `caPem`. */
export async function launchTrusting(caPem) {
  const home = mkdtempSync(join(tmpdir(), "passerelle-chromium-"));
  const nss = join(home, ".pki", "nssdb");
  mkdirSync(nss, { recursive: true });
  execFileSync("certutil", ["-d", `sql:${nss}`, "-N", "--empty-password"]);
  execFileSync("certutil", ["-d", `sql:${nss}`, "-A", "-t", "C,,", "-n", "passerelle-test-ca", "-i", caPem]);
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    env: { ...process.env, HOME: home },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
}
