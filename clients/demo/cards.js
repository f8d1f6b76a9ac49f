// The two cards on the page: the patient's Carte Vitale and the practitioner's CPS with
// its PIN form. Each function shows what the daemon answered, nothing computed here.
import { $, row, showError } from "./ui.js";

/** Shows a Carte Vitale as read (`VitaleCard`), rights included when present. */
export function showVitale(card) {
  $("insured").textContent = `${card.insured.last_name} ${card.insured.first_name}`;
  $("nir").textContent = card.nir.value;
  $("beneficiaries").replaceChildren(
    ...card.beneficiaries.map((b) => row(`${b.last_name} ${b.first_name}`, b.birth_date, b.quality)),
  );
  $("rights").textContent = card.rights
    ? `Droits : régime ${card.rights.regime}, caisse ${card.rights.caisse}, centre ${card.rights.centre}`
    : card.rights_unavailable ?? "Droits non lus.";
  $("vitale-section").hidden = false;
}

/** Hides the Vitale (the card left its reader). */
export function clearVitale() {
  $("vitale-section").hidden = true;
  $("beneficiaries").replaceChildren();
}

/** Shows a CPS as read (`CpxCard`): the practitioner and the situations that may sign. */
export function showCps(card) {
  const h = card.holder;
  $("practitioner").textContent = `${h.civility} ${h.first_name} ${h.last_name}`;
  $("cps-serial").textContent = card.serial;
  $("situation").replaceChildren(
    ...card.situations
      .filter((s) => s.may_sign_invoice)
      .map((s) => {
        const o = document.createElement("option");
        o.value = String(s.index);
        // What the FSE names of its situation, as read from the CPS (tariffs by zone and
        // profession; the CPS that signs must have this very situation).
        o.dataset.billing = s.billing_number;
        o.dataset.tariffZone = s.tariff_zone;
        o.dataset.profession = h.profession;
        o.dataset.speciality = s.speciality;
        o.textContent = `${s.billing_number} — ${s.structure_name}`;
        return o;
      }),
  );
  $("cps-section").hidden = false;
}

/** Hides the CPS (the card left its reader: its verified PIN is gone with it). */
export function clearCps() {
  $("cps-section").hidden = true;
  $("pin-state").textContent = "";
  $("pin-state").dataset.verified = "";
  showError("pin-error", null);
}

/** Shows a PIN state (`PinStatus`). */
export function showPinStatus(st) {
  const state = st.blocked ? "carte bloquée" : st.verified ? "code PIN vérifié" : "code PIN à saisir";
  $("pin-state").textContent = `${state} — ${st.tries_left} essai(s) restant(s) sur ${st.tries_max}`;
  $("pin-state").dataset.verified = st.verified ? "yes" : "no";
  $("pin-state").dataset.triesLeft = String(st.tries_left);
}

/**
 * Wires the PIN form: `verify(pin)` is called with the typed PIN (the field is emptied at
 * once; the PIN is never kept by the page) and shows its own outcome.
 */
export function onPinSubmit(verify) {
  $("pin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const pin = $("pin").value;
    $("pin").value = "";
    verify(pin);
  });
}
