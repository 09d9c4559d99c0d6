// The Register tab's left side: amount entry (keypad + keyboard) and item lines.

import { $, el } from './dom.js';
import { t } from './i18n.js';
import { yen, asciiDigits } from './format.js';

export const MAX_AMOUNT = 9_999_999;

let digits = ''; // typed amount, no leading zeros
let items = []; // [{ name, qty, price }] as typed (strings)
let itemsOpen = true;
let charging = false;
let flash = null; // { key, until } a short-lived error such as "max exceeded"
let onCharge = async () => {};

const toInt = (s) => (/^\d+$/.test(asciiDigits(s).trim()) ? Number(asciiDigits(s).trim()) : NaN);
const itemValid = (it) => it.name.trim() !== '' && toInt(it.qty) >= 1 && toInt(it.qty) <= 999 && toInt(it.price) >= 0;
const itemTotal = (it) => (itemValid(it) ? toInt(it.qty) * toInt(it.price) : 0);

/** The amount to charge: the items' total if there are items, else what was typed. */
export function amount() {
  return items.length ? items.reduce((sum, it) => sum + itemTotal(it), 0) : Number(digits || 0);
}

function problem() {
  if (items.length && !items.every(itemValid)) return 'reg.err.items';
  if (amount() > MAX_AMOUNT) return 'reg.err.max';
  if (flash && flash.until > Date.now()) return flash.key;
  return null;
}

export const canCharge = () => !charging && amount() >= 1 && amount() <= MAX_AMOUNT && !problem();

export function digit(d) {
  if (items.length || charging) return;
  const next = (digits + d).replace(/^0+/, '');
  if (Number(next) > MAX_AMOUNT) {
    flash = { key: 'reg.err.max', until: Date.now() + 4000 };
    setTimeout(render, 4100);
  } else {
    digits = next;
    flash = null;
  }
  hideChargeError();
  render();
}

export function backspace() {
  if (items.length || charging) return;
  digits = digits.slice(0, -1);
  flash = null;
  render();
}

export function clear() {
  if (charging) return;
  digits = '';
  items = [];
  flash = null;
  $('#items-list').replaceChildren();
  hideChargeError();
  render();
}

export async function charge() {
  if (!canCharge()) return;
  charging = true;
  hideChargeError();
  render();
  const req = { amount: amount() };
  if (items.length) req.items = items.map((it) => ({ name: it.name.trim(), qty: toInt(it.qty), unitPrice: toInt(it.price) }));
  try {
    await onCharge(req);
    charging = false;
    clear();
  } catch {
    charging = false; // the amount stays so the cashier can try again
    render();
  }
}

/** Shown under the Charge button when the charge call itself fails. */
export function showChargeError({ title, detail }) {
  const box = $('#charge-error');
  box.replaceChildren(el('strong', {}, title), detail ? el('span', { class: 'detail' }, detail) : '');
  box.hidden = false;
}
function hideChargeError() { $('#charge-error').hidden = true; }

function addItem() {
  const it = { name: '', qty: '1', price: '' };
  items.push(it);
  itemsOpen = true;
  const input = (cls, key, attrs) => el('input', {
    class: cls, value: it[key], autocomplete: 'off', ...attrs,
    oninput: (e) => { it[key] = e.target.value; hideChargeError(); render(); },
  });
  const row = el('div', { class: 'item-row', role: 'group' },
    input('item-name', 'name', { type: 'text', maxlength: 60, 'aria-label': t('items.name'), placeholder: t('items.name') }),
    input('item-qty', 'qty', { type: 'text', inputmode: 'numeric', maxlength: 3, 'aria-label': t('items.qty') }),
    input('item-price', 'price', { type: 'text', inputmode: 'numeric', maxlength: 7, 'aria-label': t('items.unitPrice'), placeholder: t('items.unitPrice') }),
    el('output', { class: 'item-total' }),
    el('button', {
      type: 'button', class: 'item-remove', 'aria-label': t('items.remove'), title: t('items.remove'),
      onclick: () => { items = items.filter((x) => x !== it); row.remove(); render(); },
    }, '×'));
  row.item = it;
  $('#items-list').append(row);
  render();
  row.querySelector('.item-name').focus();
}

export function render() {
  const total = amount();
  $('#amount').textContent = yen(Math.min(total, 99_999_999));
  const issue = problem();
  let hint = 'reg.hint.ready';
  if (issue) hint = issue;
  else if (total === 0) hint = 'reg.hint.zero';
  else if (items.length) hint = 'reg.hint.items';
  const msg = $('#amount-msg');
  msg.textContent = t(hint);
  // Unfinished item lines are work in progress, not a mistake: amber, not red.
  const isError = Boolean(issue) && issue !== 'reg.err.items';
  msg.classList.toggle('error', isError);
  msg.classList.toggle('warn', issue === 'reg.err.items');
  $('#amount-box').classList.toggle('invalid', isError);

  const chargeBtn = $('#charge');
  chargeBtn.disabled = !canCharge();
  $('#charge-label').textContent = t(charging ? 'reg.charging' : 'reg.charge');
  $('#clear').disabled = charging || (total === 0 && !items.length);

  // Items bar and list
  const hasItems = items.length > 0;
  $('#items-summary').textContent = hasItems ? `${t('items.summary', { n: items.length })} · ${yen(total)}` : '';
  $('#items-toggle').hidden = !hasItems;
  $('#items-clear').hidden = !hasItems;
  $('#items-toggle').textContent = t(itemsOpen ? 'items.hide' : 'items.show');
  $('#items-toggle').setAttribute('aria-expanded', String(itemsOpen));
  $('#items-list').hidden = !hasItems || !itemsOpen;
  for (const row of $('#items-list').children) {
    const it = row.item;
    row.querySelector('.item-total').textContent = itemValid(it) ? yen(itemTotal(it)) : '—';
    row.classList.toggle('incomplete', !itemValid(it) && (it.name !== '' || it.price !== ''));
  }
  // The keypad is off while items decide the amount.
  $('#keypad').classList.toggle('off', hasItems);
  $('#keypad').querySelectorAll('button').forEach((b) => { b.disabled = hasItems || charging; });
  $('#keypad-off').hidden = !hasItems;
}

/** Re-translate placeholders of existing item rows after a language switch. */
function relabelItems() {
  for (const row of $('#items-list').children) {
    row.querySelector('.item-name').placeholder = t('items.name');
    row.querySelector('.item-name').setAttribute('aria-label', t('items.name'));
    row.querySelector('.item-qty').setAttribute('aria-label', t('items.qty'));
    row.querySelector('.item-price').placeholder = t('items.unitPrice');
    row.querySelector('.item-price').setAttribute('aria-label', t('items.unitPrice'));
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
    else if (key) for (const d of key) digit(d);
  });
  $('#charge').addEventListener('click', charge);
  $('#clear').addEventListener('click', clear);
  $('#add-item').addEventListener('click', addItem);
  $('#items-toggle').addEventListener('click', () => { itemsOpen = !itemsOpen; render(); });
  $('#items-clear').addEventListener('click', () => { items = []; $('#items-list').replaceChildren(); render(); });
  render();
  return { relabel: () => { relabelItems(); render(); } };
}
