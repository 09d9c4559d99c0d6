// Transactions and Shift tabs: the filtered log with refunds, and shifts
// with X/Z reports, reconciliation, CSV export and printing.

import { $, el, announce } from './dom.js';
import { t, errorText } from './i18n.js';
import { yen, hhmmss, dateTime, walletName, asciiDigits, parseStoreTime } from './format.js';
import { confirmDialog } from './dialog.js';
import { api } from './cashier-api.js';
import { refreshShiftGate } from './shift-gate.js';

const PAGE = 50;
const STATUS = {
  reserved: 'creating', creating: 'creating', pending: 'pending', captured: 'paid',
  closed: 'cancelled', expired: 'expired', burned: 'failed', rejected: 'failed',
};
let rows = [];
let report = null;
let refunding = null;
let detailFor = null; // attempt id whose history is open
const timelines = new Map(); // saleId → TimelineEntry[]

function showError(target, err) {
  const { title, detail } = errorText(err);
  target.textContent = `${title} ${detail ?? ''}`.trim();
  target.classList.add('error');
}

function showInfo(target, text) {
  target.textContent = text;
  target.classList.remove('error');
}

// ----- Transactions -----

function filter() {
  const f = {};
  // datetime-local is the store's time; the backend takes epoch ms.
  for (const [id, key] of [['#f-from', 'from'], ['#f-to', 'to']]) {
    const v = $(id).value;
    if (v) f[key] = parseStoreTime(v);
  }
  const order = $('#f-order').value.trim();
  if (order) f.orderNo = order;
  const status = $('#f-status').value;
  if (status) f.states = status.split(',');
  const wallet = $('#f-wallet').value.trim();
  if (wallet) f.wallet = wallet;
  for (const [id, key] of [['#f-min', 'minAmount'], ['#f-max', 'maxAmount']]) {
    const v = asciiDigits($(id).value).replace(/[,¥\s]/g, '');
    if (v) f[key] = Number.isInteger(Number(v)) ? Number(v) : -1; // the backend names the field
  }
  const shift = $('#f-shift').value;
  if (shift) f.shiftId = Number(shift);
  return f;
}

function row(r) {
  const status = STATUS[r.state] ?? 'creating';
  const reason = `tx.reason.${r.errorCode}`;
  const note = !r.errorCode ? '' : t(reason) === reason ? r.errorCode : t(reason);
  // What may be refunded is the ledger's rule (LogRow.refundable).
  const left = r.refundable;
  return el('tr', { dataset: { attempt: r.id } },
    el('td', {}, el('time', {}, hhmmss(r.paidTime ?? r.createdAt))),
    el('td', { class: 'mono' }, el('button', {
      type: 'button', class: 'link tx-details', 'aria-expanded': String(detailFor === r.id),
      onclick: () => toggleDetails(r),
    }, r.orderNo)),
    el('td', { class: 'num amount' }, yen(r.amount)),
    el('td', {}, el('span', { class: `pill pill-${status}` }, t(`pay.state.${status}`)),
      r.late ? el('span', { class: 'tag-late' }, t('tx.late')) : null),
    el('td', {}, walletName(r.paymentMethod)),
    el('td', { class: 'num' }, r.refunded ? yen(r.refunded) : ''),
    el('td', { class: 'note' }, note),
    el('td', {}, left > 0
      ? el('button', { type: 'button', class: 'btn-small tx-refund', onclick: () => openRefund(r) }, t('tx.refund'))
      : r.refundUnknown ? el('span', { class: 'note tx-refund-checking' }, t('tx.refundChecking')) : null));
}

function timelineText(e) {
  const p = e.payload ?? {};
  switch (e.kind) {
    case 'sale.created': return t('tl.sale', { amount: yen(p.amount) });
    case 'attempt.reserved': return t('tl.reserved', { orderNo: p.orderNo });
    case 'attempt.changed': {
      const parts = [t(`tl.to.${p.to}`)];
      if (p.paymentMethod) parts.push(walletName(p.paymentMethod));
      if (p.source) parts.push(t('tl.via', { source: p.source }));
      if (p.reason || p.message) parts.push(p.reason ?? p.message);
      return parts.join(' · ');
    }
    case 'refund.requested':
      return t('tl.refundRequested', { amount: yen(p.amount) }) + (p.reason ? ` · ${p.reason}` : '');
    case 'refund.changed': return t('tl.refundChanged', { status: t(`refund.status.${p.status}`) });
    case 'attempt.chargeFound': return t('tl.chargeFound', { chargeId: p.chargeId });
    default: return e.kind;
  }
}

