// The Register tab's left side: amount entry (keypad + keyboard), the tax
// rate of an amount-only sale, and item lines with their rates.
//
// It decides nothing about money: what was typed goes to Rust (`charge`),
// which computes the total and the tax and refuses bad input naming the
// field (`amount`, `rate`, `items[1].qty`, …); the refusal is shown on that
// field. The only sums here are for display (the lines as typed).

import { $, el, announce } from './dom.js';
import { t, errorText } from './i18n.js';
import { yen, asciiDigits } from './format.js';

/** The rates a line can have, in the order the row's toggle cycles them. */
const RATES = ['standard', 'reduced', 'free'];
/** Room on screen for typed digits. Not the maximum: Rust refuses an
 * amount above its maximum with a field error. */
const DIGITS_ROOM = 10;

let digits = ''; // typed amount, no leading zeros
let tax = { pricing: 'included', rounding: 'floor', defaultRate: 'standard' };
/** What Rust accepts (app_info.limits), only to say so on screen; Rust
 * refuses anything beyond them, naming the field. */
let limits = null;
let amountRate = 'standard'; // the rate of an amount-only sale
let items = []; // [{ name, qty, price, rate, row }] as typed (strings)
let itemsOpen = true;
let charging = false;
let amountError = null; // Rust's refusal of `amount` / `rate`, shown under the amount
let onCharge = async () => {};

/** Digits only (full-width ones too): what a numeric field holds. */
const onlyDigits = (s) => asciiDigits(s).replace(/\D/g, '');
const whole = (s) => (s === '' ? 0 : Number(s));
/** qty × unit price of a line as typed, for display; null until both are typed. */
const lineSum = (it) => (it.qty !== '' && it.price !== '' ? Number(it.qty) * Number(it.price) : null);

/** The store's tax settings (app_info.tax); the next amount starts at its default rate. */
export function setTax(settings) {
  if (!settings) return;
  const before = tax.defaultRate;
  tax = { ...tax, ...settings };
  if (!digits || amountRate === before) amountRate = tax.defaultRate;
  render();
}

/** The limits Rust enforces (app_info.limits), shown as hints. */
export function setLimits(l) {
  limits = l ?? null;
  relabelItems();
  render();
}

export const canCharge = () => !charging && (items.length > 0 || Number(digits || 0) > 0);

export function digit(d) {
  if (items.length || charging || digits.length >= DIGITS_ROOM) return;
  digits = (digits + d).replace(/^0+/, '');
  clearErrors();
  render();
}

export function backspace() {
  if (items.length || charging) return;
  digits = digits.slice(0, -1);
  clearErrors();
  render();
}

/** The keypad's rate key (and `*`): the amount-only sale's rate, 10 % ⇄ 8 %. */
export function toggleRate() {
  if (items.length || charging) return;
  amountRate = amountRate === 'reduced' ? 'standard' : 'reduced';
  clearErrors();
  render();
  announce(t('reg.rateNow', { rate: t(`rate.${amountRate}`) }));
}

export function clear() {
  if (charging) return;
  digits = '';
  items = [];
  amountRate = tax.defaultRate;
  $('#items-list').replaceChildren();
  clearErrors();
  render();
}

/** The request as typed: item lines (each with its rate), or an amount and its rate. */
function request() {
  if (items.length) {
    return {
      items: items.map((it) => ({ name: it.name, qty: whole(it.qty), unitPrice: whole(it.price), rate: it.rate })),
    };
  }
  return { amount: whole(digits), rate: amountRate };
}

export async function charge() {
  if (!canCharge()) return;
  charging = true;
  clearErrors();
  render();
  try {
    await onCharge(request());
    charging = false;
    clear();
  } catch (err) {
    charging = false; // what was typed stays, so the cashier can fix it
    showFieldError(err);
    render();
  }
}

/** Rust's refusal shown under Charge, kept to be said again in the other language. */
let chargeError = null;

/** Shown under the Charge button when the charge call itself fails; with
 * `err`, its words follow a language switch. */
export function showChargeError({ title, detail }, err = null) {
  chargeError = err;
  const box = $('#charge-error');
  box.replaceChildren(el('strong', {}, title), detail ? el('span', { class: 'detail' }, detail) : '');
  box.hidden = false;
}
/** An attempt reached its end: a refusal that named it (code_showing) no longer holds. */
export function attemptSettled(attemptId) {
  if (chargeError?.attemptId != null && chargeError.attemptId === attemptId) hideChargeError();
}

function hideChargeError() {
  chargeError = null;
  $('#charge-error').hidden = true;
}

/** Puts Rust's refusal on the field it names: the amount (or its rate), or
 * one input of one item row. */
