// Demo billing page: pairs with the local Passerelle daemon, lists the readers and reads
// the Carte Vitale. The daemon's address comes from ?daemon= (default
// https://localhost:39443); ?auto=1 starts at once. Uses the TypeScript client's build.
import { PasserelleClient, PasserelleError } from "./client/index.js";

const params = new URLSearchParams(location.search);
const baseUrl = params.get("daemon") ?? "https://localhost:39443";
const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "passerelle-token:" + baseUrl;

function setState(text, error = false) {
  $("state").textContent = text;
  $("state").className = error ? "error" : "";
  document.body.dataset.state = error ? "error" : text;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

async function run() {
  $("daemon").textContent = baseUrl;
  const client = new PasserelleClient({ baseUrl, token: sessionStorage.getItem(TOKEN_KEY) ?? undefined });
  // Before pairing, only the two pairing routes answer this origin (even /v1/status
  // refuses an origin not approved).
  if (!client.token) {
    setState("jumelage");
    await client.pair({
      appName: "Démo facturation",
      scopes: ["read_cards"],
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
  setState("lecteurs");
  const readers = await client.readers();
  const tbody = $("readers");
  tbody.replaceChildren();
  for (const r of readers) {
    const row = document.createElement("tr");
    cell(row, r.name);
    cell(row, r.card ? r.card.kind : "—");
    tbody.appendChild(row);
  }
  $("readers-section").hidden = false;
  const withVitale = readers.find((r) => r.card?.kind === "vitale");
  if (!withVitale) {
    setState("aucune carte Vitale");
    return;
  }
  setState("lecture");
  const card = await client.readVitale(withVitale.name);
  $("insured").textContent = `${card.insured.last_name} ${card.insured.first_name}`;
  $("nir").textContent = card.nir.value;
  const rows = $("beneficiaries");
  rows.replaceChildren();
  for (const b of card.beneficiaries) {
    const row = document.createElement("tr");
    cell(row, `${b.last_name} ${b.first_name}`);
    cell(row, b.birth_date);
    cell(row, b.quality);
    rows.appendChild(row);
  }
  $("vitale-section").hidden = false;
  setState("lu");
}

function start() {
  run().catch((e) => {
    const text = e instanceof PasserelleError ? `${e.code} : ${e.message}` : String(e);
    setState(text, true);
    document.body.dataset.error = text;
  });
}

$("start").addEventListener("click", start);
if (params.get("auto") === "1") start();
