// Cashier window: header, tabs, keyboard routing; the tabs' own logic lives
// in register.js, payments.js, history.js and settings.js.

import { $, $$, announce } from './dom.js';
import { t, setLang, getLang, resolveLang, onLangChange, errorText } from './i18n.js';
import { hhmm, asciiDigits, setStoreUtcOffset } from './format.js';
import { api } from './cashier-api.js';
import { initDialog, dialogOpen } from './dialog.js';
import * as register from './register.js';
import * as payments from './payments.js';
import { initSettings, openSettings, renderKeyStatus, setSimulatorUrl, relabelSettings, setSettingsLimits } from './settings.js';
import { initHistory, openTransactions, openShift, relabelHistory } from './history.js';
import { initShiftGate, refreshShiftGate, requireShift } from './shift-gate.js';
import { initHq, renderHq, setHqContext } from './hq.js';
import { initReceipts, dismissOffer, renderReceiptBar } from './receipts.js';

const TABS = ['register', 'transactions', 'shift', 'settings'];
let currentTab = 'register';
let info = { mode: 'demo', storeName: '', registerId: '' };
let connectivity = { online: true, sinceMs: 0 };
let pendingCount = 0;
let shift = null; // the open shift ({ id, cashier, … }) or null
let journalProblem = null;

// ---- header ----------------------------------------------------------------

