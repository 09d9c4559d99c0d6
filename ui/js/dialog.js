// One modal confirmation dialog. Y confirms, Esc or N dismisses, Enter
// presses the focused button; Tab stays inside the dialog while it is open.
// A destructive question (danger) starts on "No": Enter keeps things as they
// are, so a cashier typing ahead never cancels or refunds by accident.

import { $ } from './dom.js';

let pending = null;

/** Resolves true (confirmed) or false (dismissed). */
export function confirmDialog({ title, body, yes, no, danger = false }) {
  const dialog = $('#confirm');
  if (pending) pending(false);
  $('#confirm-title').textContent = title;
  $('#confirm-body').textContent = body;
  $('#confirm-yes-label').textContent = yes;
  $('#confirm-no-label').textContent = no;
  $('#confirm-yes').classList.toggle('danger', danger);
  // The keys each button answers to: Enter is the default's.
  $('#confirm-no-keys').textContent = danger ? 'Enter / Esc' : 'Esc / N';
  $('#confirm-yes-keys').textContent = danger ? 'Y' : 'Enter / Y';
  const returnFocus = document.activeElement;
  dialog.dataset.default = danger ? 'no' : 'yes';
  dialog.showModal();
  $(danger ? '#confirm-no' : '#confirm-yes').focus();
  return new Promise((resolve) => {
    pending = (answer) => {
      pending = null;
      dialog.close();
      // Never leave focus on a button of the closed dialog: keys would land there.
      if (returnFocus instanceof HTMLElement && returnFocus.isConnected && returnFocus !== document.body) returnFocus.focus();
      else document.activeElement?.blur();
      resolve(answer);
    };
  });
}

export const dialogOpen = () => pending !== null;

export function initDialog() {
  const dialog = $('#confirm');
  $('#confirm-yes').addEventListener('click', () => pending?.(true));
  $('#confirm-no').addEventListener('click', () => pending?.(false));
  // The browser's own Esc handling closes the dialog; route it through pending.
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); pending?.(false); });
  dialog.addEventListener('keydown', (e) => {
    if (!pending || e.isComposing) return;
    const k = e.key.toLowerCase();
    if (k === 'y' || (k === 'enter' && document.activeElement === $('#confirm-yes'))) {
      e.preventDefault();
      pending?.(true);
    } else if (k === 'n' || k === 'escape' || k === 'enter') {
      e.preventDefault();
      pending?.(false);
    } else if (k === 'tab') {
      // Two buttons: Tab and Shift+Tab just swap between them.
      e.preventDefault();
      (document.activeElement === $('#confirm-yes') ? $('#confirm-no') : $('#confirm-yes')).focus();
    }
    e.stopPropagation();
  });
}
