// Receipts of paid payments (レシート, 領収書, 返金明細): issued by Rust, which
// lays them out in Japanese and prints them on the store's printer, or hands
// back their lines for the OS print dialog when no printer is set. Also the
// Register tab's receipt bar after a payment (settings: receipt.autoPrint):
// the "Print a receipt?" question, a receipt printed by itself, a printer
// that could not print (with Retry).

import { $, el, announce, toast } from './dom.js';
import { t, errorText } from './i18n.js';
import { yen } from './format.js';
import { api } from './cashier-api.js';
import { printLines, dialogPaper } from './print.js';

/** Issues a receipt: on the printer, or (none set) drawn for the OS print
 * dialog, which opens. → Issued; rejects with Rust's error. */
export async function issueReceipt(attemptId, order = {}, { paper } = {}) {
  const issued = await api.printReceipt(attemptId, order);
  if (!issued.printer) printLines(issued.lines, { widthMm: issued.widthMm, paper: paper ?? dialogPaper() });
  return issued;
}

/** What the cashier is told once a receipt is out. */
export function issuedText(issued) {
  const what = t(`rcp.kind.short.${issued.kind}`);
  if (!issued.printer) return t('rcpt.toDialog', { what });
  return t(issued.reprint ? 'rcpt.printedCopy' : 'rcpt.printed', { what });
}

// ---- the receipt bar (Register tab) ------------------------------------------

let bar = null; // { attemptId, state: 'offer' | 'printing' | 'failed', error? }
let lookup = () => null; // attemptId → Attempt, if this window knows it

function render() {
  const box = $('#receipt-bar');
  box.hidden = !bar;
  if (!bar) return;
  box.dataset.state = bar.state;
  $('#toast').hidden = true; // an older notice must not cover the question's buttons
  const a = lookup(bar.attemptId);
  const which = a ? t('rcpt.for', { orderNo: a.orderNo, amount: yen(a.amount) }) : '';
  const detail = $('#receipt-bar-detail');
  const head = { offer: t('rcpt.offer'), printing: t('rcpt.printing'), failed: t('rcpt.failed') }[bar.state];
  $('#receipt-bar-text').replaceChildren(el('span', {}, head), which ? el('span', { class: 'which' }, which) : '');
  if (bar.state === 'failed') {
    // What Rust says is wrong (printer offline, cover open, out of paper, …).
    const { title, detail: why } = errorText(bar.error);
    detail.textContent = [title, why].filter(Boolean).join(' ');
    detail.hidden = false;
  } else {
    detail.hidden = true;
  }
  $('#receipt-bar-print').hidden = bar.state !== 'offer';
  $('#receipt-bar-retry').hidden = bar.state !== 'failed';
  $('#receipt-bar-no').hidden = bar.state === 'printing';
  $('#receipt-bar-no').textContent = t(bar.state === 'failed' ? 'rcpt.close' : 'rcpt.no');
}

async function printFromBar() {
  if (!bar || bar.state === 'printing') return;
  const { attemptId } = bar;
  bar = { attemptId, state: 'printing' };
  render();
  try {
    const issued = await issueReceipt(attemptId);
    if (bar?.attemptId === attemptId) bar = null;
    const text = issuedText(issued);
    toast(text);
    announce(text);
  } catch (error) {
    bar = { attemptId, state: 'failed', error };
    announce(errorText(error).title, true);
  }
  render();
}

function offer(attemptId) {
  bar = { attemptId, state: 'offer' };
  render();
  announce(t('rcpt.offer'));
}

/** A new sale starts: an unanswered "Print a receipt?" is for the customer who left. */
export function dismissOffer() {
  if (bar?.state === 'offer') {
    bar = null;
    render();
  }
}

/** Redraw after a language switch. */
export const renderReceiptBar = () => render();

export async function initReceipts(opts) {
  lookup = opts.lookup;
  $('#receipt-bar-print').addEventListener('click', printFromBar);
  $('#receipt-bar-retry').addEventListener('click', printFromBar);
  $('#receipt-bar-no').addEventListener('click', () => { bar = null; render(); });
  await api.onReceiptOffer(({ attemptId, dialog }) => {
    if (dialog) {
      // autoPrint "always" with no printer set: straight to the print dialog.
      bar = { attemptId, state: 'offer' };
      printFromBar();
    } else {
      offer(attemptId);
    }
  });
  await api.onReceipt((issued) => {
    const text = issuedText(issued);
    toast(text);
    announce(text);
  });
  await api.onReceiptFailed(({ attemptId, error }) => {
    bar = { attemptId, state: 'failed', error };
    render();
    announce(errorText(error).title, true);
  });
}