function showFieldError(err) {
  const field = String(err?.field ?? '');
  if (field === 'amount' || field === 'rate') {
    amountError = { field, message: err.message ?? '' };
    return;
  }
  const m = /^items\[(\d+)\]\.?(name|qty|unitPrice|rate)?$/.exec(field);
  const it = m && items[Number(m[1])];
  if (!it) return;
  const input = { name: '.item-name', qty: '.item-qty', unitPrice: '.item-price', rate: '.item-rate' }[m[2]];
  const target = input ? it.row.querySelector(input) : null;
  target?.setAttribute('aria-invalid', 'true');
  const what = m[2] ? t(`items.field.${m[2]}`) : t('items.field.line');
  const box = it.row.querySelector('.item-error');
  box.textContent = `${t('items.err', { n: Number(m[1]) + 1, what })} ${err.message ?? ''}`.trim();
  box.hidden = false;
  itemsOpen = true;
  (target ?? it.row.querySelector('.item-name')).focus();
}

function clearErrors() {
  amountError = null;
  hideChargeError();
  for (const it of items) clearRowError(it);
}

function clearRowError(it) {
  it.row.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  const box = it.row.querySelector('.item-error');
  box.hidden = true;
  box.textContent = '';
}

/** The rate toggle of an item row: 10 % → 8 % → 非課税 → 10 %. */
function nextRate(rate) {
  return RATES[(RATES.indexOf(rate) + 1) % RATES.length];
}

function renderRateButton(button, rate) {
  button.dataset.rate = rate;
  button.textContent = t(`rate.short.${rate}`);
  button.setAttribute('aria-label', t('items.rateIs', { rate: t(`rate.${rate}`) }));
  button.title = t('items.rateToggle');
}

/** Adds an item line. An amount typed on the keypad becomes its unit price
 * (at the keypad's rate), so lines can be rung up from the keypad: type the
 * price, press ＋ 商品, type the name. */
function addItem() {
  if (charging) return;
  const it = { name: '', qty: '1', price: digits, rate: digits ? amountRate : tax.defaultRate, row: null };
  digits = '';
  items.push(it);
  itemsOpen = true;
  const input = (cls, key, attrs, filter) => el('input', {
    class: cls, value: it[key], autocomplete: 'off', ...attrs,
    oninput: (e) => {
      if (filter) {
        const v = filter(e.target.value);
        if (v !== e.target.value) e.target.value = v;
      }
      it[key] = e.target.value;
      clearRowError(it);
      hideChargeError();
      render();
    },
  });
  const rateButton = el('button', {
    type: 'button', class: 'item-rate',
    onclick: () => {
      it.rate = nextRate(it.rate);
      renderRateButton(rateButton, it.rate);
      clearRowError(it);
      hideChargeError();
      render();
    },
  });
  renderRateButton(rateButton, it.rate);
  const row = el('div', { class: 'item-row', role: 'group' },
    input('item-name', 'name', { type: 'text', 'aria-label': t('items.name'), placeholder: t('items.name') }),
    input('item-qty', 'qty', { type: 'text', inputmode: 'numeric', 'aria-label': t('items.qty') }, onlyDigits),
    input('item-price', 'price', { type: 'text', inputmode: 'numeric', 'aria-label': t('items.unitPrice'), placeholder: t('items.unitPrice') }, onlyDigits),
    rateButton,
    el('output', { class: 'item-total' }),
    el('button', {
      type: 'button', class: 'item-remove', 'aria-label': t('items.remove'), title: t('items.remove'),
      onclick: () => { items = items.filter((x) => x !== it); row.remove(); clearErrors(); render(); },
    }, '×'),
    el('p', { class: 'item-error', role: 'alert', hidden: true }));
  it.row = row;
  row.item = it;
  limitTitles(row);
  $('#items-list').append(row);
  clearErrors();
  render();
  row.querySelector('.item-name').focus();
}

/** The label over the amount: what the figure is. */
function amountLabel(hasItems) {
  if (!hasItems) return t('reg.amountIncl');
  return t(tax.pricing === 'excluded' ? 'reg.itemsSumExcl' : 'reg.itemsSumIncl');
}