function detailRow(r) {
  const entries = timelines.get(r.saleId) ?? [];
  return el('tr', { class: 'detail' }, el('td', { colspan: '8' },
    el('strong', {}, t('tx.details', { orderNo: r.orderNo })),
    el('ol', { class: 'timeline-list', id: 'tx-timeline' }, entries.map((e) =>
      el('li', { dataset: { kind: e.kind } }, el('time', {}, hhmmss(e.at)), timelineText(e)))),
    r.state === 'captured'
      ? el('button', { type: 'button', class: 'btn-small', id: 'tx-receipt', onclick: () => printReceipt(r) }, t('tx.receipt'))
      : null));
}

async function toggleDetails(r) {
  if (detailFor === r.id) {
    detailFor = null;
    renderTransactions();
    return;
  }
  try {
    timelines.set(r.saleId, await api.saleTimeline(r.saleId));
    detailFor = r.id;
    renderTransactions();
  } catch (err) {
    showError($('#tx-status'), err);
  }
}

function printReceipt(r) {
  $('#rc-store').textContent = $('#store-name').textContent;
  $('#rc-amount').textContent = yen(r.amount);
  const line = (k, v) => el('tr', {}, el('td', {}, k), el('td', {}, v));
  $('#rc-body').replaceChildren(
    line(t('rc.date'), dateTime(r.paidTime ?? r.updatedAt)),
    line(t('tx.orderNo'), r.orderNo),
    line(t('tx.wallet'), walletName(r.paymentMethod)),
    r.chargeId ? line(t('rc.charge'), r.chargeId) : null,
    r.refunded ? line(t('rc.refunded'), `−${yen(r.refunded)}`) : null,
  );
  document.body.classList.add('print-receipt');
  window.addEventListener('afterprint', () => document.body.classList.remove('print-receipt'), { once: true });
  window.print();
}

function renderTransactions() {
  $('#tx-body').replaceChildren(...rows.flatMap((r) => (detailFor === r.id ? [row(r), detailRow(r)] : [row(r)])));
  $('#tx-empty').hidden = rows.length > 0;
}

async function load(older) {
  const status = $('#tx-status');
  try {
    const beforeId = older && rows.length ? rows[rows.length - 1].id : undefined;
    const page = await api.transactionLog(filter(), PAGE, beforeId);
    rows = older ? rows.concat(page) : page;
    $('#tx-more').hidden = page.length < PAGE;
    showInfo(status, '');
    renderTransactions();
  } catch (err) {
    showError(status, err);
  }
}

async function exportLog() {
  try {
    const path = await api.exportCsv({ what: 'log', filter: filter() });
    showInfo($('#tx-status'), t('tx.exported', { path }));
  } catch (err) {
    showError($('#tx-status'), err);
  }
}

function openRefund(r) {
  refunding = r;
  const left = r.refundable;
  $('#refund-what').textContent = t('refund.what', { orderNo: r.orderNo, amount: yen(r.amount), left: yen(left) });
  $('#refund-amount').value = String(left);
  $('#refund-reason').value = '';
  $('#refund-error').textContent = '';
  $('#refund').showModal();
  $('#refund-amount').select();
}

async function submitRefund(e) {
  e.preventDefault();
  const r = refunding;
  if (!r) return;
  const left = r.refundable;
  const amount = Number(asciiDigits($('#refund-amount').value).replace(/[,¥\s]/g, ''));
  if (!Number.isInteger(amount) || amount < 1 || amount > left) {
    $('#refund-error').textContent = t('refund.badAmount', { left: yen(left) });
    return;
  }
  $('#refund').close();
  const sure = await confirmDialog({
    title: t('refund.confirm.title', { amount: yen(amount) }),
    body: t('refund.confirm.body', { orderNo: r.orderNo, wallet: walletName(r.paymentMethod) || '—' }),
    yes: t('refund.confirm.yes'), no: t('refund.confirm.no'), danger: true,
  });
  if (!sure) {
    $('#refund').showModal();
    return;
  }
  $('#refund-ok').disabled = true;
  try {
    const done = await api.refund(r.id, amount, $('#refund-reason').value.trim() || undefined);
    refunding = null;
    const text = t('refund.sent', { orderNo: r.orderNo, amount: yen(amount), status: t(`refund.status.${done.status}`) });
    showInfo($('#tx-status'), text);
    announce(text);
    await load(false);
  } catch (err) {
    if (err?.code === 'refund_unknown') {
      // elepay may have made it: never offer the same refund again; the
      // list shows it as being checked and its amount stays reserved.
      refunding = null;
      showError($('#tx-status'), err);
      await load(false);
      return;
    }
    const { title, detail } = errorText(err);
    $('#refund').showModal();
    $('#refund-error').textContent = `${title} ${detail ?? ''}`.trim();
  } finally {
    $('#refund-ok').disabled = false;
  }
}

