// The Settings tab: the settings form and the secret-key section.
// What is allowed is Rust's to say: the form sends what was typed, and every
// field Rust refuses is marked with Rust's reason (save_settings names each
// field in its message); what Rust saved but wants checked (the registration
// number's check digit) is shown beside the field as a warning.

import { $, $$, el } from './dom.js';
import { t, errorText } from './i18n.js';
import { dateTime } from './format.js';
import { api } from './cashier-api.js';
import { confirmDialog } from './dialog.js';

let loaded = false;
let dirty = false;
let keyStatus = { set: false };
// Signing secrets are write-only: the backend reports how many it holds.
let storedSecrets = 0;
let hooks = { onSaved: () => {}, onKeyChanged: () => {} };

const value = (id) => $(`#f-${id}`).value.trim();

function collect() {
  const s = {
    storeName: value('storeName'),
    registerId: value('registerId'),
    expiryMinutes: Number(value('expiryMinutes')),
    pollIntervalMs: Number(value('pollIntervalMs')),
    language: value('language'),
    webhook: {
      enabled: $('#f-webhookEnabled').checked,
      address: value('webhookAddress'),
      secrets: $$('.secret-input').map((i) => i.value).filter((v) => v !== ''),
    },
    demoLan: $('#f-demoLan').checked,
  };
  if (value('locationId')) s.locationId = value('locationId');
  if (value('frontUrl')) s.frontUrl = value('frontUrl');
  if (value('customerMonitor') !== '') s.customerMonitor = Number(value('customerMonitor'));
  // Invoice & receipts, as typed (the free texts keep their line breaks).
  const raw = (id) => $(`#f-${id}`).value;
  s.invoice = {
    issuerName: value('issuerName'),
    registrationNumber: value('registrationNumber'),
    address: value('address'),
    phone: value('phone'),
    header: raw('header'),
    footer: raw('footer'),
  };
  s.tax = { pricing: value('taxPricing'), rounding: value('taxRounding'), defaultRate: value('taxDefaultRate') };
  s.printer = { url: value('printerUrl'), width: Number(value('printerWidth')) };
  s.receipt = { autoPrint: value('autoPrint') };
  return s;
}

/** Rust's refusal "storeName: …; invoice.phone: …" → [[field, reason]]. */
function fieldErrors(err) {
  const parts = String(err?.message ?? '').split(/; (?=[A-Za-z][\w.[\]]*: )/);
  const out = [];
  for (const part of parts) {
    const m = /^([A-Za-z][\w.[\]]*): ([\s\S]*)$/.exec(part);
    if (m) out.push([m[1], m[2]]);
    else if (out.length) out[out.length - 1][1] += `; ${part}`;
  }
  if (err?.field && !out.some(([f]) => f === err.field)) out.unshift([err.field, err.message ?? '']);
  return out;
}

/** The error slot for a backend field name such as "webhook.secrets[1]". */
function slotFor(field) {
  const name = String(field || '').replace(/\[\d+\]$/, '');
  return $(`.field-error[data-for="${CSS.escape(name)}"]`);
}

function clearErrors(root) {
  $$('.field-error, .field-warn', root).forEach((p) => { p.textContent = ''; p.hidden = true; });
  $$('[aria-invalid]', root).forEach((i) => i.removeAttribute('aria-invalid'));
}

function showFieldError(field, message) {
  const slot = slotFor(field);
  if (!slot) return false;
  slot.textContent = message;
  slot.hidden = false;
  const input = slot.closest('.field')?.querySelector('input, select, textarea');
  input?.setAttribute('aria-invalid', 'true');
  return true;
}

/** Saved, but worth a look: shown beside the field, not as an error. */
async function showWarnings() {
  let warnings = [];
  try { warnings = await api.settingsWarnings(); } catch (err) { console.error('settings_warnings failed', err); }
  for (const w of warnings) {
    const slot = $(`.field-warn[data-warn-for="${CSS.escape(w.field)}"]`);
    if (!slot) continue;
    // A warning this screen knows is said in its language; Rust's own
    // words stay on hover (and are the text for any other).
    const key = `set.warn.${w.field}`;
    slot.textContent = `${t('set.warning')} ${t(key) === key ? w.message : t(key)}`;
    slot.title = w.message;
    slot.hidden = false;
  }
  return warnings.length;
}

/**
 * The form's status line. `say` writes it in the current language, and is
 * called again after a language switch (with the refusal it explains, if
 * any, placed again by field).
 */
