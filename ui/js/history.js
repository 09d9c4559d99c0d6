// Transactions and Shift tabs: the filtered log with receipts and refunds
// (by item for a sale rung up with items), and shifts with X/Z reports by
// tax rate, reconciliation, CSV export and printing. Every figure is Rust's.

import { $, el, announce } from './dom.js';
import { t, errorText } from './i18n.js';
import { yen, hhmmss, dateTime, walletName, asciiDigits } from './format.js';
import { confirmDialog } from './dialog.js';
import { api } from './cashier-api.js';
import { refreshShiftGate } from './shift-gate.js';
import { openReceiptDialog, initReceiptDialog } from './receipt-dialog.js';
import { printLines } from './print.js';

const RATE_KEYS = ['standard', 'reduced', 'free'];

const PAGE = 50;
const STATUS = {
  reserved: 'creating', creating: 'creating', pending: 'pending', captured: 'paid',
  closed: 'cancelled', expired: 'expired', burned: 'failed', rejected: 'failed',
};
let rows = [];
let report = null;
let refunding = null; // { row, sale: SaleRecord | null, byItems, sent: [{ line, qty }] }
let detailFor = null; // attempt id whose history is open
let shiftLine = null; // [key, params] of the Shift tab's status line
const timelines = new Map(); // saleId → TimelineEntry[]

function showError(target, err) {
  delete target.dataset.line;
  const { title, detail } = errorText(err);
  target.textContent = `${title} ${detail ?? ''}`.trim();
  target.classList.add('error');
}

function showInfo(target, text) {
  delete target.dataset.line;
  target.textContent = text;
  target.classList.remove('error');
}

// ----- Transactions -----

function filter() {
  const f = {};
  // The days as typed (yyyy/mm/dd); Rust reads them as the store's days
  // and names the field it cannot read.
  for (const [id, key] of [['#f-from', 'fromDay'], ['#f-to', 'toDay']]) {
    const v = asciiDigits($(id).value).trim();
    if (v) f[key] = v;
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

/** The sale's rates as recorded: 10% / 8%※ / 0% badges, or 税率記録なし
 * for an older sale (its rate was never recorded, so never guessed). */
function rateBadges(rates) {
  const badge = (key, text) => el('span', { class: `rate-badge rate-${key}` }, text);
  if (!rates) return [badge('unrecorded', t('rate.unrecorded'))];
  const out = RATE_KEYS.filter((k) => rates[k]?.gross).map((k) => badge(k, t(`rate.short.${k}`)));
  if (rates.unrecorded?.gross) out.push(badge('unrecorded', t('rate.unrecorded')));
  return out;
}

/** The refund column: what was given back, and the part of it elepay has
 * not confirmed yet (the same figures as the sale's history and the X
 * report; Rust's LogRow.refunded and refundInProgress). */
function refundCell(r) {
  if (!r.refunded) return [];
  const busy = r.refundInProgress ?? 0;
  const note = busy <= 0 ? null
    : busy >= r.refunded ? t('refund.status.pending')
      : t('tx.refundInProgress', { amount: yen(busy) });
  return [el('span', { class: 'refund-amount' }, yen(r.refunded)),
    note ? el('span', { class: 'refund-progress', dataset: { inProgress: String(busy) } }, note) : null];
}

function row(r) {
  // A paid sale given back in part or in full says so (Rust's refundExtent).
  const status = r.refundExtent ?? STATUS[r.state] ?? 'creating';
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
    el('td', { class: 'rates' }, rateBadges(r.rates)),
    el('td', {}, el('span', { class: `pill pill-${status}` }, t(`pay.state.${status}`)),
      r.late ? el('span', { class: 'tag-late' }, t('tx.late')) : null),
    el('td', {}, walletName(r.paymentMethod)),
    el('td', { class: 'num refunded' }, refundCell(r)),
    el('td', { class: 'note' }, note),
    el('td', { class: 'tx-actions' },
      r.state === 'captured'
        ? el('button', { type: 'button', class: 'btn-small tx-receipt', onclick: () => openReceiptDialog(r) }, t('tx.receipt'))
        : null,
      left > 0
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
      if (p.source) parts.push(known(`tl.source.${p.source}`) ?? t('tl.via', { source: p.source }));
      if (p.reason || p.message) parts.push(p.reason ?? p.message);
      return parts.join(' · ');
    }
    case 'refund.requested':
      return t('tl.refundRequested', { amount: yen(p.amount) }) + (p.reason ? ` · ${p.reason}` : '');
    case 'refund.changed': return t('tl.refundChanged', { status: t(`refund.status.${p.status}`) });
    case 'attempt.chargeFound': return t('tl.chargeFound', { chargeId: p.chargeId });
    case 'sale.taxed': return t('tl.saleTaxed', { rates: ratesText(p.breakdown) });
    case 'refund.taxed': return t('tl.refundTaxed', { rates: ratesText(p.breakdown) });
    case 'receipt.issued': {
      const what = t(`rcp.kind.short.${p.kind}`) === `rcp.kind.short.${p.kind}` ? p.kind : t(`rcp.kind.short.${p.kind}`);
      const where = t(`tl.target.${p.target}`) === `tl.target.${p.target}` ? p.target : t(`tl.target.${p.target}`);
      return t(p.copy > 1 ? 'tl.receiptCopy' : 'tl.receipt', { what, copy: p.copy, where })
        + (p.addressee ? ` · ${p.addressee} ${t('rcp.sama')}` : '');
    }
    default: return e.kind;
  }
}

/** The words for `key`, or null when the dictionary has none. */
function known(key) {
  const text = t(key);
  return text === key ? null : text;
}

/** t(key) with some of its {params} as nodes (e.g. an order number that
 * must not break across lines). */
function fill(key, nodes) {
  return t(key).split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    return name && name in nodes ? nodes[name] : part;
  });
}

