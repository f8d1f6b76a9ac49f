// Demo billing page: pairs with the local Passerelle daemon (scopes read_cards, prepare,
// sign, transmit), shows the readers live from the event stream, reads the Carte Vitale
// and the CPS as they appear, verifies the CPS PIN typed in a form, then creates an FSE
// for a beneficiary of the Vitale and signs it with the CPS; builds the signed FSE into
// lots signed with the CPS, sends them, follows the outbox and the payments. The daemon's
// address comes from ?daemon= (default https://localhost:39443); ?auto=1 starts at once.
// Modules: ui.js (DOM helpers), readers.js (live list), cards.js (Vitale, CPS, PIN),
// billing.js (FSE), transmission.js (lots, outbox, reconciliation).
import { PasserelleClient } from "./client/index.js";
import { $, errorText, setState, showError } from "./ui.js";
import { LiveReaders } from "./readers.js";
import { clearCps, clearVitale, onPinSubmit, showCps, showPinStatus, showVitale } from "./cards.js";
import { FseScreen } from "./billing.js";
import { LotsScreen } from "./transmission.js";

const params = new URLSearchParams(location.search);
const baseUrl = params.get("daemon") ?? "https://localhost:39443";
const TOKEN_KEY = "passerelle-token:" + baseUrl;
const client = new PasserelleClient({ baseUrl, token: sessionStorage.getItem(TOKEN_KEY) ?? undefined });
const fseScreen = new FseScreen(client);
const lotsScreen = new LotsScreen(client);

/** The reader of each card on the page, and what was read from it. */
const cards = { vitaleReader: null, vitale: null, cpsReader: null, pinVerified: false };

/** Pairs (once per browser session) asking for the scopes the page uses. */
async function pair() {
  setState("jumelage");
  await client.pair({
    appName: "Démo facturation",
    scopes: ["read_cards", "prepare", "sign", "transmit"],
    onCode: (code) => {
      $("code").textContent = code;
      $("code-again").textContent = code;
      $("pairing").hidden = false;
      document.body.dataset.code = code;
    },
  });
  sessionStorage.setItem(TOKEN_KEY, client.token);
  $("pairing").hidden = true;
}

/** Follows the reader list: reads a card when it appears, forgets it when it leaves. */
function onReaders(readers) {
  const vitale = readers.find((r) => r.card?.kind === "vitale");
  const cps = readers.find((r) => r.card?.kind === "cps");
  if (vitale?.name !== cards.vitaleReader) {
    cards.vitaleReader = vitale?.name ?? null;
    cards.vitale = null;
    fseScreen.close();
    if (vitale) readVitale().catch(fail);
    else clearVitale();
  }
  if (cps?.name !== cards.cpsReader) {
    cards.cpsReader = cps?.name ?? null;
    cards.pinVerified = false;
    fseScreen.close();
    lotsScreen.close();
    if (cps) readCps().catch(fail);
    else clearCps();
  }
  if (!vitale || !cps) setState(!vitale ? "attente de la carte Vitale" : "attente de la CPS");
}

/** Reads the Vitale (with its rights once the CPS PIN is verified). */
async function readVitale() {
  const reader = cards.vitaleReader;
  const card = await client.readVitale(reader);
  if (reader !== cards.vitaleReader) return; // the card left meanwhile
  cards.vitale = card;
  showVitale(card);
  ready();
}

/** Reads the CPS and its PIN state. */
async function readCps() {
  const reader = cards.cpsReader;
  const card = await client.readCpx(reader);
  const pin = await client.pinStatus(reader);
  if (reader !== cards.cpsReader) return;
  showCps(card);
  showPinStatus(pin);
  cards.pinVerified = pin.verified;
  ready();
}

/** Verifies the PIN once; shows the daemon's answer, then the tries left. */
async function verifyPin(pin) {
  const reader = cards.cpsReader;
  showError("pin-error", null);
  try {
    await client.verifyPin(reader, pin);
  } catch (e) {
    showError("pin-error", e);
  }
  const st = await client.pinStatus(reader);
  showPinStatus(st);
  cards.pinVerified = st.verified;
  // The Vitale's rights open only with a verified CPS: read it again.
  if (st.verified && cards.vitaleReader) await readVitale();
}

/** Opens the FSE screen once both cards are read, the PIN verified and the rights read. */
function ready() {
  if (!cards.vitale || !cards.cpsReader || !cards.pinVerified) {
    if (cards.vitale && cards.cpsReader) setState("attente du code PIN");
    return;
  }
  if (!cards.vitale.rights) {
    setState(`droits non lus : ${cards.vitale.rights_unavailable ?? ""}`, true);
    return;
  }
  fseScreen.open(cards.vitale, cards.cpsReader);
  lotsScreen.open(cards.cpsReader, Number($("situation").value || 0));
  setState("prêt à facturer");
}

/** Shows an error the page cannot go on after. */
function fail(e) {
  const text = errorText(e);
  setState(text, true);
  document.body.dataset.error = text;
}

async function run() {
  $("daemon").textContent = baseUrl;
  $("start").hidden = true;
  // Before pairing, only the two pairing routes answer this origin (even /v1/status
  // refuses an origin not approved).
  if (!client.token) await pair();
  setState("lecteurs");
  await new LiveReaders(client, onReaders, (event) => lotsScreen.onEvent(event)).start();
}

onPinSubmit((pin) => verifyPin(pin).catch(fail));
$("start").addEventListener("click", () => run().catch(fail), { once: true });
if (params.get("auto") === "1") run().catch(fail);