function renderHeader() {
  $('#store-name').textContent = info.storeName || 'EasyQR POS';
  $('#register-id').textContent = info.registerId ? t('header.register', { id: info.registerId }) : '';
  const mode = ['demo', 'test', 'live'].includes(info.mode) ? info.mode : 'demo';
  document.body.classList.remove('mode-demo', 'mode-test', 'mode-live');
  document.body.classList.add(`mode-${mode}`);
  $('#mode-name').textContent = t(`mode.${mode}`);
  $('#mode-sub').textContent = t(`mode.${mode}.sub`);
  document.title = `EasyQR POS — ${t(`mode.${mode}`)} — ${info.storeName ?? ''}`;
  $$('.lang-switch button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === getLang())));
  renderConnectivity();
  renderPendingCount();
  renderShift();
  renderClock();
  renderAlarm();
}

/** Who is at the register and which shift, from the ledger's open shift. */
function renderShift() {
  const who = $('#shift-who');
  who.classList.toggle('none', !shift);
  who.textContent = shift ? t('header.shift', { id: shift.id, cashier: shift.cashier }) : t('header.noShift');
  who.dataset.shift = shift ? String(shift.id) : '';
}

/** The store's time (its UTC offset, like every time on screen). */
function renderClock() {
  const clock = $('#clock');
  const text = hhmm(Date.now());
  if (clock.textContent !== text) clock.textContent = text;
  clock.title = t('header.clock');
}

/** The ledger alarm: what happened and what to do, in words; Rust's
 * finding small, for support. */
function renderAlarm() {
  $('#alarm').hidden = !journalProblem;
  if (!journalProblem) return;
  $('#alarm-what').textContent = t('alarm.journal');
  $('#alarm-next').textContent = t('alarm.next');
  $('#alarm-detail').textContent = t('alarm.detail', { problem: journalProblem });
}

function renderConnectivity() {
  const box = $('#conn');
  box.classList.toggle('online', connectivity.online);
  box.classList.toggle('offline', !connectivity.online);
  $('#conn-text').textContent = connectivity.online
    ? t('conn.online')
    : t('conn.offline', { since: hhmm(connectivity.sinceMs || Date.now()) });
}

function renderPendingCount() {
  const badge = $('#pending-count');
  badge.hidden = pendingCount === 0;
  badge.textContent = String(pendingCount);
  badge.setAttribute('aria-label', t('tab.pendingCount', { n: pendingCount }));
}

async function refreshInfo() {
  info = await api.appInfo();
  renderHeader();
  renderKeyStatus(info.key ?? { set: false });
  setSimulatorUrl(info.mode === 'demo' ? info.simulatorUrl : null);
  payments.setMode(info.mode);
  register.setTax(info.tax);
}

// ---- tabs ------------------------------------------------------------------

function selectTab(name, focus = false) {
  currentTab = name;
  for (const tab of TABS) {
    const button = $(`#tab-${tab}`);
    const selected = tab === name;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`#panel-${tab}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (name === 'transactions') openTransactions();
  if (name === 'shift') openShift();
  if (name === 'settings') openSettings();
}

function initTabs() {
  const list = $('.tabs');
  list.addEventListener('click', (e) => {
    const tab = e.target.closest('[role="tab"]')?.dataset.tab;
    if (tab) selectTab(tab);
  });
  list.addEventListener('keydown', (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    selectTab(TABS[(TABS.indexOf(currentTab) + step + TABS.length) % TABS.length], true);
  });
}

// ---- keyboard --------------------------------------------------------------

/** The digit a key press means, from the main row, the numpad or a full-width IME digit. */
function digitOf(e) {
  if (/^Numpad\d$/.test(e.code)) return e.code.slice(-1);
  const k = asciiDigits(e.key);
  return /^\d$/.test(k) ? k : null;
}

function flashKey(key) {
  const button = $(`#keypad [data-key="${key}"]`);
  if (!button) return;
  button.classList.add('pressed');
  setTimeout(() => button.classList.remove('pressed'), 120);
}

function onKeydown(e) {
  if (e.isComposing || e.keyCode === 229 || dialogOpen()) return;
  if (/^F[1-4]$/.test(e.key) && !e.ctrlKey && !e.altKey && !e.metaKey) {
    e.preventDefault();
    selectTab(TABS[Number(e.key[1]) - 1]);
    return;
  }
  if (currentTab !== 'register' || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target instanceof Element ? e.target : document.body;
  const inField = target.matches('input, select, textarea');

  if (e.key === 'Escape') {
    e.preventDefault();
    payments.cancelActive();
  } else if (e.key === 'Enter') {
    // A focused control (Add item, Try again, …) keeps its own Enter.
    const control = target.closest('button, a, [role="tab"]');
    if (inField || !control || control.closest('#keypad')) {
      e.preventDefault();
      register.charge();
    }
  } else if (!inField) {
    const d = digitOf(e);
    if (d) {
      e.preventDefault();
      register.digit(d);
      flashKey(d);
    } else if (e.key === 'Backspace') {
      e.preventDefault();
      register.backspace();
      flashKey('back');
    } else if (e.key === 'Delete') {
      e.preventDefault();
      register.clear();
    } else if (e.key === '*') {
      // The keypad's rate key: the amount's rate, 10 % ⇄ 8 %.
      e.preventDefault();
      register.toggleRate();
      flashKey('rate');
    }
  }
}

// ---- start -----------------------------------------------------------------

async function onCharge(req) {
  dismissOffer();
  try {
    await payments.charge(req);
  } catch (err) {
    const text = errorText(err);
    if (err?.code === 'no_open_shift') requireShift();
    else register.showChargeError(text, err);
    announce(text.title, true);
    throw err;
  }
}

async function main() {
  initDialog();
  initTabs();
  initHistory();
  const reg = register.initRegister({ onCharge });
  initShiftGate({
    onOpened: (x) => announce(t('shift.opened', { id: x.shift.id, cashier: x.shift.cashier })),
    onShift: (s) => { shift = s; renderShift(); },
  });
  initSettings({
    onSaved: (saved) => {
      info = { ...info, storeName: saved.storeName, registerId: saved.registerId, language: saved.language, tax: saved.tax };
      register.setTax(saved.tax);
      setHqContext({ registerId: saved.registerId });
      setLang(resolveLang(saved.language));
      renderHeader(); // the new store name, whether or not the language changed
    },
    onKeyChanged: () => refreshInfo().catch((err) => console.error(err)),
  });

  onLangChange(() => {
    renderHeader();
    reg.relabel();
    payments.render();
    relabelSettings();
    relabelHistory();
    renderHq();
    renderReceiptBar();
  });
  $$('.lang-switch button').forEach((b) => b.addEventListener('click', () => setLang(b.dataset.lang)));
  document.addEventListener('keydown', onKeydown);

  try {
    info = await api.appInfo();
  } catch (err) {
    const { title, detail } = errorText(err);
    register.showChargeError({ title, detail });
  }
  setStoreUtcOffset(info.utcOffsetMinutes);
  register.setTax(info.tax);
  register.setLimits(info.limits);
  setSettingsLimits(info.limits);
  setLang(resolveLang(info.language));
  renderKeyStatus(info.key ?? { set: false });
  setSimulatorUrl(info.mode === 'demo' ? info.simulatorUrl : null);
  if (info.connectivity) connectivity = info.connectivity;
  setHqContext({ mode: info.mode, registerId: info.registerId });
  await initHq();
  const showAlarm = (problem) => {
    journalProblem = problem;
    renderAlarm();
  };
  if (info.journalProblem) showAlarm(info.journalProblem);
  // The ledger check runs in the background after start; its finding may
  // arrive after this window loaded.
  await api.onJournalProblem(({ problem }) => showAlarm(problem));

  await api.onConnectivity((c) => {
    const changed = c.online !== connectivity.online;
    connectivity = c;
    renderConnectivity();
    if (changed) announce($('#conn-text').textContent, !c.online);
  });
  await payments.initPayments({
    isRegisterVisible: () => currentTab === 'register',
    onPendingCount: (n) => { pendingCount = n; renderPendingCount(); },
    onSettled: (attempt) => register.attemptSettled(attempt.id),
  });
  payments.setMode(info.mode);
  await initReceipts({ lookup: payments.attemptById });
  await refreshShiftGate();
  renderHeader();
  // The clock: checked often so the minute turns on time.
  setInterval(renderClock, 1000);
  document.body.classList.add('ready');
  // When the register became usable, and when the process started (read
  // by the startup benchmark).
  document.body.dataset.readyAt = String(Date.now());
  document.body.dataset.launchedAt = String(info.launchedAtMs ?? '');
}

main();
