// End-to-end driver of the demo page in headless Chromium, run by tests/tests/browser.rs.
//
// Environment: DAEMON_URL (https://localhost:PORT), TLS_DIR (the daemon's {data_dir}/tls:
// ca.pem, server.pem, server.key), OUT_DIR (screenshots, browser console log), CPS_PIN and
// WRONG_PIN (typed into the PIN field, wrong one first), SCENARIOS (JSON: the FSE to make,
// each `{swap, insured, beneficiary, nature, acts, ald}`: `swap` a Vitale to put in the
// reader first, `insured` the name the page then shows). The page is served from another
// https origin than the daemon's (e2e-setup.mjs). Talks on stdout, one line each:
//   APP <origin>          the page's origin
//   CODE <123-456>        the pairing code the page shows (the test approves it with the CLI)
//   WAITING_CPS <json>    the page lists the readers, the CPS reader empty: insert the CPS now
//   SWAP <spec>           put this Vitale in the Vitale reader now
//   SENT <json>           the page's lots are sent (the outbox rows): mail each lot's ARL
//                         and NOEMIE return now
//   RESULT <json>         what the page showed along the way and at the end
// Exit status 0 when the page shows every FSE signed, then sent in lots and paid.
import { mkdirSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { launchTrusting, serveApp } from "./e2e-setup.mjs";

const { DAEMON_URL, TLS_DIR, OUT_DIR, CPS_PIN, WRONG_PIN, SCENARIOS } = process.env;
if (!DAEMON_URL || !TLS_DIR || !OUT_DIR || !CPS_PIN || !WRONG_PIN || !SCENARIOS) {
  console.error("e2e: set DAEMON_URL, TLS_DIR, OUT_DIR, CPS_PIN, WRONG_PIN and SCENARIOS");
  process.exit(2);
}
const scenarios = JSON.parse(SCENARIOS);
mkdirSync(OUT_DIR, { recursive: true });
const consoleLog = join(OUT_DIR, "browser-console.log");
writeFileSync(consoleLog, "");

const { server, origin: appOrigin } = await serveApp(TLS_DIR);
console.log(`APP ${appOrigin}`);
const browser = await launchTrusting(join(TLS_DIR, "ca.pem"));

/** What the page shows in the reader table: `[{reader, card}]`. */
const readersShown = (page) =>
  page.$$eval("#readers tr", (rows) => rows.map((r) => ({ reader: r.dataset.reader, card: r.dataset.card })));
/** The text of element `id`. */
const text = (page, id) => page.$eval(`#${id}`, (e) => e.textContent);
/** Waits until `fn` (run in the page) is true, or the page shows an error. */
const until = (page, fn, arg, timeout = 20000) =>
  page.waitForFunction(
    ([src, a]) => document.body.dataset.state === "error" || new Function("a", src)(a),
    [`return (${fn})(a)`, arg],
    { timeout },
  );

const result = { origin: null };
let ok = false;
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on("console", (m) => appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
  page.on("pageerror", (e) => appendFileSync(consoleLog, `[pageerror] ${e}\n`));
  // Every GET the page makes, by path: the reader list must be fetched once, then kept
  // up to date from the event stream alone.
  // Also: no URL ever carries the token, and the event stream sends it as a header.
  const gets = {};
  const urlsWithToken = [];
  let eventsAuthorized = false;
  page.on("request", (r) => {
    if (!r.url().startsWith(DAEMON_URL)) return;
    if (/pst_|access_token/.test(r.url())) urlsWithToken.push(r.url());
    if (r.method() !== "GET") return;
    const path = new URL(r.url()).pathname;
    gets[path] = (gets[path] ?? 0) + 1;
    if (path === "/v1/events") eventsAuthorized = /^Bearer pst_/.test(r.headers()["authorization"] ?? "");
  });
  await page.goto(`${appOrigin}/?auto=1&daemon=${encodeURIComponent(DAEMON_URL)}`);
  const code = await page.waitForFunction(
    () => document.body.dataset.code || document.body.dataset.error, null, { timeout: 20000 },
  ).then((h) => h.jsonValue());
  if (!/^\d{3}-\d{3}$/.test(code)) throw new Error(`no pairing code: ${code}`);
  console.log(`CODE ${code}`);

  // Paired: the Vitale is read, the CPS reader is empty. The test inserts the CPS.
  await until(page, () => document.getElementById("insured").textContent !== "" &&
    document.getElementById("stream").textContent === "connecté", null, 60000);
  result.readersBefore = await readersShown(page);
  await page.screenshot({ path: join(OUT_DIR, "demo-waiting-cps.png"), fullPage: true });
  console.log(`WAITING_CPS ${JSON.stringify(result.readersBefore)}`);
  await until(page, () => document.querySelector('#readers tr[data-card="cps"]'));
  result.readersAfter = await readersShown(page);
  result.events = await page.$$eval("#events li", (li) => li.map((l) => l.textContent));

  // The CPS is read on its own; its PIN: a wrong one first, then the right one.
  await until(page, () => document.getElementById("pin-state").dataset.verified === "no");
  result.practitioner = await text(page, "practitioner");
  result.cpsSerial = await text(page, "cps-serial");
  result.pinBefore = await text(page, "pin-state");
  const triesBefore = await page.$eval("#pin-state", (e) => e.dataset.triesLeft);
  await page.fill("#pin", WRONG_PIN);
  await page.click("#verify");
  await until(page, () => document.getElementById("pin-error").textContent !== "");
  result.pinError = await text(page, "pin-error");
  await until(page, (before) => document.getElementById("pin-state").dataset.triesLeft !== before, triesBefore);
  result.pinAfterWrong = await text(page, "pin-state");
  await page.fill("#pin", CPS_PIN);
  await page.click("#verify");
  await until(page, () => document.getElementById("pin-state").dataset.verified === "yes");
  result.pinAfterRight = await text(page, "pin-state");
  result.pinErrorAfterRight = await text(page, "pin-error");

  // The FSE, one per scenario: a Vitale swapped in when asked (the page reads it, with
  // its rights since the CPS PIN is verified), the form filled, created, then signed.
  await until(page, () => !document.getElementById("fse-section").hidden);
  result.rights = await text(page, "rights");
  Object.assign(result, await page.evaluate(() => ({
    insured: document.getElementById("insured").textContent,
    nir: document.getElementById("nir").textContent,
    beneficiaries: [...document.querySelectorAll("#beneficiaries tr")].map((tr) => tr.innerText),
  })));
  result.fses = [];
  for (const [n, s] of scenarios.entries()) {
    if (s.swap) {
      console.log(`SWAP ${s.swap}`);
      await until(page, (name) => document.getElementById("insured").textContent === name &&
        !document.getElementById("fse-section").hidden &&
        document.body.dataset.state === "prêt à facturer", s.insured, 30000);
    }
    await page.selectOption("#beneficiary", String(s.beneficiary));
    await page.selectOption("#nature", s.nature);
    await page.fill("#acts", s.acts);
    await page.setChecked("#ald", Boolean(s.ald));
    await page.click("#create-fse");
    await until(page, () => document.body.dataset.fse || document.getElementById("fse-error").textContent);
    const draftStatus = await page.$eval("#fse-status", (e) => e.dataset.status ?? null);
    await page.click("#sign-fse");
    await until(page, () => document.body.dataset.fse === "signed" || document.getElementById("fse-error").textContent);
    await page.screenshot({ path: join(OUT_DIR, `demo-${n + 1}.png`), fullPage: true });
    result.fses.push(await page.evaluate((draft) => {
      const t = (id) => document.getElementById(id).textContent;
      const cents = (id) => document.getElementById(id).dataset.cents;
      return {
        draftStatus: draft,
        id: t("fse-id"), number: t("fse-number"), patient: t("fse-patient"),
        rights: t("fse-rights"), rate: document.getElementById("fse-rate").dataset.rate,
        rateText: t("fse-rate"), c2s: t("fse-c2s"),
        totalCents: cents("fse-amount"), amoCents: cents("fse-amo"), amcCents: cents("fse-amc"),
        patientCents: cents("fse-patient-part"), tiersPayantCents: cents("fse-tiers-payant"),
        status: document.getElementById("fse-status").dataset.status, statusText: t("fse-status"),
        signedAt: t("fse-signed-at"), error: t("fse-error"),
      };
    }, draftStatus));
  }

  // The lots: built from the signed FSE and signed with the CPS, then sent; the outbox
  // follows from the event stream until the mail server accepted each one.
  await until(page, () => !document.getElementById("lots-section").hidden);
  await page.click("#build-lots");
  await until(page, () => document.body.dataset.lotsBuilt || document.getElementById("lots-error").textContent);
  result.lotsBuilt = await page.evaluate(() => document.body.dataset.lotsBuilt ?? null);
  await page.click("#send-lots");
  await until(page, () => document.body.dataset.lotsQueued || document.getElementById("lots-error").textContent);
  result.lotsQueued = await page.evaluate(() => document.body.dataset.lotsQueued ?? null);
  await until(page, () => {
    const rows = [...document.querySelectorAll("#outbox tr")];
    return document.getElementById("lots-error").textContent ||
      (rows.length > 0 && rows.every((r) => r.dataset.state === "sent"));
  }, null, 60000);
  result.outbox = await page.$$eval("#outbox tr", (rows) =>
    rows.map((r) => ({ lot: r.dataset.lot, state: r.dataset.state, text: r.innerText })));
  await page.screenshot({ path: join(OUT_DIR, "demo-sent.png"), fullPage: true });
  console.log(`SENT ${JSON.stringify(result.outbox)}`);

  // The test mails each lot's ARL and NOEMIE return from the organism: the page shows the
  // lots acknowledged and the FSE paid, from the event stream alone.
  await until(page, () => {
    const lots = [...document.querySelectorAll("#lots tr")];
    const fse = [...document.querySelectorAll("#recon-fse tr")];
    return document.getElementById("lots-error").textContent ||
      (lots.length > 0 && lots.every((l) => l.dataset.status === "acknowledged") &&
        fse.length > 0 && fse.every((f) => f.dataset.settlement === "paid"));
  }, null, 120000);
  Object.assign(result, await page.evaluate(() => {
    const cents = (id) => Number(document.getElementById(id).dataset.cents);
    return {
      lots: [...document.querySelectorAll("#lots tr")].map((r) => ({ lot: r.dataset.lot, status: r.dataset.status })),
      reconciliation: {
        billed: cents("recon-billed"), paid: cents("recon-paid"), rejected: cents("recon-rejected"),
        waiting: cents("recon-waiting"), overdue: cents("recon-overdue"),
      },
      reconciled: [...document.querySelectorAll("#recon-fse tr")].map((r) => ({ fse: r.dataset.fse, settlement: r.dataset.settlement })),
      lotsError: document.getElementById("lots-error").textContent,
    };
  }));
  await page.screenshot({ path: join(OUT_DIR, "demo.png"), fullPage: true });
  Object.assign(result, await page.evaluate(() => ({
    origin: location.origin,
    state: document.body.dataset.state,
    error: document.body.dataset.error ?? null,
  })));
  result.gets = gets;
  result.urlsWithToken = urlsWithToken;
  result.eventsAuthorized = eventsAuthorized;
  ok = result.fses.length === scenarios.length && result.fses.every((f) => f.status === "signed") &&
    result.reconciled.length === scenarios.length && !result.lotsError;
} catch (e) {
  console.error(`e2e: ${e}`);
} finally {
  console.log(`RESULT ${JSON.stringify(result)}`);
  await browser.close();
  server.close();
}
process.exit(ok ? 0 : 1);
