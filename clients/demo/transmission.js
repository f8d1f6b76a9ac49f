// The lots screen: the signed FSE built into lots and signed with the CPS (POST /v1/lots),
// the lots sent (POST /v1/lots/send), the outbox followed live (each lot_* or arl_received
// event of the stream reads GET /v1/outbox and GET /v1/lots again), then the reconciliation
// (GET /v1/reconciliation, read again on noemie_received, fse_paid, fse_rejected): what the
// caisses paid, rejected, and still owe. Like the FSE screen, the page computes nothing.
import { $, clicked, euros, money, row, showError } from "./ui.js";

/** French names of the lot states (`LotStatus`). */
const LOT_STATUS = {
  signed: "signé",
  sending: "en envoi",
  needs_attention: "à reprendre",
  sent: "envoyé",
  acknowledged: "acquitté (ARL positif)",
  rejected: "rejeté (ARL négatif)",
  paper: "duplicata papier à envoyer",
};

/** French names of the outbox attempt states (`AttemptState`). */
const ATTEMPT_STATE = {
  queued: "en attente",
  sending: "remis au serveur",
  sent: "accepté par le serveur",
  failed: "échec",
  cancelled: "annulé",
};

/** French names of where an FSE stands in the reconciliation (`Settlement`). */
const SETTLEMENT = {
  waiting: "en attente",
  overdue: "en retard",
  paid: "payée",
  partly_paid: "payée en partie",
  rejected: "rejetée",
};

/** The events after which the lots and the outbox are read again. */
const LOT_EVENTS = new Set([
  "lot_queued",
  "lot_sending",
  "lot_sent",
  "lot_send_failed",
  "arl_received",
  "paper_duplicate_needed",
]);

/** The events after which the reconciliation is read again. */
const PAYMENT_EVENTS = new Set(["noemie_received", "fse_paid", "fse_rejected", "arl_received"]);

/** Lots, outbox and reconciliation of the practitioner whose CPS is in the reader. */
export class LotsScreen {
  constructor(client) {
    this.client = client;
    this.cpsReader = null;
    this.situation = 0;
    $("build-lots").addEventListener("click", () => this.build());
    $("send-lots").addEventListener("click", () => this.send());
  }

  /** Shows the screen for the CPS in `cpsReader`, practice situation `situation`. */
  open(cpsReader, situation) {
    this.cpsReader = cpsReader;
    this.situation = situation;
    $("lots-section").hidden = false;
    this.refresh();
  }

  /** Hides the screen (the CPS left: nothing can be signed). */
  close() {
    $("lots-section").hidden = true;
  }

  /** An event of the stream: reads again what it changed. */
  onEvent(event) {
    if ($("lots-section").hidden) return;
    if (LOT_EVENTS.has(event.type)) this.refreshLots();
    if (PAYMENT_EVENTS.has(event.type)) this.refreshReconciliation();
  }

  /** Builds the signed FSE into lots, signed with the CPS (PIN verified). */
  build() {
    return clicked("build-lots", "lots-error", async () => {
      const lots = await this.client.buildLots(this.cpsReader, this.situation);
      document.body.dataset.lotsBuilt = String(lots.length);
      await this.refreshLots();
    });
  }

  /** Puts the signed lots in the outbox; the stream then tells how they leave. */
  send() {
    return clicked("send-lots", "lots-error", async () => {
      const attempts = await this.client.sendLots();
      document.body.dataset.lotsQueued = String(attempts.length);
      await this.refreshLots();
    });
  }

  /** Reads everything again. */
  async refresh() {
    await Promise.all([this.refreshLots(), this.refreshReconciliation()]);
  }

  /** Redraws the lots and the outbox. */
  async refreshLots() {
    try {
      const [lots, attempts] = await Promise.all([this.client.lots(), this.client.outbox()]);
      $("lots").replaceChildren(
        ...lots.map((l) => {
          const o = l.organism;
          const tr = row(
            l.number,
            `${o.regime}/${o.caisse}/${o.centre}`,
            String(l.invoice_count),
            euros(l.amo_cents),
            LOT_STATUS[l.status] ?? l.status,
          );
          tr.dataset.lot = l.number;
          tr.dataset.status = l.status;
          return tr;
        }),
      );
      $("outbox").replaceChildren(
        ...attempts.map((a) => {
          // A PJ lot (scanned attachments) has its own numbering: said so.
          const tr = row(
            a.kind === "pj" ? `PJ ${a.lot_number}` : a.lot_number,
            String(a.attempt),
            a.recipient ?? "—",
            ATTEMPT_STATE[a.state] ?? a.state,
            a.last_error ?? a.server_reply ?? "",
          );
          tr.dataset.lot = a.lot_number;
          tr.dataset.kind = a.kind ?? "fse";
          tr.dataset.state = a.state;
          return tr;
        }),
      );
    } catch (e) {
      showError("lots-error", e);
    }
  }

  /** Redraws the reconciliation: the totals, then each FSE sent. */
  async refreshReconciliation() {
    try {
      const r = await this.client.reconciliation();
      money("recon-billed", r.total.billed_cents);
      money("recon-paid", r.total.paid_cents);
      money("recon-rejected", r.total.rejected_cents);
      money("recon-waiting", r.total.waiting_cents);
      money("recon-overdue", r.total.overdue_cents);
      $("recon-fse").replaceChildren(
        ...r.fse.map((f) => {
          const tr = row(
            f.number,
            f.patient,
            f.lot_number ?? "—",
            euros(f.billed_cents),
            euros(f.paid_cents),
            SETTLEMENT[f.settlement] ?? f.settlement,
          );
          tr.dataset.fse = f.number;
          tr.dataset.settlement = f.settlement;
          return tr;
        }),
      );
    } catch (e) {
      showError("lots-error", e);
    }
  }
}
