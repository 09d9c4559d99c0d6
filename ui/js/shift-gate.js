// The Register tab's shift gate: no sale outside a shift, so while none is
// open the register offers to open one in place (cashier name) instead of
// a dead end. The rule itself lives in the ledger; this only shows it.

import { $ } from './dom.js';
import { errorText } from './i18n.js';
import { api } from './cashier-api.js';

let onOpened = () => {};

function show(open) {
  $('#shift-gate').hidden = open;
  document.body.dataset.shiftOpen = String(open);
}

/** Reads whether a shift is open and shows or hides the gate. */
export async function refreshShiftGate() {
  try {
    const st = await api.shiftStatus();
    show(!!st.open);
  } catch (err) {
    console.error(err);
  }
}

/** A charge was refused for want of a shift: ask for the cashier's name. */
export function requireShift() {
  show(false);
  $('#gate-cashier').focus();
}

async function submit(e) {
  e.preventDefault();
  const msg = $('#gate-error');
  msg.textContent = '';
  try {
    const x = await api.openShift($('#gate-cashier').value);
    $('#gate-cashier').value = ''; // the next shift's cashier types their own name
    show(true);
    onOpened(x);
  } catch (err) {
    const { title, detail } = errorText(err);
    msg.textContent = `${title} ${detail ?? ''}`.trim();
  }
}

export function initShiftGate(opts) {
  onOpened = opts.onOpened;
  $('#shift-gate').addEventListener('submit', submit);
  // Enter in the name field opens the shift; it must not ring up a sale.
  $('#gate-cashier').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') e.stopPropagation();
  });
}
