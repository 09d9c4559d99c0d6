// Customer display. It only reads: the `customer_state` command (on load) and
// the `customer` event. Japanese first, English under it, always both.

import { customerApi } from './ipc.js';
import { t } from './i18n.js';
import { yen, mmss, walletName } from './format.js';
import { $, el, announce, showSvg } from './dom.js';
import { playExpired } from './sound.js';

const OUTCOMES = new Set(['paid', 'expired', 'cancelled']);

let view = { screen: 'idle', storeName: '' };
let remainingMs = null;
let syncedAt = 0;
/** The QR now in the DOM (its SVG text), so a countdown refresh never redraws it. */
let drawnSvg = null;

/** Japanese line, then the English line under it. */
const bilingual = (key, params) => [
  el('span', { class: 'ja', lang: 'ja' }, t(key, params, 'ja')),
  el('span', { class: 'en', lang: 'en' }, t(key, params, 'en')),
];
const both = (key, params) => `${t(key, params, 'ja')} ${t(key, params, 'en')}`.replaceAll('\u200b', '');

/** Draws a view as Rust sent it. Which screen is up, for which code and for
 * how long, is decided in Rust (src-tauri/src/customer.rs), which also sends
 * the return to idle. */
function show(next) {
  if (!next) return;
  const sameScreen = next.screen === view.screen && next.codeId === view.codeId;
  view = { ...next, storeName: next.storeName || view.storeName };
  if (next.screen === 'payment' && next.remainingMs != null) {
    remainingMs = next.remainingMs;
    syncedAt = performance.now();
  }
  if (!sameScreen && next.screen === 'expired') playExpired();
  // A repeat of the same screen (the countdown refresh) only re-syncs the clock.
  if (sameScreen && view.screen === 'payment') renderCountdown();
  else render(!sameScreen);
}

/** Draw the current view; `announce` only when the screen really changed. */
function render(speak = true) {
  document.body.dataset.screen = view.screen;
  if (view.screen !== 'payment') {
    // No QR stays in the page once its screen is gone.
    delete document.body.dataset.qrPainted;
    drawnSvg = null;
    $('#qr').replaceChildren();
  }
  $('#screen-idle').hidden = view.screen !== 'idle';
  $('#screen-payment').hidden = view.screen !== 'payment';
  $('#screen-outcome').hidden = !OUTCOMES.has(view.screen);
  // DEMO and TEST move no real money: a ribbon says so, in words.
  const ribbon = $('#demo-ribbon');
  ribbon.hidden = view.mode !== 'demo' && view.mode !== 'test';
  ribbon.dataset.mode = view.mode ?? '';
  if (!ribbon.hidden) ribbon.replaceChildren(...bilingual(view.mode === 'test' ? 'cust.test' : 'cust.demo'));

  if (view.screen === 'idle') {
    $('#idle-store').textContent = view.storeName ?? '';
    if (speak) announce(both('cust.welcome'));
  } else if (view.screen === 'payment') {
    $('#pay-store').textContent = view.storeName ?? '';
    $('#amount').textContent = yen(view.amount);
    const box = $('#qr');
    if (view.qrSvg && view.qrSvg !== drawnSvg) {
      delete document.body.dataset.qrPainted;
      showSvg(box, view.qrSvg);
      drawnSvg = view.qrSvg;
      markPainted(view.codeId);
    }
    box.setAttribute('aria-label', both('cust.qrAlt'));
    renderItems();
    const wallets = (view.wallets ?? []).map(walletName).filter(Boolean);
    $('#wallets-box').hidden = wallets.length === 0;
    $('#wallets').replaceChildren(...wallets.map((w) => el('li', {}, w)));
    renderCountdown();
    if (speak) announce(`${yen(view.amount)}. ${both('cust.scan')}`);
  } else {
    const paid = view.screen === 'paid';
    // Each outcome has its own icon, drawn in CSS (✓, clock, ×): never colour alone.
    $('#outcome-icon').dataset.icon = view.screen;
    const key = { paid: 'cust.paid', expired: 'cust.expired', cancelled: 'cust.cancelled' }[view.screen];
    $('#outcome-title').replaceChildren(...bilingual(key));
    // Paid: name the wallet the customer used, when the app knows it.
    const wallet = paid && view.wallet ? walletName(view.wallet) : '';
    $('#outcome-sub').replaceChildren(...(wallet ? bilingual('cust.paidWith', { wallet }) : bilingual(`${key}Sub`)));
    $('#outcome-amount').textContent = view.amount != null && paid ? yen(view.amount) : '';
    if (speak) announce(`${both(key)} ${both(`${key}Sub`)}`, paid);
  }
}

/** The sale's item lines (the first few, as rung up; ※ = reduced rate) and
 * how many more. An amount-only sale has none. */
function renderItems() {
  const items = view.items ?? [];
  const more = Number(view.moreItems ?? 0);
  $('#items-box').hidden = items.length === 0;
  document.body.dataset.items = String(items.length > 0); // the column tightens to make room
  $('#items').replaceChildren(
    ...items.map((it) => el('li', { class: it.reduced ? 'reduced' : null },
      el('span', { class: 'item-name' }, it.name, it.reduced ? el('span', { class: 'mark' }, '※') : null),
      el('span', { class: 'item-qty' }, `×${it.qty}`),
      el('span', { class: 'item-amount' }, yen(it.amount)))),
    ...(more > 0 ? [el('li', { class: 'more' }, ...bilingual('cust.moreItems', { n: more }))] : []));
  $('#items-legend').hidden = !items.some((it) => it.reduced);
}

/** Marks when the QR is really on screen, for the latency bench and the
 * tests: a timer queued from the next animation frame runs once that frame
 * has been drawn. */
function markPainted(codeId) {
  requestAnimationFrame(() => setTimeout(() => {
    if (view.screen === 'payment' && view.codeId === codeId) document.body.dataset.qrPainted = codeId ?? '';
  }, 0));
}

function renderCountdown() {
  if (view.screen !== 'payment') return;
  const ms = remainingMs == null ? null : remainingMs - (performance.now() - syncedAt);
  $('#countdown').textContent = mmss(ms);
  $('#countdown-box').classList.toggle('low', ms != null && ms < 60_000);
}

function fillStaticText() {
  document.querySelectorAll('[data-bi]').forEach((node) => node.replaceChildren(...bilingual(node.dataset.bi)));
}

async function main() {
  fillStaticText();
  render();
  let heardEvent = false;
  await customerApi.onView((next) => {
    heardEvent = true;
    show(next);
  });
  try {
    const state = await customerApi.state();
    if (!heardEvent) show(state);
  } catch (err) {
    console.error('customer_state failed', err);
  }
  setInterval(renderCountdown, 500);
}

main();
