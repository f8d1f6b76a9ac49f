// Demo replacement page: pairs (read_cards, prepare, sign), finds the replaced
// practitioner's CPS and the substitute's card (CPS or CPF in "remplaçant" situation) in
// the readers, lets the replaced practitioner open a session (their PIN typed here; the
// daemon has the CPS sign the opening), the substitute bill an FSE in it (created with the
// substitute's situation: the daemon bills it under the replaced practitioner's number,
// signed with the substitute's card), and the replaced practitioner close it. The
// sessions and the replacement events are shown live. ?daemon=, ?auto=1 as on index.html.
import { PasserelleClient } from "./client/index.js";
import { $, errorText, row, setState } from "./ui.js";

const params = new URLSearchParams(location.search);
const baseUrl = params.get("daemon") ?? "https://localhost:39443";
const TOKEN_KEY = "passerelle-token:" + baseUrl;
const client = new PasserelleClient({ baseUrl, token: sessionStorage.getItem(TOKEN_KEY) ?? undefined });
/** The two cards: reader names, and the substitute's replacement situation. */
const cards = { replaced: null, substitute: null, situation: null, profession: null };
let session = null;

const STATES = { open: "ouverte", closed: "close", purged: "purgée" };

/** Today in Paris, `YYYY-MM-DD`, moved by `days`. */
function parisDay(days = 0) {
  const at = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(at);
}

function fail(e) {
  $("error").textContent = errorText(e);
  document.body.dataset.error = errorText(e);
}

async function pair() {
  setState("jumelage");
  await client.pair({
    appName: "Démo remplacement",
    scopes: ["read_cards", "prepare", "sign"],
    onCode: (code) => {
      $("code").textContent = code;
      $("pairing").hidden = false;
      document.body.dataset.code = code;
    },
  });
  sessionStorage.setItem(TOKEN_KEY, client.token);
  $("pairing").hidden = true;
}

/** Finds the replaced practitioner's CPS and the substitute's card among the readers. */
async function findCards() {
  for (const r of await client.readers()) {
    if (!r.card || !["cps", "cpf"].includes(r.card.kind)) continue;
    const card = await client.readCpx(r.name);
    const sub = card.situations.find((s) => s.mode === "remplacant");
    const who = `${card.holder.last_name} ${card.holder.first_name}`;
    if (sub) {
      cards.substitute = r.name;
      cards.situation = sub;
      cards.profession = card.holder.profession;
      $("substitute").textContent = `${who}, n° ${sub.billing_number}`;
      $("substitute-reader").textContent = r.name;
    } else {
      cards.replaced = r.name;
      $("replaced").textContent = `${who}, n° ${card.situations[0].billing_number}`;
      $("replaced-reader").textContent = r.name;
    }
  }
  if (!cards.replaced || !cards.substitute) throw new Error("Insérez la CPS du remplacé et la carte du remplaçant.");
  $("cards-section").hidden = false;
  $("open-section").hidden = false;
}

async function showSessions() {
  const body = $("sessions");
  body.replaceChildren();
  for (const s of await client.replacements()) {
    const tr = row(String(s.id), s.replaced.billing_number,
      `${s.substitute.last_name} (${s.substitute.billing_number})`, `${s.start} → ${s.end}`, STATES[s.state]);
    tr.dataset.state = s.state;
    body.appendChild(tr);
  }
}

function showSession(s) {
  session = s;
  $("session-state").textContent = `n° ${s.id}, ${STATES[s.state]} (du ${s.start} au ${s.end})`;
  $("session-state").dataset.state = s.state;
  $("close").disabled = s.state !== "open";
  $("bill-section").hidden = s.state !== "open";
}

async function openSession() {
  $("error").textContent = "";
  await client.verifyPin(cards.replaced, $("replaced-pin").value);
  showSession(await client.openReplacement({
    reader: cards.replaced,
    situation: 0,
    substitute: { source: "card", reader: cards.substitute, situation: cards.situation.index },
    start: $("start").value,
    end: $("end").value,
    one_time: $("one-time").checked,
  }));
  await showSessions();
}

async function bill() {
  $("error").textContent = "";
  await client.verifyPin(cards.substitute, $("substitute-pin").value);
  const [last, ...first] = $("patient").value.trim().split(/\s+/);
  const sit = cards.situation;
  const draft = {
    practitioner: { billing_number: sit.billing_number, situation: sit.index, tariff_zone: sit.tariff_zone,
                    profession: cards.profession, speciality: sit.speciality },
    patient: { insured_nir: $("nir").value, last_name: last, first_name: first.join(" "),
               birth_date: $("birth").value },
    organism: { regime: "01", caisse: "751", centre: "0001" },
    nature: "maladie", mode: "degradee", care_date: parisDay(),
    acts: $("acts").value.split(",").map((k) => ({ nomenclature: "ngap", key: k.trim() })),
  };
  const created = (await client.createFse([draft])).results[0];
  if (created.error) throw new Error(`${created.error.message} (${created.error.code})`);
  const signed = (await client.signFse(cards.substitute, [created.fse.id], sit.index)).results[0];
  if (signed.error) throw new Error(`${signed.error.message} (${signed.error.code})`);
  const f = signed.fse;
  $("fse").hidden = false;
  $("fse-number").textContent = f.number;
  $("fse-billed-as").textContent = f.practitioner.billing_number;
  $("fse-substitute").textContent = f.replacement
    ? `${f.replacement.substitute_last_name} (${f.replacement.substitute_billing_number})` : "";
  $("fse-amount").textContent = (f.amounts.total_cents / 100).toLocaleString("fr-FR", { style: "currency", currency: "EUR" });
  $("fse-status").textContent = f.status;
  $("fse-status").dataset.status = f.status;
  document.body.dataset.fse = f.status;
}

async function closeSession() {
  $("error").textContent = "";
  showSession(await client.closeReplacement(session.id, cards.replaced));
  await showSessions();
}

async function run() {
  $("daemon").textContent = baseUrl;
  $("start-demo").hidden = true;
  $("start").value = parisDay();
  $("end").value = parisDay(2);
  if (!client.token) await pair();
  client.events((e) => {
    if (e.type !== "replacement_opened" && e.type !== "replacement_closed") return;
    const li = document.createElement("li");
    li.textContent = `${e.type} n° ${e.session_id}`;
    $("events").prepend(li);
  });
  await findCards();
  await showSessions();
  setState("prêt");
}

const guard = (f) => (ev) => {
  ev.preventDefault();
  f().catch(fail);
};
$("open-form").addEventListener("submit", guard(openSession));
$("bill-form").addEventListener("submit", guard(bill));
$("close").addEventListener("click", guard(closeSession));
$("start-demo").addEventListener("click", () => run().catch(fail), { once: true });
if (params.get("auto") === "1") run().catch(fail);
