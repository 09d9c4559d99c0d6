// Transactions and Shift tabs: for now, views over recent_attempts.

import { $, el } from './dom.js';
import { t, errorText } from './i18n.js';
import { yen, hhmmss, walletName } from './format.js';
import { api } from './cashier-api.js';

const PAGE = 50;
const STATUS = {
  reserved: 'creating', creating: 'creating', pending: 'pending', captured: 'paid',
  closed: 'cancelled', expired: 'expired', burned: 'failed', rejected: 'failed',
};
let rows = [];

function row(a) {
  const status = STATUS[a.state] ?? 'creating';
  const reason = `tx.reason.${a.errorCode}`;
  const note = !a.errorCode ? '' : t(reason) === reason ? a.errorCode : t(reason);
  return el('tr', {},
    el('td', {}, el('time', {}, hhmmss(a.paidTime ?? a.createdAt))),
    el('td', { class: 'mono' }, a.orderNo),
    el('td', { class: 'num amount' }, yen(a.amount)),
    el('td', {}, el('span', { class: `pill pill-${status}` }, t(`pay.state.${status}`))),
    el('td', {}, walletName(a.paymentMethod)),
    el('td', { class: 'note' }, note));
}

function renderTransactions() {
  $('#tx-body').replaceChildren(...rows.map(row));
  $('#tx-empty').hidden = rows.length > 0;
}

async function load(older) {
  const status = $('#tx-status');
  try {
    const beforeId = older && rows.length ? rows[rows.length - 1].id : undefined;
    const page = await api.recentAttempts(PAGE, beforeId);
    rows = older ? rows.concat(page) : page;
    $('#tx-more').hidden = page.length < PAGE;
    status.textContent = '';
    renderTransactions();
  } catch (err) {
    const { title, detail } = errorText(err);
    status.textContent = `${title} ${detail}`;
  }
}

export const openTransactions = () => load(false);

export async function openShift() {
  let recent = [];
  try {
    recent = await api.recentAttempts(200);
  } catch (err) {
    $('#shift-basis').textContent = errorText(err).title;
    return;
  }
  const today = new Date().setHours(0, 0, 0, 0);
  const paid = recent.filter((a) => a.state === 'captured' && (a.paidTime ?? a.createdAt) >= today);
  const byWallet = new Map();
  for (const a of paid) {
    const w = walletName(a.paymentMethod) || '—';
    const cur = byWallet.get(w) ?? { count: 0, amount: 0 };
    byWallet.set(w, { count: cur.count + 1, amount: cur.amount + a.amount });
  }
  $('#shift-count').textContent = String(paid.length);
  $('#shift-total').textContent = yen(paid.reduce((s, a) => s + a.amount, 0));
  $('#shift-wallets').replaceChildren(...[...byWallet].sort((x, y) => y[1].amount - x[1].amount).map(([w, v]) =>
    el('tr', {}, el('td', {}, w), el('td', { class: 'num' }, String(v.count)), el('td', { class: 'num amount' }, yen(v.amount)))));
  $('#shift-basis').textContent = t('shift.basis', { n: recent.length });
}

export function initHistory() {
  $('#tx-refresh').addEventListener('click', () => load(false));
  $('#tx-more').addEventListener('click', () => load(true));
}

export const relabelHistory = renderTransactions;