let status = null;
function formStatus(say, kind, refusal = null) {
  status = { say, kind, refusal };
  drawStatus();
}
function drawStatus() {
  if (!status) return;
  if (status.refusal) {
    clearErrors($('#settings-form'));
    placeRefusal(status.refusal);
  }
  const s = $('#settings-status');
  s.textContent = status.say();
  s.className = `form-status ${status.kind}`;
}

/** Marks every field Rust named; how many it placed. */
function placeRefusal(err) {
  const { title } = errorText(err);
  return fieldErrors(err).filter(([field, reason]) => showFieldError(field, `${title} ${reason}`)).length;
}

function addSecretInput(v = '') {
  const row = el('div', { class: 'secret-row' },
    el('input', {
      type: 'password', class: 'secret-input', autocomplete: 'off', spellcheck: 'false', value: v,
      'aria-label': t('set.webhook.secret'), 'aria-describedby': 'h-webhookSecrets',
    }),
    el('button', {
      type: 'button', class: 'btn-small', onclick: () => {
        row.remove();
        if (!$$('.secret-input').length) addSecretInput();
        dirty = true;
      },
    }, t('set.webhook.removeSecret')));
  $('#secret-list').append(row);
}

function fill(s) {
  $('#f-storeName').value = s.storeName ?? '';
  $('#f-registerId').value = s.registerId ?? '';
  $('#f-locationId').value = s.locationId ?? '';
  $('#f-frontUrl').value = s.frontUrl ?? '';
  $('#f-expiryMinutes').value = s.expiryMinutes ?? 5;
  $('#f-pollIntervalMs').value = s.pollIntervalMs ?? 1000;
  $('#f-language').value = s.language ?? 'auto';
  $('#f-customerMonitor').value = s.customerMonitor ?? '';
  $('#f-webhookEnabled').checked = Boolean(s.webhook?.enabled);
  $('#f-webhookAddress').value = s.webhook?.address ?? '';
  $('#secret-list').replaceChildren();
  storedSecrets = Number(s.webhook?.secretCount ?? 0);
  addSecretInput('');
  $('#h-webhookSecrets').textContent = storedSecrets > 0
    ? `${t('set.webhook.stored', { n: storedSecrets })} ${t('set.webhook.secret.help')}`
    : t('set.webhook.secret.help');
  $('#f-demoLan').checked = Boolean(s.demoLan);
  const inv = s.invoice ?? {};
  for (const k of ['issuerName', 'registrationNumber', 'address', 'phone', 'header', 'footer']) $(`#f-${k}`).value = inv[k] ?? '';
  $('#f-taxPricing').value = s.tax?.pricing ?? 'included';
  $('#f-taxRounding').value = s.tax?.rounding ?? 'floor';
  $('#f-taxDefaultRate').value = s.tax?.defaultRate ?? 'standard';
  $('#f-printerUrl').value = s.printer?.url ?? '';
  $('#f-printerWidth').value = String(s.printer?.width ?? 80);
  $('#f-autoPrint').value = s.receipt?.autoPrint ?? 'off';
  syncWebhookFields();
  dirty = false;
}

function syncWebhookFields() {
  $('#webhook-fields').classList.toggle('muted', !$('#f-webhookEnabled').checked);
}

async function fillMonitors(selected) {
  const select = $('#f-customerMonitor');
  let monitors = [];
  try { monitors = await api.listMonitors(); } catch (err) { console.error('list_monitors failed', err); }
  const options = [el('option', { value: '' }, t('set.monitor.auto'))];
  for (const m of monitors) {
    const primary = m.primary ? `（${t('set.monitor.primary')}）` : '';
    options.push(el('option', { value: String(m.index) }, `${m.index + 1}: ${m.name} — ${m.width}×${m.height}${primary}`));
  }
  if (selected != null && !monitors.some((m) => m.index === selected)) {
    options.push(el('option', { value: String(selected) }, `${selected + 1}: —`));
  }
  select.replaceChildren(...options);
}

async function save(e) {
  e.preventDefault();
  const form = $('#settings-form');
  clearErrors(form);
  const s = collect();
  const button = $('#save-settings');
  button.disabled = true;
  formStatus(() => t('set.saving'), 'busy');
  try {
    const saved = await api.saveSettings(s);
    fill(saved);
    const warned = await showWarnings();
    formStatus(() => t(warned ? 'set.savedWarn' : 'set.saved'), 'ok');
    hooks.onSaved(saved);
  } catch (err) {
    // Keep everything as typed; mark every field Rust named.
    const placed = placeRefusal(err);
    formStatus(() => {
      const { title, detail } = errorText(err);
      return placed ? t('set.fixFields') : `${title} ${detail}`;
    }, 'error', err);
    form.querySelector('[aria-invalid="true"]')?.focus();
  } finally {
    button.disabled = false;
  }
}

