// The Transactions tab's receipt dialog: a paid payment's レシート (the
// simplified invoice), its 領収書 (宛名 and 但し書き), or a refund's 返金明細,
// issued by Rust (laid out in Japanese, marked 再発行 when printed again) on
// the store's printer or through the OS print dialog. A printer that cannot
// print is shown with its reason and a Retry.

import { $, $$, announce } from './dom.js';
import { t, errorText } from './i18n.js';
import { yen, walletName } from './format.js';
import { api } from './cashier-api.js';
import { issueReceipt, issuedText } from './receipts.js';
import { dialogPaper, setDialogPaper } from './print.js';

/** The 但し書き offered on a 領収書 (printed in Japanese whatever the screen's language). */
const DEFAULT_PURPOSE = 'お品代として';

let current = null; // { row: LogRow, refund: Refund id | null }
let printerSet = false; // the store has a receipt printer: the dialog's paper choice is moot
let busy = false;
let onIssued = () => {};

const kind = () => $$('input[name="rcp-kind"]').find((r) => r.checked)?.value ?? 'invoice';

function syncKind() {
  $('#rcp-ryoshusho').hidden = kind() !== 'ryoshusho';
}

function clearError() {
  $('#rcp-error').hidden = true;
  for (const id of ['#e-rcp-to', '#e-rcp-for']) {
    $(id).hidden = true;
    $(id).textContent = '';
  }
  $$('#receipt-form [aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
}

function showError(err) {
  const { title, detail } = errorText(err);
  // 宛名 / 但し書き refused: on the field itself.
  const slot = { to: '#e-rcp-to', for: '#e-rcp-for' }[err?.field];
  if (slot && kind() === 'ryoshusho') {
    $(slot).textContent = `${title} ${err.message ?? ''}`.trim();
    $(slot).hidden = false;
    $(err.field === 'to' ? '#rcp-to' : '#rcp-for').setAttribute('aria-invalid', 'true');
    return;
  }
  $('#rcp-error-title').textContent = title;
  $('#rcp-error-detail').textContent = detail;
  $('#rcp-error').hidden = false;
  $('#rcp-error').dataset.code = err?.code ?? 'unknown';
  $('#rcp-retry').focus();
}

/** What is asked of Rust: the kind, and a 領収書's 宛名 / 但し書き as typed. */
function order() {
  const k = kind();
  const o = { kind: k };
  if (k === 'ryoshusho') {
    const to = $('#rcp-to').value;
    if (to.trim()) o.to = to;
    o.for = $('#rcp-for').value;
  }
  if (k === 'refund' && current.refund != null) o.refund = current.refund;
  return o;
}

async function print(e) {
  e?.preventDefault();
  if (!current || busy) return;
  busy = true;
  clearError();
  $('#rcp-print').disabled = true;
  $('#rcp-retry').disabled = true;
  $('#rcp-status').textContent = t('rcpt.printing');
  const paper = $('#rcp-paper').value;
  setDialogPaper(paper);
  try {
    const issued = await issueReceipt(current.row.id, order(), { paper });
    const text = `${current.row.orderNo}：${issuedText(issued)}`;
    $('#receipt-dlg').close();
    current = null;
    onIssued(text);
    announce(text);
  } catch (err) {
    $('#rcp-status').textContent = '';
    showError(err);
    announce(errorText(err).title, true);
  } finally {
    busy = false;
    $('#rcp-print').disabled = false;
    $('#rcp-retry').disabled = false;
    if (current) $('#rcp-status').textContent = '';
  }
}

/** Opens the dialog for a paid log row; `refund` names the refund whose
 * slip to offer, `printNow` prints at once (the dialog stays up only for an
 * error). */
export function openReceiptDialog(row, { kind: k = 'invoice', refund = null, printNow = false } = {}) {
  current = { row, refund };
  $('#rcp-what').textContent = t('rcp.what', {
    orderNo: row.orderNo, amount: yen(row.amount), wallet: walletName(row.paymentMethod) || '—',
  });
  $('#rcp-kind-refund').hidden = !(row.refunded > 0 || refund != null);
  for (const r of $$('input[name="rcp-kind"]')) r.checked = r.value === k;
  $('#rcp-to').value = '';
  $('#rcp-for').value = DEFAULT_PURPOSE;
  $('#rcp-paper').value = dialogPaper();
  $('.rcp-paper').hidden = printerSet;
  api.getSettings().then((s) => {
    printerSet = Boolean(s.printer?.url?.trim());
    $('.rcp-paper').hidden = printerSet;
  }, () => {});
  $('#rcp-status').textContent = '';
  clearError();
  syncKind();
  $('#receipt-dlg').showModal();
  if (printNow) print();
  else $('#rcp-print').focus();
}

export function initReceiptDialog(opts) {
  onIssued = opts.onIssued;
  $('#receipt-form').addEventListener('submit', print);
  $('#rcp-retry').addEventListener('click', print);
  $('#rcp-close').addEventListener('click', () => { $('#receipt-dlg').close(); current = null; });
  $('#receipt-dlg').addEventListener('close', () => { current = null; });
  $$('input[name="rcp-kind"]').forEach((r) => r.addEventListener('change', () => { clearError(); syncKind(); }));
}
