// The active-payment panel: every attempt this window knows about, the one
// shown large ("active"), the others listed compactly, and the actions on them.
// Events may arrive late, twice or out of order; track() merges them.

import { $, el, announce, showSvg, toast } from './dom.js';
import { t, errorText } from './i18n.js';
import { yen, mmss, hhmmss, walletName } from './format.js';
import { api } from './cashier-api.js';
import { confirmDialog, dialogOpen } from './dialog.js';
import { playPaid, playExpired } from './sound.js';

const STATUS = {
  reserved: 'creating', creating: 'creating', pending: 'pending', captured: 'paid',
  closed: 'cancelled', expired: 'expired', burned: 'failed', rejected: 'failed',
};

const entries = new Map(); // attemptId → entry (see track)
let activeId = null;
let appMode = 'demo';
let chargeInFlight = false;
const seenDuringCharge = new Set();
let isRegisterVisible = () => true;
let onPendingCount = () => {};
let onSettled = () => {};

const statusOf = (e) => (e.cancelling ? 'cancelling' : STATUS[e.attempt.state] ?? 'creating');
// Whether an attempt may still change is Rust's (`final`, AttemptState::is_final), as is
// whether its code is live (`showsCode`: the QR and the countdown are drawn from it).
const isFinal = (e) => Boolean(e.attempt.final);
const remaining = (e) => (e.remainingMs == null ? null : e.remainingMs - (performance.now() - e.syncedAt));

/** Does `incoming` describe a later moment of the attempt than `old`? */
function supersedes(old, incoming) {
  if (old.state === 'captured') return incoming.state === 'captured' && incoming.updatedAt >= old.updatedAt;
  if (incoming.state === 'captured') return true; // a late payment beats closed/expired
  if (old.final && !incoming.final) return false;
  return incoming.updatedAt >= old.updatedAt;
}

/** Merge one piece of news about an attempt. Returns its entry. `note` comes
 * from the backend; `label` is this window's own remark (e.g. "charge
 * started"), attached to the first timeline line. */
function track(attempt, { remainingMs, note, qrSvg, label } = {}) {
  let e = entries.get(attempt.id);
  const isNew = !e;
  if (isNew) {
    e = { attempt, remainingMs: null, syncedAt: 0, timeline: [], qrSvg: null, error: null, seenFinalAt: null };
    entries.set(attempt.id, e);
  }
  const before = isNew ? null : e.attempt.state;
  if (isNew || supersedes(e.attempt, attempt)) e.attempt = attempt;
  if (qrSvg) e.qrSvg = qrSvg;
  if (remainingMs != null && e.attempt.showsCode) {
    e.remainingMs = remainingMs;
    e.syncedAt = performance.now();
  }
  const changed = e.attempt.state !== before;
  const last = e.timeline[e.timeline.length - 1];
  // reserved → creating read the same to a cashier: one line, not two.
  const sameLabel = last && STATUS[last.state] === STATUS[e.attempt.state];
  if ((changed && !sameLabel) || (note && note !== last?.note)) {
    e.timeline.push({ at: Date.now(), state: e.attempt.state, note: note ?? '' });
  }
  if (label && !e.timeline[0].label) e.timeline[0].label = label;
  if (changed) stateChanged(e);
  if (isNew && chargeInFlight) seenDuringCharge.add(attempt.id);
  if (isNew && (chargeInFlight || activeId == null || !entries.has(activeId))) activeId = attempt.id;
  return e;
}

function stateChanged(e) {
  const a = e.attempt;
  if (isFinal(e)) {
    e.seenFinalAt ??= Date.now();
    onSettled(a);
  }
  const status = statusOf(e);
  const stateText = t(`pay.state.${status}`);
  if (a.state === 'captured') {
    playPaid();
    const msg = paidText(a);
    announce(`${msg} — ${a.orderNo}`, true);
    if (!isRegisterVisible()) toast(msg);
  } else {
    if (a.state === 'expired') playExpired();
    announce(t('ann.state', { orderNo: a.orderNo, state: stateText, amount: yen(a.amount) }), status === 'failed');
  }
}

function paidText(a) {
  const wallet = walletName(a.paymentMethod);
  return t('pay.paid', { amount: yen(a.amount) }) + (wallet ? ` — ${wallet}` : '');
}

// ---- actions ---------------------------------------------------------------

/** Run a create (charge or retry). Resolves when the sale now lives in this
 * panel: QR up, or a failed attempt shown with Try again. Rejects when nothing
 * was created, so the caller keeps what was typed and shows the error. */