export const openTransactions = () => load(false);

// ----- Shift -----

function reportRows(rep) {
  const line = (label, total, cls) => el('tr', { class: cls },
    el('td', {}, label),
    el('td', { class: 'num' }, total.count == null ? '' : String(total.count)),
    el('td', { class: 'num' }, yen(total.amount)));
  const out = [line(t('report.paid'), rep.paid)];
  if (rep.late.count) out.push(line(t('report.late'), rep.late));
  for (const [wallet, total] of rep.paidByWallet) {
    out.push(line(t('report.wallet', { wallet: walletName(wallet) || '—' }), total));
  }
  out.push(line(t('report.cancelled'), rep.cancelled), line(t('report.expired'), rep.expired));
  if (rep.burned.count) out.push(line(t('report.burned'), rep.burned));
  if (rep.rejected.count) out.push(line(t('report.rejected'), rep.rejected));
  if (rep.unresolved.count) out.push(line(t('report.unresolved'), rep.unresolved));
  out.push(line(t('report.refunded'), rep.refunds.refunded));
  if (rep.refunds.inProgress.count) out.push(line(t('report.refundPending'), rep.refunds.inProgress));
  if (rep.refunds.failed.count) out.push(line(t('report.refundFailed'), rep.refunds.failed));
  out.push(line(t('report.net'), { amount: rep.netSales }, 'total'));
  // A Z keeps its figures as closed; what changed since is listed apart.
  const d = rep.sinceClose;
  if (d) {
    out.push(el('tr', { class: 'since-close' }, el('th', { colspan: '3' }, t('report.since'))));
    const delta = (label, total) => {
      if (total.count || total.amount) out.push(line(label, total, 'since-close'));
    };
    delta(t('report.late'), d.late);
    delta(t('report.paid'), d.paid);
    delta(t('report.unresolved'), d.unresolved);
    delta(t('report.cancelled'), d.cancelled);
    delta(t('report.expired'), d.expired);
    delta(t('report.refunded'), d.refunds.refunded);
    delta(t('report.refundPending'), d.refunds.inProgress);
    delta(t('report.refundFailed'), d.refunds.failed);
    out.push(line(t('report.net'), { amount: d.netSales }, 'since-close total'));
  }
  return out;
}

function renderReport(rep) {
  report = rep;
  const box = $('#report');
  box.hidden = !rep;
  if (!rep) return;
  const s = rep.shift;
  box.dataset.kind = s.closedAt == null ? 'X' : 'Z';
  $('#report-title').textContent = s.closedAt == null
    ? t('report.x', { id: s.id })
    : t('report.z', { id: s.id, z: s.zNumber });
  const meta = t('report.meta', {
    register: s.registerId, cashier: s.cashier, opened: dateTime(s.openedAt),
    closed: s.closedAt == null ? t('report.now') : dateTime(s.closedAt),
  });
  const orders = rep.firstOrderNo ? ` · ${t('report.orders', { first: rep.firstOrderNo, last: rep.lastOrderNo })}` : '';
  $('#report-meta').textContent = meta + orders;
  $('#report-body').replaceChildren(...reportRows(rep));
  // The journal head at the close: what `verify-journal --head` checks.
  const head = $('#report-head');
  head.hidden = !s.journalHead;
  head.replaceChildren(...(s.journalHead
    ? [`${t('report.head')} `, el('code', { class: 'mono' }, s.journalHead.printed), el('span', { class: 'head-hint' }, t('report.headHint'))]
    : []));
}

function renderPast(past) {
  $('#shift-past').replaceChildren(...past.map((s) => el('tr', {},
    el('td', {}, `Z ${s.zNumber}`),
    el('td', {}, s.cashier),
    el('td', {}, `${dateTime(s.openedAt)} – ${dateTime(s.closedAt)}`),
    el('td', {}, el('button', {
      type: 'button', class: 'btn-small',
      onclick: async () => {
        try { renderReport(await api.shiftReport(s.id)); $('#recon').hidden = true; } catch (err) { showError($('#shift-status'), err); }
      },
    }, t('shift.show'))))));
  const select = $('#f-shift');
  const keep = select.value;
  select.replaceChildren(el('option', { value: '' }, t('tx.f.all')),
    ...past.map((s) => el('option', { value: String(s.id) }, `Z ${s.zNumber} · ${s.cashier}`)));
  select.value = keep;
}

