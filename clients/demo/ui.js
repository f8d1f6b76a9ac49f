// Small DOM helpers shared by the demo page's modules.
import { PasserelleError } from "./client/index.js";

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Appends a cell with `text` to the table row `row`. */
export function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}

/** A table row of `texts`. */
export function row(...texts) {
  const tr = document.createElement("tr");
  for (const t of texts) cell(tr, t);
  return tr;
}

/** Shows the page's overall state (also `body[data-state]`, which the end-to-end test reads). */
export function setState(text, error = false) {
  $("state").textContent = text;
  $("state").className = error ? "error" : "";
  document.body.dataset.state = error ? "error" : text;
}

/** What to show for an error: the daemon's French message (and its code), or the error itself. */
export function errorText(e) {
  return e instanceof PasserelleError ? `${e.message} (${e.code})` : String(e);
}

/** Shows `e` in the element `id` (empty `e` clears it). */
export function showError(id, e) {
  $(id).textContent = e ? errorText(e) : "";
}

/** Euros from cents, French style. */
export function euros(cents) {
  return (cents / 100).toLocaleString("fr-FR", { style: "currency", currency: "EUR" });
}

/** Shows `cents` in cell `id` (also `data-cents`, which the end-to-end test reads). */
export function money(id, cents) {
  $(id).textContent = euros(cents);
  $(id).dataset.cents = String(cents);
}

/**
 * Runs `action` for a click on button `button`: the button disabled meanwhile, the error
 * element `errorId` cleared first and showing the refusal, if any.
 */
export async function clicked(button, errorId, action) {
  showError(errorId, null);
  $(button).disabled = true;
  try {
    await action();
  } catch (e) {
    showError(errorId, e);
  } finally {
    $(button).disabled = false;
  }
}