async function create(request, label) {
  chargeInFlight = true;
  seenDuringCharge.clear();
  try {
    const checkout = await request();
    const e = track(checkout.attempt, { remainingMs: checkout.remainingMs, label, qrSvg: checkout.qrSvg });
    activeId = e.attempt.id;
    return e;
  } catch (err) {
    const failed = [...seenDuringCharge].map((id) => entries.get(id)).find((e) => e && isFinal(e));
    if (!failed) throw err;
    failed.error = err;
    activeId = failed.attempt.id;
    announce(errorText(err).title, true);
    return failed;
  } finally {
    chargeInFlight = false;
    render();
  }
}

export const charge = (req) => create(() => api.charge(req), 'pay.note.charged');

async function retry() {
  const old = entries.get(activeId);
  if (!old || old.busy) return;
  old.error = null;
  old.busy = true;
  render();
  try {
    await create(() => api.retry(old.attempt.saleId), 'pay.note.retried');
    entries.delete(old.attempt.id);
  } catch (err) {
    old.error = err;
    announce(errorText(err).title, true);
  } finally {
    old.busy = false;
    render();
  }
}

/** Esc or the Cancel button: confirm, then close the code and read it back. */
export async function cancelActive() {
  const e = entries.get(activeId);
  if (!e || !e.attempt.cancellable || e.cancelling || dialogOpen()) return;
  const ok = await confirmDialog({
    title: t('dlg.cancel.title'),
    body: t('dlg.cancel.body', { orderNo: e.attempt.orderNo, amount: yen(e.attempt.amount) }),
    yes: t('dlg.cancel.yes'), no: t('dlg.cancel.no'), danger: true,
  });
  if (!ok) return;
  e.cancelling = true;
  e.error = null;
  render();
  try {
    const result = await api.cancel(e.attempt.id);
    e.cancelling = false;
    e.paidMeanwhile = result.outcome === 'paidMeanwhile';
    track(result.attempt);
  } catch (err) {
    e.cancelling = false;
    e.error = err;
    announce(errorText(err).title, true);
  }
  render();
}

function newSale() {
  entries.delete(activeId);
  activeId = newestOpen()?.attempt.id ?? null;
  render();
}

function newestOpen() {
  return [...entries.values()].filter((e) => !isFinal(e)).sort((x, y) => y.attempt.createdAt - x.attempt.createdAt)[0];
}

// ---- rendering -------------------------------------------------------------

function outcomeBox(e) {
  const a = e.attempt;
  const box = (cls, ...children) => el('div', { class: `outcome ${cls}` }, ...children);
  if (e.error) {
    const { title, detail } = errorText(e.error);
    return box('error', el('strong', {}, title), detail && el('span', { class: 'detail' }, detail));
  }
  switch (statusOf(e)) {
    case 'paid':
      return box('paid', el('span', { class: 'check', 'aria-hidden': 'true' }),
        el('strong', {}, paidText(a)), e.paidMeanwhile && el('span', { class: 'detail' }, t('pay.paidMeanwhile')));
    case 'cancelled':
      return box('neutral', el('strong', {}, t('pay.cancelledMsg')), el('span', { class: 'detail' }, t('pay.retryHint')));
    case 'expired':
      return box('neutral', el('strong', {}, t('pay.expiredMsg')), el('span', { class: 'detail' }, t('pay.retryHint')));
    case 'failed': {
      const note = [...e.timeline].reverse().find((x) => x.note)?.note;
      const { title } = a.errorCode ? errorText({ code: a.errorCode }) : { title: t('pay.failedMsg') };
      return box('error', el('strong', {}, title === t('err.unknown') ? t('pay.failedMsg') : title),
        note && el('span', { class: 'detail' }, note));
    }
    default:
      return null;
  }
}

/** The QR in the thumbnail now (its SVG text): redrawn only when it changes. */
let drawnSvg = null;

function renderActive(e) {
  const a = e.attempt;
  const status = statusOf(e);
  $('#pay-order').textContent = a.orderNo;
  $('#pay-amount').textContent = yen(a.amount);
  const pill = $('#pay-pill');
  pill.textContent = t(`pay.state.${status}`);
  pill.className = `pill pill-${status}`;
  $('#pay-active').dataset.status = status;

  const svg = e.qrSvg;
  const qr = $('#pay-qr');
  if (svg !== drawnSvg) {
    if (svg) showSvg(qr, svg);
    else qr.replaceChildren();
    drawnSvg = svg;
  }
  qr.setAttribute('aria-label', t('pay.qrAlt', { orderNo: a.orderNo }));
  qr.hidden = !svg;
  $('#pay-qr-missing').hidden = Boolean(svg);
  $('#pay-qr-missing').textContent = t(a.showsCode ? 'pay.qrMissing' : 'pay.qrNone');
  $('#pay-qr-box').classList.toggle('spent', !a.showsCode);

  $('#pay-outcome').replaceChildren(outcomeBox(e) ?? '');
  renderCountdown(e);

  const final = isFinal(e);
  // Both buttons as Rust's flags on the attempt say.
  $('#pay-cancel').hidden = !a.cancellable;
  $('#pay-cancel').disabled = Boolean(e.cancelling);
  $('#pay-retry').hidden = !a.retryable;
  $('#pay-retry').disabled = Boolean(e.busy);
  $('#pay-new').hidden = !final;
  $('#pay-phone').hidden = !(appMode === 'demo' && a.showsCode);

  $('#pay-timeline').replaceChildren(...e.timeline.map((x) => el('li', {},
    el('time', {}, hhmmss(x.at)),
    el('span', { class: `tl-state tl-${STATUS[x.state]}` }, t(`pay.state.${STATUS[x.state] ?? 'creating'}`)),
    el('span', { class: 'tl-note' }, [x.label && t(x.label), x.note].filter(Boolean).join(' — ')))));
  const tl = $('#pay-timeline');
  tl.scrollTop = tl.scrollHeight;
}