export async function openShift() {
  const status = $('#shift-status');
  try {
    const st = await api.shiftStatus();
    const open = st.open;
    $('#shift-open').hidden = !!open;
    $('#shift-actions').hidden = !open;
    showInfo(status, open ? t('shift.opened', { id: open.shift.id, cashier: open.shift.cashier }) : t('shift.none'));
    if (open || !report || report.shift.closedAt == null) renderReport(open);
    renderPast(st.past);
    renderOutside(st.outsideShifts);
    await refreshShiftGate();
  } catch (err) {
    showError(status, err);
  }
}

/** Sales an older ledger kept outside any shift: in no X/Z report. */
function renderOutside(o) {
  const box = $('#outside-shifts');
  box.hidden = !o;
  if (!o) return;
  $('#outside-text').textContent = t('shift.outside', {
    paid: o.paid.count, amount: yen(o.paid.amount), net: yen(o.netSales),
    from: o.firstAt == null ? '—' : dateTime(o.firstAt), to: o.lastAt == null ? '—' : dateTime(o.lastAt),
  });
}

async function openNewShift(e) {
  e.preventDefault();
  try {
    await api.openShift($('#shift-cashier').value);
    $('#recon').hidden = true;
    await openShift();
  } catch (err) {
    showError($('#shift-status'), err);
  }
}

async function closeShift() {
  const ok = await confirmDialog({
    title: t('shift.closeConfirm.title'), body: t('shift.closeConfirm.body'),
    yes: t('shift.closeConfirm.yes'), no: t('shift.closeConfirm.no'), danger: true,
  });
  if (!ok) return;
  // Reconcile the shift being closed (not a past report that may be on
  // screen) first: a payment it finds is then recorded while the shift is
  // open (not as late) and is on the Z report. Offline, the close goes on.
  const open = await api.shiftStatus().then((st) => st.open, () => null);
  if (open) await reconcile(open.shift.id);
  try {
    const z = await api.closeShift();
    renderReport(z);
    await openShift();
    announce(t('report.z', { id: z.shift.id, z: z.shift.zNumber }));
  } catch (err) {
    showError($('#shift-status'), err);
  }
}

/** Reconciles `shiftId` (default: the report on screen) with elepay. */
async function reconcile(shiftId = report?.shift.id) {
  if (shiftId == null) return;
  const box = $('#recon');
  $('#shift-reconcile').disabled = true;
  try {
    const r = await api.reconcile(shiftId);
    box.hidden = false;
    const counts = { remote: r.elepayCharges, local: r.ledgerPaid, n: r.differences.length };
    $('#recon-summary').textContent = r.differences.length ? t('shift.recon.some', counts) : t('shift.recon.clean', counts);
    $('#recon-list').replaceChildren(...r.differences.map((d) => el('li', {},
      t(`recon.${d.kind}`, {
        orderNo: d.orderNo, amount: yen(d.amount), local: yen(d.local ?? d.localRefunded),
        elepay: yen(d.elepay ?? d.elepayRefunded), status: d.status ?? '',
      }) + (d.recorded ? t('recon.recorded') : ''))));
    if (r.differences.some((d) => d.recorded)) await openShift();
  } catch (err) {
    showError($('#shift-status'), err);
  } finally {
    $('#shift-reconcile').disabled = false;
  }
}

async function exportReport() {
  if (!report) return;
  try {
    const path = await api.exportCsv({ what: 'report', shiftId: report.shift.id });
    showInfo($('#shift-status'), t('tx.exported', { path }));
  } catch (err) {
    showError($('#shift-status'), err);
  }
}

export function initHistory() {
  $('#tx-refresh').addEventListener('click', () => load(false));
  $('#tx-more').addEventListener('click', () => load(true));
  $('#tx-filter').addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  $('#tx-export').addEventListener('click', exportLog);
  $('#refund-form').addEventListener('submit', submitRefund);
  $('#refund-cancel').addEventListener('click', () => { $('#refund').close(); refunding = null; });
  $('#shift-open').addEventListener('submit', openNewShift);
  $('#shift-x').addEventListener('click', openShift);
  $('#shift-close').addEventListener('click', closeShift);
  $('#shift-reconcile').addEventListener('click', () => reconcile());
  $('#report-print').addEventListener('click', () => window.print());
  $('#report-export').addEventListener('click', exportReport);
  // elepay finishing a refund shows up in an open list at once.
  api.onRefund(async (r) => {
    if ($('#panel-transactions').hidden || !rows.some((row) => row.id === r.attemptId)) return;
    const open = rows.find((row) => row.id === detailFor);
    if (open) timelines.set(open.saleId, await api.saleTimeline(open.saleId).catch(() => timelines.get(open.saleId)));
    await load(false);
  });
}

export function relabelHistory() {
  renderTransactions();
  if (report) renderReport(report);
}
