// The FSE screen: a draft for one beneficiary of the Vitale, billed by the CPS's
// situation, created (POST /v1/fse) then signed with the CPS (POST /v1/fse/sign). The page
// computes nothing: it names the card read (the daemon fills in the rights), states the
// facts (nature, ALD, pregnancy) and shows the parts the daemon computed.
import { PasserelleError } from "./client/index.js";
import { $, euros, money, showError } from "./ui.js";

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

/** French names of what the AMO rate rests on (`RateBasis`). */
const BASIS = {
  maladie: "maladie",
  maternite: "maternité",
  accident_travail: "accident du travail",
  ald: "ALD (acte en rapport)",
  ivg: "IVG",
};

/** Today in Paris, `YYYY-MM-DD` (the daemon refuses acts in the future, Paris time). */
function parisToday() {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(new Date());
}

/** The refusal of one FSE of a grouped answer (`ErrorBody`), as an error. */
function refusal(error) {
  return new PasserelleError(422, error.code, error.message, error.details);
}

/**
 * Acts written as the history shows them: `C+MSF, JKHD001`, `SF 12`, `V+MSF+IFD` — an NGAP
 * key letter with its coefficient (default 1) and its surcharges after `+`, or a CCAM code.
 */
export function parseActs(text) {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [head, ...modifiers] = s.split("+").map((x) => x.trim().toUpperCase());
      if (/^[A-Z]{4}\d{3}$/.test(head)) return { nomenclature: "ccam", code: head };
      const [key, coefficient = "1"] = head.split(/\s+/);
      return { nomenclature: "ngap", key, coefficient, modifiers };
    });
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
    this.fse = null;
    $("beneficiary").replaceChildren(
      ...vitale.beneficiaries.map((b, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = `${b.last_name} ${b.first_name} (${b.birth_date})`;
        return o;
      }),
    );
    $("fse-result").hidden = true;
    showError("fse-error", null);
    delete document.body.dataset.fse;
    $("fse-section").hidden = false;
  }

  /** Closes the screen (a card left). */
  close() {
    $("fse-section").hidden = true;
  }

  /** The draft the form describes (`FseDraft`), mode sécurisée: the Vitale read and the CPS. */
  draft() {
    const b = this.vitale.beneficiaries[Number($("beneficiary").value)];
    const rights = this.vitale.rights;
    const s = $("situation").selectedOptions[0].dataset;
    const start = $("pregnancy-start").value;
    return {
      practitioner: {
        billing_number: s.billing,
        situation: Number($("situation").value),
        tariff_zone: s.tariffZone,
        profession: s.profession,
        speciality: s.speciality,
      },
      patient: {
        insured_nir: this.vitale.nir.value,
        last_name: b.last_name,
        first_name: b.first_name,
        birth_date: b.birth_date,
        birth_rank: b.birth_rank,
        quality: b.quality,
      },
      organism: { regime: rights.regime, caisse: rights.caisse, centre: rights.centre },
      // The daemon takes the rights from the card it read, named by its serial.
      rights: { source: "vitale", card_serial: this.vitale.serial },
      nature: $("nature").value,
      mode: "securisee",
      care_date: parisToday(),
      acts: parseActs($("acts").value),
      ...($("ald").checked ? { exoneration: "ald" } : {}),
      ...(start ? { pregnancy: { start } } : {}),
      tiers_payant: $("tiers-payant").checked,
      amc_tiers_payant: $("amc-tiers-payant").checked,
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

  /** Shows an FSE as the daemon returned it: its parts as the daemon computed them. */
  show(fse) {
    this.fse = fse;
    const a = fse.amounts;
    $("fse-id").textContent = String(fse.id);
    $("fse-number").textContent = fse.number;
    $("fse-status").textContent = STATUS[fse.status] ?? fse.status;
    $("fse-status").dataset.status = fse.status;
    $("fse-patient").textContent = `${fse.patient.last_name} ${fse.patient.first_name}`;
    $("fse-rate").textContent = `${fse.coverage_rate} % — ${BASIS[fse.rate_basis] ?? fse.rate_basis}`;
    $("fse-rate").dataset.rate = String(fse.coverage_rate);
    $("fse-rights").textContent = `${fse.rights.origin} ${fse.rights.card_serial ?? fse.rights.reference ?? ""}`;
    money("fse-amount", a.total_cents);
    money("fse-amo", a.amo_cents);
    money("fse-amc", a.amc_cents);
    money("fse-patient-part", a.patient_cents);
    money("fse-tiers-payant", a.tiers_payant_cents);
    $("fse-c2s").textContent = fse.amc?.c2s ? "oui (tiers payant intégral)" : "non";
    $("fse-signed-at").textContent = fse.signed_at ?? "—";
    $("fse-result").hidden = false;
    $("sign-fse").disabled = fse.status !== "draft";
    document.body.dataset.fse = fse.status;
  }
}