export function renderKeyStatus(status = keyStatus) {
  keyStatus = status;
  $('#key-status').textContent = status.set
    ? t('set.key.set', { last4: status.last4 ?? '????', mode: t(`set.key.mode.${status.mode ?? 'test'}`) })
    : t('set.key.unset');
  $('#key-status').className = `key-status ${status.set ? `key-${status.mode ?? 'test'}` : 'key-unset'}`;
  const overlap = status.previousLast4 && status.overlapUntilMs > Date.now();
  $('#key-overlap').hidden = !overlap;
  if (overlap) {
    $('#key-overlap').textContent = t('set.key.overlap', { last4: status.previousLast4, until: dateTime(status.overlapUntilMs) });
  }
}

async function verifyKey(e) {
  e.preventDefault();
  const section = $('#key-form');
  clearErrors(section);
  $('#key-result').textContent = '';
  // Sent as typed: an empty, malformed or live key is Rust's to judge
  // (key_empty, …; live_key_unconfirmed asks for the confirmation below).
  const key = $('#f-key').value.trim();
  const button = $('#verify-key');
  button.disabled = true;
  button.textContent = t('set.key.verifying');
  try {
    const status = await api.setKey(key).catch(async (err) => {
      if (err.code !== 'live_key_unconfirmed') throw err;
      const ok = await confirmDialog({
        title: t('dlg.live.title'), body: t('dlg.live.body'), yes: t('dlg.live.yes'), no: t('dlg.live.no'),
      });
      return ok ? api.setKey(key, true) : null;
    });
    if (!status) return;
    $('#f-key').value = '';
    renderKeyStatus(status);
    $('#key-result').textContent = t(status.restartRequired ? 'set.key.restart' : 'set.key.saved');
    hooks.onKeyChanged(status);
  } catch (err) {
    const { title, detail } = errorText(err);
    if (!showFieldError(err.field || 'key', `${title} ${detail}`.trim())) showFieldError('key', title);
    $('#f-key').focus();
  } finally {
    button.disabled = false;
    button.textContent = t('set.key.verify');
  }
}

/** Load the form when the tab is first opened (or again if nothing was edited). */
export async function openSettings() {
  if (loaded && dirty) return;
  try {
    const s = await api.getSettings();
    await fillMonitors(s.customerMonitor);
    fill(s);
    loaded = true;
    clearErrors($('#settings-form'));
    if (status) status.refusal = null;
    await showWarnings();
  } catch (err) {
    formStatus(() => {
      const { title, detail } = errorText(err);
      return `${title} ${detail}`;
    }, 'error');
  }
}

let simulatorUrl = null;
export function setSimulatorUrl(url) {
  simulatorUrl = url;
  $('#simulator-url').hidden = !url;
  $('#simulator-url').textContent = url ? t('set.simulator', { url }) : '';
}

export function initSettings(h) {
  hooks = h;
  $('#settings-form').addEventListener('submit', save);
  $('#settings-form').addEventListener('input', () => { dirty = true; });
  $('#key-form').addEventListener('submit', verifyKey);
  $('#f-webhookEnabled').addEventListener('change', syncWebhookFields);
  $('#add-secret').addEventListener('click', () => { addSecretInput(); dirty = true; });
}

/** The ranges Rust refuses beyond (`app_info.limits`), for the help lines. */
let limits = null;
export function setSettingsLimits(l) {
  limits = l ?? null;
  drawHelp();
}
function drawHelp() {
  if (!limits) return;
  $('#h-registerId').textContent = t('set.registerId.help', { max: limits.registerIdMax });
  $('#h-expiryMinutes').textContent = t('set.expiry.help', { min: limits.expiryMinutesMin, max: limits.expiryMinutesMax });
  $('#h-pollIntervalMs').textContent = t('set.poll.help', { min: limits.pollIntervalMsMin, max: limits.pollIntervalMsMax });
}

/** After a language switch: texts written by code. */
export function relabelSettings() {
  renderKeyStatus();
  drawHelp();
  drawStatus();
  $$('.secret-row').forEach((row) => {
    row.querySelector('input').setAttribute('aria-label', t('set.webhook.secret'));
    row.querySelector('button').textContent = t('set.webhook.removeSecret');
  });
  setSimulatorUrl(simulatorUrl);
  if (loaded) {
    const current = value('customerMonitor');
    fillMonitors(current === '' ? null : Number(current)).then(() => { $('#f-customerMonitor').value = current; });
  }
}