export function render() {
  const hasItems = items.length > 0;
  // With items the figure is the lines as typed, labelled as such: under
  // tax-excluded pricing the total charged is Rust's (tax added), not this.
  const sums = items.map(lineSum);
  const shown = hasItems ? sums.reduce((a, b) => a + (b ?? 0), 0) : Number(digits || 0);
  $('#amount').textContent = yen(shown);
  $('#amount-label').textContent = amountLabel(hasItems);
  const rateBox = $('#amount-rate');
  rateBox.hidden = hasItems;
  rateBox.dataset.rate = amountRate;
  rateBox.textContent = t('reg.rateChip', { rate: t(`rate.${amountRate}`) });

  let hint = 'reg.hint.ready';
  if (!hasItems && !digits) hint = limits ? 'reg.hint.zeroMax' : 'reg.hint.zero';
  else if (hasItems) hint = tax.pricing === 'excluded' ? 'reg.hint.itemsExcl' : 'reg.hint.items';
  const msg = $('#amount-msg');
  msg.textContent = amountError
    ? `${t(amountError.field === 'rate' ? 'reg.err.rate' : 'reg.err.amount')} ${amountError.message}`.trim()
    : t(hint, limits ? { max: yen(limits.amountMax) } : {});
  msg.classList.toggle('error', Boolean(amountError));
  $('#amount-box').classList.toggle('invalid', Boolean(amountError));

  $('#charge').disabled = !canCharge();
  $('#charge-label').textContent = t(charging ? 'reg.charging' : 'reg.charge');
  $('#clear').disabled = charging || (!digits && !hasItems);

  // Items bar and list
  $('#items-summary').textContent = hasItems ? t('items.summary', { n: items.length }) : '';
  $('#items-summary').title = limits ? t('items.limits', {
    name: limits.itemNameMax, qty: limits.qtyMax, price: yen(limits.unitPriceMax), lines: limits.linesMax,
  }) : '';
  $('#items-toggle').hidden = !hasItems;
  $('#items-clear').hidden = !hasItems;
  $('#items-toggle').textContent = t(itemsOpen ? 'items.hide' : 'items.show');
  $('#items-toggle').setAttribute('aria-expanded', String(itemsOpen));
  $('#items-list').hidden = !hasItems || !itemsOpen;
  $('#items-legend').hidden = !items.some((it) => it.rate === 'reduced');
  items.forEach((it, i) => {
    const sum = sums[i];
    it.row.querySelector('.item-total').textContent = sum == null ? '—' : yen(sum);
    it.row.classList.toggle('reduced', it.rate === 'reduced');
  });
  // The keypad is off while items make the sale (its rate key too).
  $('#keypad').classList.toggle('off', hasItems);
  $('#keypad').querySelectorAll('button').forEach((b) => { b.disabled = hasItems || charging; });
  $('#keypad-off').hidden = !hasItems;
  const rateKey = $('#rate-key');
  rateKey.dataset.rate = amountRate;
  rateKey.setAttribute('aria-pressed', String(amountRate === 'reduced'));
  $('#rate-key-now').textContent = t(`rate.short.${amountRate}`);
  $('#rate-key-next').textContent = `⇄ ${t(`rate.short.${amountRate === 'reduced' ? 'standard' : 'reduced'}`)}`;
}

/** Each input's limit as a hover hint (Rust's, from app_info). */
function limitTitles(row) {
  if (!limits) return;
  row.querySelector('.item-name').title = `1–${limits.itemNameMax}`;
  row.querySelector('.item-qty').title = `1–${limits.qtyMax}`;
  row.querySelector('.item-price').title = `${yen(limits.amountMin)}–${yen(limits.unitPriceMax)}`;
}

/** Re-translate texts of existing item rows after a language switch. */
function relabelItems() {
  for (const it of items) {
    const row = it.row;
    row.querySelector('.item-name').placeholder = t('items.name');
    row.querySelector('.item-name').setAttribute('aria-label', t('items.name'));
    row.querySelector('.item-qty').setAttribute('aria-label', t('items.qty'));
    row.querySelector('.item-price').placeholder = t('items.unitPrice');
    row.querySelector('.item-price').setAttribute('aria-label', t('items.unitPrice'));
    renderRateButton(row.querySelector('.item-rate'), it.rate);
    limitTitles(row);
    row.querySelector('.item-remove').setAttribute('aria-label', t('items.remove'));
    row.querySelector('.item-remove').title = t('items.remove');
  }
}

export function initRegister(handlers) {
  onCharge = handlers.onCharge;
  const keypad = $('#keypad');
  // Keep focus where it was: a mouse/touch tap on the keypad must not leave a
  // focused button behind that the next Enter would press again.
  keypad.addEventListener('pointerdown', (e) => { if (e.target.closest('button')) e.preventDefault(); });
  keypad.addEventListener('click', (e) => {
    const key = e.target.closest('button')?.dataset.key;
    if (key === 'back') backspace();
    else if (key === 'rate') toggleRate();
    else if (key) for (const d of key) digit(d);
  });
  $('#charge').addEventListener('click', charge);
  $('#clear').addEventListener('click', clear);
  $('#add-item').addEventListener('click', addItem);
  $('#items-toggle').addEventListener('click', () => { itemsOpen = !itemsOpen; render(); });
  $('#items-clear').addEventListener('click', () => { items = []; $('#items-list').replaceChildren(); clearErrors(); render(); });
  render();
  return {
    relabel: () => {
      relabelItems();
      if (chargeError) showChargeError(errorText(chargeError), chargeError);
      render();
    },
  };
}
