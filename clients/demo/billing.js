// The FSE screen: a draft for one beneficiary of the Vitale, billed by the CPS's
// situation, created (POST /v1/fse) then signed with the CPS (POST /v1/fse/sign).
import { PasserelleError } from "./client/index.js";
import { $, showError } from "./ui.js";

/** French names of the FSE states (`FseStatus`). */
const STATUS = {
  draft: "brouillon",
  signed: "signée",
  in_lot: "dans un lot",
  sent: "envoyée",
  acknowledged: "acquittée",
  paid: "payée",
  rejected: "rejetée",
  deleted: "supprimée",
};

/** Today in Paris, `YYYY-MM-DD` (the daemon refuses acts in the future, Paris time). */
function parisToday() {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(new Date());
}

/** The refusal of one FSE of a grouped answer (`ErrorBody`), as an error. */
function refusal(error) {
  return new PasserelleError(422, error.code, error.message, error.details);
}

/** Euros from cents, French style. */
function euros(cents) {
  return (cents / 100).toLocaleString("fr-FR", { style: "currency", currency: "EUR" });
}

/**
 * The FSE screen of one Vitale (read with its rights) and one CPS (PIN verified) in
 * `cpsReader`. Shows the form; the buttons call the daemon through `client`.
 */
export class FseScreen {
  constructor(client) {
    this.client = client;
    this.fse = null;
    $("fse-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.create();
    });
    $("sign-fse").addEventListener("click", () => this.sign());
  }

  /** Offers an FSE for `vitale`'s beneficiaries, billed by the CPS in `cpsReader`. */
  open(vitale, cpsReader) {
    this.vitale = vitale;
    this.cpsReader = cpsReader;
    $("beneficiary").replaceChildren(
      ...vitale.beneficiaries.map((b, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = `${b.last_name} ${b.first_name} (${b.birth_date})`;
        return o;
      }),
    );
    $("fse-section").hidden = false;
  }

  /** Closes the screen (a card left). */
  close() {
    $("fse-section").hidden = true;
  }

  /** The draft the form describes (`FseDraft`), mode sécurisée: Vitale and CPS. */
  draft() {
    const b = this.vitale.beneficiaries[Number($("beneficiary").value)];
    const rights = this.vitale.rights;
    const situation = Number($("situation").value);
    const billing = $("situation").selectedOptions[0].dataset.billing;
    return {
      practitioner: { billing_number: billing, situation },
      patient: {
        insured_nir: this.vitale.nir.value,
        last_name: b.last_name,
        first_name: b.first_name,
        birth_date: b.birth_date,
        birth_rank: b.birth_rank,
        quality: b.quality,
      },
      organism: { regime: rights.regime, caisse: rights.caisse, centre: rights.centre },
      nature: $("nature").value,
      mode: "securisee",
      care_date: parisToday(),
      acts: [{ nomenclature: "ngap", key: $("act-key").value, coefficient: $("act-coefficient").value }],
    };
  }

  /** Creates the FSE and shows it, or the daemon's refusal. */
  async create() {
    showError("fse-error", null);
    $("create-fse").disabled = true;
    try {
      const answer = await this.client.createFse([this.draft()]);
      const outcome = answer.results[0];
      if (outcome.error) throw refusal(outcome.error);
      this.show(outcome.fse);
    } catch (e) {
      showError("fse-error", e);
    } finally {
      $("create-fse").disabled = false;
    }
  }

  /** Signs the FSE shown with the CPS, and shows it signed, or the refusal. */
  async sign() {
    showError("fse-error", null);
    $("sign-fse").disabled = true;
    try {
      const situation = this.fse.practitioner.situation;
      const answer = await this.client.signFse(this.cpsReader, [this.fse.id], situation);
      const outcome = answer.results[0];
      if (outcome.error) throw refusal(outcome.error);
      this.show(outcome.fse);
    } catch (e) {
      showError("fse-error", e);
      $("sign-fse").disabled = false;
    }
  }

  /** Shows an FSE as the daemon returned it. */
  show(fse) {
    this.fse = fse;
    $("fse-id").textContent = String(fse.id);
    $("fse-number").textContent = fse.number;
    $("fse-status").textContent = STATUS[fse.status] ?? fse.status;
    $("fse-status").dataset.status = fse.status;
    $("fse-patient").textContent = `${fse.patient.last_name} ${fse.patient.first_name}`;
    $("fse-amount").textContent = euros(fse.amounts.total_cents);
    $("fse-amount").dataset.cents = String(fse.amounts.total_cents);
    $("fse-signed-at").textContent = fse.signed_at ?? "—";
    $("fse-result").hidden = false;
    $("sign-fse").disabled = fse.status !== "draft";
    document.body.dataset.fse = fse.status;
  }
}
