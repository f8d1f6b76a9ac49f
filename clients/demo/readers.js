// The reader list, live: one GET /v1/readers, then every change from the event stream
// (GET /v1/events, which the client reads with fetch, the token in its Authorization
// header, reconnecting and resuming by itself).
import { $, row } from "./ui.js";

/** The page's words for the stream's states. */
const STREAM_STATES = { open: "connecté", reconnecting: "reconnexion…", closed: "fermé" };

/** How many events the page lists (newest first). */
const EVENTS_SHOWN = 8;

/** The readers and their cards, kept up to date from the daemon's events. */
export class LiveReaders {
  /**
   * @param client a paired PasserelleClient
   * @param onChange called with the reader list after the first read and after each change
   * @param onOther called with every other event (lots, returns, payments)
   */
  constructor(client, onChange, onOther = () => {}) {
    this.client = client;
    this.onChange = onChange;
    this.onOther = onOther;
    /** reader name → card (`{kind, atr}`) or null */
    this.readers = new Map();
    this.source = null;
  }

  /**
   * Opens the event stream first, then reads the list once: events that arrive meanwhile
   * wait and are applied after the list, in order (each one sets a reader's whole state,
   * so applying one the list already shows changes nothing).
   */
  async start() {
    const early = [];
    let loaded = false;
    this.source = this.client.events(
      (event) => (loaded ? this.apply(event) : early.push(event)),
      (state, error) => this.showStream(STREAM_STATES[state] + (error ? ` (${error.message})` : "")),
    );
    await this.reload();
    loaded = true;
    for (const event of early) this.apply(event);
  }

  /** Reads `GET /v1/readers` again (at start, and after a `resync`). */
  async reload() {
    const list = await this.client.readers();
    this.readers = new Map(list.map((r) => [r.name, r.card ?? null]));
    this.changed();
  }

  /** Applies one event of the stream to the list, and logs it on the page. */
  apply(event) {
    this.log(event);
    switch (event.type) {
      case "reader_added":
        if (!this.readers.has(event.reader)) this.readers.set(event.reader, null);
        break;
      case "reader_removed":
        this.readers.delete(event.reader);
        break;
      case "card_inserted":
        this.readers.set(event.reader, event.card);
        break;
      case "card_removed":
        this.readers.set(event.reader, null);
        break;
      case "resync":
      case "backend_available":
        this.reload().catch((e) => this.showStream(String(e)));
        return;
      default:
        this.onOther(event);
        return;
    }
    this.changed();
  }

  /** The readers, sorted by name: `[{name, card}]`. */
  list() {
    return [...this.readers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, card]) => ({ name, card }));
  }

  /** Redraws the table and tells the page. */
  changed() {
    const tbody = $("readers");
    tbody.replaceChildren(
      ...this.list().map((r) => {
        const tr = row(r.name, r.card ? r.card.kind : "—");
        tr.dataset.reader = r.name;
        tr.dataset.card = r.card ? r.card.kind : "";
        return tr;
      }),
    );
    $("readers-section").hidden = false;
    this.onChange(this.list());
  }

  /** Adds `event` at the top of the page's event list. */
  log(event) {
    const li = document.createElement("li");
    li.textContent = `n° ${event.id} ${event.type}${event.reader ? " — " + event.reader : ""}`;
    li.dataset.type = event.type;
    $("events").prepend(li);
    while ($("events").children.length > EVENTS_SHOWN) $("events").lastElementChild.remove();
  }

  /** Shows the state of the event stream. */
  showStream(text) {
    $("stream").textContent = text;
  }
}