function renderCountdown(e) {
  const box = $('#pay-countdown-box');
  box.hidden = !e.attempt.showsCode;
  const ms = remaining(e);
  $('#pay-countdown').textContent = mmss(ms);
  const confirming = ms != null && ms <= 0;
  $('#pay-countdown-note').textContent = confirming ? t('pay.confirmingExpiry') : '';
  box.classList.toggle('low', ms != null && ms < 60_000);
}

function renderOthers() {
  const now = Date.now();
  // Finished attempts that are not active drop out of the list after a minute.
  for (const [id, e] of entries) if (id !== activeId && isFinal(e) && now - e.seenFinalAt > 60_000) entries.delete(id);
  const others = [...entries.values()].filter((e) => e.attempt.id !== activeId)
    .sort((x, y) => y.attempt.createdAt - x.attempt.createdAt);
  $('#pay-others').hidden = others.length === 0;
  $('#pay-others-count').textContent = String(others.length);
  $('#pay-others-list').replaceChildren(...others.map((e) => {
    const status = statusOf(e);
    return el('li', {}, el('button', {
      type: 'button', class: 'other', dataset: { id: e.attempt.id },
      onclick: () => { activeId = e.attempt.id; render(); },
    },
    el('span', { class: 'other-order' }, e.attempt.orderNo),
    el('span', { class: 'other-amount' }, yen(e.attempt.amount)),
    // While pending the ticking countdown says enough; other states get their pill.
    e.attempt.showsCode
      ? el('span', { class: 'other-time' }, mmss(remaining(e)))
      : el('span', { class: `pill pill-${status}` }, t(`pay.state.${status}`))));
  }));
}

export function render() {
  const active = entries.get(activeId);
  $('#pay-empty').hidden = Boolean(active);
  $('#pay-active').hidden = !active;
  if (active) renderActive(active);
  renderOthers();
  onPendingCount([...entries.values()].filter((e) => !isFinal(e)).length);
}

function tick() {
  const active = entries.get(activeId);
  if (active?.attempt.showsCode) renderCountdown(active);
  document.querySelectorAll('#pay-others-list .other').forEach((btn) => {
    const e = entries.get(Number(btn.dataset.id));
    if (e?.attempt.showsCode) btn.querySelector('.other-time').textContent = mmss(remaining(e));
  });
}

// ---- wiring ----------------------------------------------------------------

export const setMode = (mode) => { appMode = mode; render(); };

/** The attempt this window knows by id (for the receipt bar), or null. */
export const attemptById = (id) => entries.get(id)?.attempt ?? null;

export async function initPayments(opts) {
  isRegisterVisible = opts.isRegisterVisible;
  onPendingCount = opts.onPendingCount;
  onSettled = opts.onSettled ?? onSettled;
  $('#pay-cancel').addEventListener('click', cancelActive);
  $('#pay-retry').addEventListener('click', retry);
  $('#pay-new').addEventListener('click', newSale);
  $('#pay-phone').addEventListener('click', async () => {
    const e = entries.get(activeId);
    if (!e) return;
    try { await api.openPhoneView(e.attempt.id); } catch (err) { e.error = err; render(); }
  });

  await api.onCashier((ev) => {
    track({ ...ev.attempt, state: ev.state ?? ev.attempt.state }, { remainingMs: ev.remainingMs, note: ev.note, qrSvg: ev.qrSvg });
    render();
  });

  // After a reload or restart: pick up attempts that are still open.
  try {
    const recent = await api.recentAttempts(30);
    for (const a of recent.filter((x) => !x.final).reverse()) track(a, { label: 'pay.note.restored' });
    activeId = newestOpen()?.attempt.id ?? activeId;
  } catch (err) {
    console.error('recent_attempts failed', err);
  }
  render();
  setInterval(tick, 1000);
}
