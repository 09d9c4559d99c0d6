// The head-office link: the header pill and Settings → Head office.
// The token is sent once (hq_enrol) and never comes back: the backend only
// answers an HqStatus (state, registerId, backlog, lastError, …).

import { $ } from './dom.js';
import { t, errorText } from './i18n.js';
import { hhmm } from './format.js';
import { api } from './cashier-api.js';
import { confirmDialog } from './dialog.js';

let status = { state: 'off' };
let ctx = { mode: 'demo', registerId: '' };

/** The pill's text for a status; '' when nothing is shown (off). */
function pillText(s) {
  switch (s.state) {
    case 'connecting': return t('hq.connecting');
    case 'online': return s.backlog > 0 ? t('hq.sending', { n: s.backlog }) : t('hq.online');
    case 'offline': return t('hq.offline', { n: s.backlog ?? 0 });
    case 'revoked': return t('hq.revoked');
    case 'diverged': return t('hq.diverged');
    default: return '';
  }
}

function detailText(s) {
  switch (s.state) {
    case 'offline': return t('set.hq.detail.offline', { since: hhmm(s.since || Date.now()), error: s.lastError ?? '' });
    case 'diverged': return t('set.hq.detail.diverged', { seq: s.diverged?.seq ?? '?', reason: s.diverged?.reason ?? '' });
    case 'revoked': return t('set.hq.detail.revoked');
    case 'online': case 'connecting': return t('set.hq.detail.backlog', { acked: s.acked ?? 0, n: s.backlog ?? 0 });
    default: return '';
  }
}

/**
 * Shows a status in the header and in Settings. A command's answer and the
 * feed's messages may cross on their way here: one older than what is shown
 * (Rust's `version`) is not drawn.
 */
export function renderHq(s = status) {
  if (s && (s.version ?? 0) < (status.version ?? 0)) s = status;
  status = s && s.state ? s : { state: 'off' };
  const pill = $('#hq-pill');
  const text = pillText(status);
  pill.hidden = !text;
  pill.className = `hq-pill hq-${status.state}`;
  $('#hq-text').textContent = text;
  pill.title = status.lastError ?? '';

  const enrolled = status.state !== 'off';
  $('#hq-enrolled').textContent = enrolled
    ? t('set.hq.enrolledAs', { id: status.registerId ?? ctx.registerId })
    : (ctx.mode === 'demo' ? t('set.hq.demo') : t('set.hq.off'));
  const detail = detailText(status);
  $('#hq-detail').hidden = !detail;
  $('#hq-detail').textContent = detail;
  $('#hq-fields').hidden = enrolled;
  $('#hq-unenrol').hidden = !enrolled;
}

/** The app's mode and register id (the pill's fallback before /me answers). */
export function setHqContext(c) {
  ctx = { ...ctx, ...c };
  renderHq();
}

function clearErrors() {
  for (const id of ['e-hqUrl', 'e-hqToken']) { $(`#${id}`).hidden = true; $(`#${id}`).textContent = ''; }
  $('#f-hqUrl').removeAttribute('aria-invalid');
  $('#f-hqToken').removeAttribute('aria-invalid');
  $('#hq-result').textContent = '';
  $('#hq-result').className = 'form-status';
}

function showError(err) {
  const { title, detail } = errorText(err);
  const slot = { 'hq.url': ['e-hqUrl', 'f-hqUrl'], 'hq.token': ['e-hqToken', 'f-hqToken'] }[err.field];
  if (slot) {
    $(`#${slot[0]}`).textContent = `${title} ${err.message ?? ''}`.trim();
    $(`#${slot[0]}`).hidden = false;
    $(`#${slot[1]}`).setAttribute('aria-invalid', 'true');
    $(`#${slot[1]}`).focus();
  } else {
    $('#hq-result').textContent = `${title} ${detail}`.trim();
    $('#hq-result').className = 'form-status error';
  }
}

async function enrol(e) {
  e.preventDefault();
  clearErrors();
  // Sent as typed: an empty or malformed address or token is Rust's to refuse, by field.
  const url = $('#f-hqUrl').value.trim();
  const token = $('#f-hqToken').value.trim();
  const button = $('#hq-enrol');
  button.disabled = true;
  button.textContent = t('set.hq.enrolling');
  try {
    renderHq(await api.hqEnrol(url, token));
    $('#f-hqToken').value = '';
    $('#hq-result').textContent = t('set.hq.enrolled');
    $('#hq-result').className = 'form-status ok';
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
    button.textContent = t('set.hq.enrol');
  }
}

async function unenrol() {
  const ok = await confirmDialog({
    title: t('dlg.hqUnenrol.title'), body: t('dlg.hqUnenrol.body'),
    yes: t('dlg.hqUnenrol.yes'), no: t('dlg.hqUnenrol.no'), danger: true,
  });
  if (!ok) return;
  clearErrors();
  try {
    renderHq(await api.hqUnenrol());
    $('#hq-result').textContent = t('set.hq.unenrolled');
    $('#hq-result').className = 'form-status ok';
  } catch (err) {
    showError(err);
  }
}

export async function initHq() {
  $('#hq-form').addEventListener('submit', enrol);
  $('#hq-unenrol').addEventListener('click', unenrol);
  renderHq();
  // The feed sends the status on subscribing and on every change.
  await api.onHq(renderHq);
}