/** An order number as one unbreakable piece. */
const orderNo = (no) => el('span', { class: 'order-no' }, no);

/** A recorded breakdown's rates as words: "10%対象 ¥960（税 ¥87）・…". */
function ratesText(b) {
  return (b?.rates ?? [])
    .map((r) => t('tl.rate', { rate: t(`rate.short.${r.rate}`), gross: yen(r.gross), tax: yen(r.tax) }))
    .join(t('tl.rateSep'));
}

function detailRow(r) {
  const entries = timelines.get(r.saleId) ?? [];
  return el('tr', { class: 'detail' }, el('td', { colspan: '9' },
    el('strong', {}, t('tx.details', { orderNo: r.orderNo })),
    r.description ? el('p', { class: 'tx-description' }, r.description) : null,
    el('ol', { class: 'timeline-list', id: 'tx-timeline' }, entries.map((e) =>
      el('li', { dataset: { kind: e.kind } }, el('time', {}, hhmmss(e.at)), timelineText(e))))));
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

function renderTransactions() {
  $('#tx-body').replaceChildren(...rows.flatMap((r) => (detailFor === r.id ? [row(r), detailRow(r)] : [row(r)])));
  $('#tx-empty').hidden = rows.length > 0;
}

/** Marks the filter Rust named (fromDay → the From field, …). */
const FILTER_FIELDS = { fromDay: '#f-from', toDay: '#f-to', orderNo: '#f-order', wallet: '#f-wallet', minAmount: '#f-min', maxAmount: '#f-max' };
function markFilter(err) {
  for (const [field, id] of Object.entries(FILTER_FIELDS)) {
    if (err?.field === field) $(id).setAttribute('aria-invalid', 'true');
    else $(id).removeAttribute('aria-invalid');
  }
}

/**
 * Reads the list again. `quiet`: a refresh the feed asked for (elepay
 * finished a refund); it leaves the status line as it is, so the offer of
 * a refund slip stays until the cashier does something else.
 */
async function load(older, { quiet = false } = {}) {
  const status = $('#tx-status');
  markFilter(null);
  try {
    const beforeId = older && rows.length ? rows[rows.length - 1].id : undefined;
    const page = await api.transactionLog(filter(), PAGE, beforeId);
    rows = older ? rows.concat(page) : page;
    $('#tx-more').hidden = page.length < PAGE;
    if (!quiet) showInfo(status, '');
    renderTransactions();
  } catch (err) {
    markFilter(err);
    showError(status, err);
  }
}

async function exportLog() {
  try {
    const path = await api.exportCsv({ what: 'log', filter: filter() });
    showInfo($('#tx-status'), t('tx.exported', { path }));
  } catch (err) {
    markFilter(err);
    showError($('#tx-status'), err);
  }
}

/** The refund dialog. A sale rung up with item lines is refunded by the
 * items returned (each line's quantity, up to what is left of it), so its
 * tax comes back by rate; one rung up as an amount (or an older one, whose
 * rate was not recorded) by amount. Rust computes the amount and its tax. */
async function openRefund(r) {
  let sale = null;
  try {
    sale = await api.saleRecord(r.saleId);
  } catch (err) {
    showError($('#tx-status'), err);
    return;
  }
  const hasLines = (sale?.lines?.length ?? 0) > 0;
  refunding = { row: r, sale, byItems: hasLines, sent: [] };
  $('#refund-what').textContent = t('refund.what', { orderNo: r.orderNo, amount: yen(r.amount), left: yen(r.refundable) });
  $('#refund-amount').value = String(r.refundable);
  $('#refund-reason').value = '';
  renderRefundLines();
  syncRefundMode();
  $('#refund').showModal();
  if (refunding.byItems) $('#refund-lines input:not([disabled])')?.focus();
  else $('#refund-amount').select();
}

/** What is left of each line: sold less returned (the ledger's record). */
function returnable(sale, i) {
  const back = (sale.returned ?? []).filter((x) => x.line === i).reduce((n, x) => n + x.qty, 0);
  return sale.lines[i].qty - back;
}

function renderRefundLines() {
  const { sale } = refunding;
  const lines = sale?.lines ?? [];
  $('#refund-lines').replaceChildren(...lines.map((l, i) => {
    const left = returnable(sale, i);
    const input = el('input', {
      class: 'refund-qty', inputmode: 'numeric', autocomplete: 'off', value: '', placeholder: '0',
      'aria-label': t('refund.items.qtyOf', { name: l.name }), dataset: { line: i },
      disabled: left <= 0,
      oninput: (e) => {
        const v = asciiDigits(e.target.value).replace(/\D/g, '');
        if (v !== e.target.value) e.target.value = v;
        e.target.removeAttribute('aria-invalid');
        $('#refund-error').textContent = '';
      },
    });
    return el('tr', { dataset: { line: i }, class: l.rate === 'reduced' ? 'reduced' : null },
      el('td', {}, l.name + (l.rate === 'reduced' ? '※' : '')),
      el('td', {}, t(`rate.short.${l.rate}`)),
      el('td', { class: 'num' }, yen(l.unitPrice)),
      el('td', { class: 'num' }, left > 0 ? t('refund.items.leftOf', { left, sold: l.qty }) : t('refund.items.none')),
      el('td', { class: 'num' }, input));
  }));
  $('#refund-legend').hidden = !lines.some((l) => l.rate === 'reduced');
  // Unit prices as rung up: tax included or not, by the sale's own rule.
  $('#refund-price-head').textContent = t(sale?.breakdown?.pricing === 'excluded' ? 'refund.items.priceExcl' : 'refund.items.priceIncl');
}

/** Items or amount. A sale with lines at one rate may also be refunded by
 * an amount (a price adjustment); with several rates only by items. */
function syncRefundMode() {
  const { sale, byItems } = refunding;
  const hasLines = (sale?.lines?.length ?? 0) > 0;
  const rates = (sale?.breakdown?.rates ?? []).filter((x) => x.gross);
  $('#refund-items').hidden = !byItems;
  $('#refund-amount-box').hidden = byItems;
  const mode = $('#refund-mode');
  mode.hidden = !hasLines || rates.length > 1;
  mode.textContent = t(byItems ? 'refund.mode.amount' : 'refund.mode.items');
  $('#refund-error').textContent = '';
}

function chosenItems() {
  return [...document.querySelectorAll('#refund-lines .refund-qty')]
    .filter((i) => i.value !== '' && Number(i.value) !== 0)
    .map((i) => ({ line: Number(i.dataset.line), qty: Number(i.value) }));
}

/** Rust's refusal on its field: a line's quantity, the amount, or the dialog. */
function showRefundError(err) {
  const { title, detail } = errorText(err);
  const m = /^items\[(\d+)\]/.exec(err?.field ?? '');
  const sent = m && refunding?.sent[Number(m[1])];
  if (sent) document.querySelector(`#refund-lines input[data-line="${sent.line}"]`)?.setAttribute('aria-invalid', 'true');
  if (err?.field === 'amount' && !refunding?.byItems) $('#refund-amount').setAttribute('aria-invalid', 'true');
  $('#refund-error').textContent = `${title} ${detail ?? ''}`.trim();
}

async function submitRefund(e) {
  e.preventDefault();
  const state = refunding;
  if (!state) return;
  const r = state.row;
  let what;
  let confirmTitle;
  let confirmBody = t('refund.confirm.body', { orderNo: r.orderNo, wallet: walletName(r.paymentMethod) || '—' });
  if (state.byItems) {
    const chosen = chosenItems();
    if (!chosen.length) {
      $('#refund-error').textContent = t('refund.items.noneChosen');
      return;
    }
    what = { items: chosen };
    const list = chosen.map(({ line, qty }) => {
      const l = state.sale.lines[line];
      return t('refund.confirm.line', { name: l.name + (l.rate === 'reduced' ? '※' : ''), qty, rate: t(`rate.short.${l.rate}`) });
    }).join('、');
    // Rust works out the amount and tax (nothing is sent yet); a refusal
    // is shown here, before any confirmation.
    let plan;
    try {
      plan = await api.refundPlan(r.id, what);
    } catch (err) {
      state.sent = what.items;
      showRefundError(err);
      return;
    }
    const taxes = (plan.breakdown?.rates ?? [])
      .map((x) => t('refund.confirm.rate', { rate: t(`rate.short.${x.rate}`), gross: yen(x.gross), tax: yen(x.tax) }))
      .join('、');
    confirmTitle = t('refund.confirm.title', { amount: yen(plan.amount) });
    confirmBody = `${list}${taxes ? `（${taxes}）` : ''}。${confirmBody}`;
  } else {
    // Sent as typed (digits, commas and ¥ aside): Rust checks it.
    const typed = asciiDigits($('#refund-amount').value).replace(/[,¥\s]/g, '');
    const amount = /^\d+$/.test(typed) ? Number(typed) : null;
    what = { amount };
    confirmTitle = t('refund.confirm.title', { amount: amount == null ? typed : yen(amount) });
  }
  state.sent = what.items ?? [];
  $('#refund').close();
  // Nothing a refund could be made of (no amount typed) goes straight to
  // Rust, which says what is missing; anything else is confirmed first.
  const sure = what.amount === null || await confirmDialog({
    title: confirmTitle, body: confirmBody,
    yes: t('refund.confirm.yes'), no: t('refund.confirm.no'), danger: true,
  });
  if (!sure) {
    $('#refund').showModal();
    return;
  }
  $('#refund-ok').disabled = true;
  try {
    const done = await api.refund(r.id, what, $('#refund-reason').value.trim() || undefined);
    refunding = null;
    const text = t('refund.sent', { orderNo: r.orderNo, amount: yen(done.amount), status: t(`refund.status.${done.status}`) });
    await load(false);
    // Offer the refund's slip (返金明細), printed by Rust.
    const status = $('#tx-status');
    status.classList.remove('error');
    status.replaceChildren(text, ' ', el('button', {
      type: 'button', class: 'btn-small', id: 'tx-refund-slip',
      onclick: () => openReceiptDialog(rows.find((x) => x.id === r.id) ?? r, { kind: 'refund', refund: done.id, printNow: true }),
    }, t('refund.printSlip')));
    announce(text);
  } catch (err) {
    if (err?.code === 'refund_unknown') {
      // elepay may have made it: never offer the same refund again; the
      // list shows it as being checked and its amount stays reserved.
      refunding = null;
      showError($('#tx-status'), err);
      await load(false);
      return;
    }
    $('#refund').showModal();
    showRefundError(err);
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

/** 総売上 / 返金 / 純売上, 客数, 客単価: Rust's figures (TaxFigures). */
function headline(f) {
  const item = (key, value, cls) => [el('dt', { class: cls }, t(key)), el('dd', { class: cls, dataset: { figure: key } }, value)];
  return [
    ...item('report.h.gross', yen(f.grossSales)),
    ...item('report.h.refunded', yen(f.refunded)),
    ...item('report.h.net', yen(f.netSales), 'net'),
    ...item('report.h.customers', t('report.h.people', { n: f.customers })),
    ...item('report.h.average', yen(f.averageSale)),
  ];
}

/** Sales, refunds and net per rate with the tax in them, as Rust kept
 * them; 非課税 and 税率記録なし carry no tax (shown as —). */
function ratesTable(f, id) {
  const money = (a, taxed) => [
    el('td', { class: 'num' }, yen(a?.gross ?? 0)),
    el('td', { class: 'num tax' }, taxed ? yen(a?.tax ?? 0) : '—'),
  ];
  const rowOf = (key) => {
    const taxed = key === 'standard' || key === 'reduced';
    return el('tr', { dataset: { rate: key } },
      el('th', { scope: 'row' }, t(`report.rate.${key}`)),
      ...money(f.sales?.[key], taxed), ...money(f.refunds?.[key], taxed), ...money(f.net?.[key], taxed));
  };
  const th = (key, cls) => el('th', { class: cls, scope: 'col' }, t(key));
  return el('table', { class: 'table rates-table', id },
    el('thead', {}, el('tr', {},
      th('report.rate'), th('report.r.sales', 'num'), th('report.r.tax', 'num'),
      th('report.r.refunds', 'num'), th('report.r.tax', 'num'), th('report.r.net', 'num'), th('report.r.tax', 'num'))),
    el('tbody', {}, [...RATE_KEYS, 'unrecorded'].map(rowOf)));
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
  const orders = rep.firstOrderNo
    ? [' · ', ...fill('report.orders', { first: orderNo(rep.firstOrderNo), last: orderNo(rep.lastOrderNo) })]
    : [];
  $('#report-meta').replaceChildren(meta, ...orders);
  const f = rep.byRate;
  $('#report-headline').replaceChildren(...(f ? headline(f) : []));
  $('#report-rates').replaceChildren(f ? ratesTable(f, 'report-rates-table') : '');
  $('#report-body').replaceChildren(...reportRows(rep));
  // A Z's figures stay as closed; what changed since has its own by-rate figures.
  const since = rep.sinceClose?.byRate;
  $('#report-since').hidden = !since;
  $('#report-since-headline').replaceChildren(...(since ? headline(since) : []));
  $('#report-since-rates').replaceChildren(since ? ratesTable(since, 'report-since-table') : '');
  $('#report-print-status').textContent = '';
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
    shiftLine = open ? ['shift.opened', { id: open.shift.id, cashier: open.shift.cashier }] : ['shift.none', {}];
    showInfo(status, t(...shiftLine));
    status.dataset.line = 'shift'; // redrawn on a language change
    if (open || !report || report.shift.closedAt == null) renderReport(open);
    placeNextShift(!open && report?.shift.closedAt != null);
    renderPast(st.past);
    renderOutside(st.outsideShifts);
    await refreshShiftGate();
  } catch (err) {
    showError(status, err);
  }
}

/** After a close the Z report comes first and the next shift's form under
 * it (titled, with an empty name field); otherwise the form leads. */
function placeNextShift(afterClose) {
  const next = $('#shift-next');
  $('#shift-next-title').hidden = !afterClose;
  if (afterClose) $('#recon').after(next);
  else $('#panel-shift .page-head').after(next);
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
    $('#shift-cashier').value = '';
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
    // The next shift's cashier types their own name.
    $('#shift-cashier').value = '';
    renderReport(z);
    await openShift();
    announce(t('report.z', { id: z.shift.id, z: z.shift.zNumber }));
  } catch (err) {
    showError($('#shift-status'), err);
  }
}

let recon = null; // the last reconciliation shown (redrawn on a language change)

function renderRecon(r) {
  recon = r;
  const counts = { remote: r.elepayCharges, local: r.ledgerPaid, n: r.differences.length };
  $('#recon-summary').textContent = r.differences.length ? t('shift.recon.some', counts) : t('shift.recon.clean', counts);
  $('#recon-list').replaceChildren(...r.differences.map((d) => el('li', {},
    t(`recon.${d.kind}`, {
      orderNo: d.orderNo, amount: yen(d.amount), local: yen(d.local ?? d.localRefunded),
      elepay: yen(d.elepay ?? d.elepayRefunded), status: d.status ?? '',
    }) + (d.recorded ? t('recon.recorded') : ''))));
}

/** Reconciles `shiftId` (default: the report on screen) with elepay. */
async function reconcile(shiftId = report?.shift.id) {
  if (shiftId == null) return;
  const box = $('#recon');
  $('#shift-reconcile').disabled = true;
  try {
    const r = await api.reconcile(shiftId);
    box.hidden = false;
    renderRecon(r);
    if (r.differences.some((d) => d.recorded)) await openShift();
  } catch (err) {
    showError($('#shift-status'), err);
  } finally {
    $('#shift-reconcile').disabled = false;
  }
}

/** The X/Z report on the receipt printer, or (none set) its lines through
 * the print dialog: Rust lays it out. */
async function printReport() {
  if (!report) return;
  const status = $('#report-print-status');
  status.className = 'form-status busy';
  status.textContent = t('rcpt.printing');
  try {
    const out = await api.printReport(report.shift.id);
    if (!out.printer) printLines(out.lines, { widthMm: out.widthMm });
    status.className = 'form-status ok';
    status.textContent = t(out.printer ? 'report.printed' : 'report.toDialog');
  } catch (err) {
    const { title, detail } = errorText(err);
    status.className = 'form-status error';
    status.textContent = `${title} ${detail ?? ''}`.trim();
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
  $('#refund-mode').addEventListener('click', () => {
    if (!refunding) return;
    refunding.byItems = !refunding.byItems;
    syncRefundMode();
    (refunding.byItems ? $('#refund-lines input:not([disabled])') : $('#refund-amount'))?.focus();
  });
  $('#shift-open').addEventListener('submit', openNewShift);
  $('#shift-x').addEventListener('click', openShift);
  $('#shift-close').addEventListener('click', closeShift);
  $('#shift-reconcile').addEventListener('click', () => reconcile());
  $('#report-print').addEventListener('click', printReport);
  initReceiptDialog({ onIssued: (text) => showInfo($('#tx-status'), text) });
  $('#report-export').addEventListener('click', exportReport);
  // elepay finishing a refund shows up in an open list at once.
  api.onRefund(async (r) => {
    if ($('#panel-transactions').hidden || !rows.some((row) => row.id === r.attemptId)) return;
    const open = rows.find((row) => row.id === detailFor);
    if (open) timelines.set(open.saleId, await api.saleTimeline(open.saleId).catch(() => timelines.get(open.saleId)));
    await load(false, { quiet: true });
  });
}

export function relabelHistory() {
  renderTransactions();
  if (report) renderReport(report);
  if (recon && !$('#recon').hidden) renderRecon(recon);
  const status = $('#shift-status');
  if (shiftLine && status.dataset.line === 'shift') status.textContent = t(...shiftLine);
}
