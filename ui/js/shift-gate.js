// The Register tab's shift gate: no sale outside a shift, so while none is
// open the register offers to open one in place (cashier name) instead of
// a dead end. The rule itself lives in the ledger; this only shows it.

import { $ } from './dom.js';
import { errorText } from './i18n.js';
import { api } from './cashier-api.js';

let onOpened = () => {};
let onShift = () => {};

/** `shift`: the open shift (id, cashier, …), or null when none is open. */
function show(shift) {
  $('#shift-gate').hidden = !!shift;
  document.body.dataset.shiftOpen = String(!!shift);
  onShift(shift);
}

/** Reads whether a shift is open, shows or hides the gate and tells the
 * header who is at the register. */
export async function refreshShiftGate() {
  try {
    const st = await api.shiftStatus();
    show(st.open?.shift ?? null);
  } catch (err) {
    console.error(err);
  }
}

/** A charge was refused for want of a shift: ask for the cashier's name. */
export function requireShift() {
  show(null);
  $('#gate-cashier').focus();
}

async function submit(e) {
  e.preventDefault();
  const msg = $('#gate-error');
  msg.textContent = '';
  try {
    const x = await api.openShift($('#gate-cashier').value);
    $('#gate-cashier').value = ''; // the next shift's cashier types their own name
    show(x.shift);
    onOpened(x);
  } catch (err) {
    const { title, detail } = errorText(err);
    msg.textContent = `${title} ${detail ?? ''}`.trim();
  }
}

export function initShiftGate(opts) {
  onOpened = opts.onOpened;
  onShift = opts.onShift ?? onShift;
  $('#shift-gate').addEventListener('submit', submit);
  // Enter in the name field opens the shift; it must not ring up a sale.
  $('#gate-cashier').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') e.stopPropagation();
  });
}
