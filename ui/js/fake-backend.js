// DEV ONLY. A tiny in-page imitation of the Rust backend, loaded by ipc.js
// only when window.__TAURI__ is missing (page opened in a plain browser), so
// the UI can be previewed and screenshotted. Nothing here is real: no elepay,
// no ledger, and its QR codes are decorative patterns that cannot be scanned.
//
// URL hash parameters (e.g. cashier.html#demo=paid&mode=test):
//   demo=<scenario>  scripted state for screenshots (see SCENARIOS below)
//   mode=demo|test|live, lang=auto|ja|en, autopay=<seconds, 0 = never>,
//   expiry=<seconds a new code stays valid>, hq=off|online|offline|revoked|diverged
// Cashier and customer pages opened side by side in one browser stay in sync
// through a BroadcastChannel (needs http://, e.g. `python3 -m http.server`).

const params = new URLSearchParams(location.hash.slice(1));
const scenario = params.get('demo') || '';
const WALLET_IDS = ['paypay', 'linepay', 'docomopay', 'aupay', 'rakutenpay', 'merpay', 'alipayplus', 'creditcard'];
const FINAL = new Set(['captured', 'closed', 'expired', 'burned', 'rejected']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fail = (code, message, field) => Object.assign(new Error(message), { code, message, field });

export function createFakeBackend() {
  console.warn('[EasyQR] No __TAURI__: using the DEV-ONLY fake backend from fake-backend.js');
  const listeners = new Map();
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('easyqr-fake') : null;
  const now = () => Date.now();
  const autopayMs = 1000 * Number(params.get('autopay') ?? (scenario ? 0 : 8));
  const expiryMs = 1000 * Number(params.get('expiry') ?? 300);

  let mode = params.get('mode') || 'demo';
  let key = mode === 'demo' ? { set: false } : { set: true, last4: mode === 'live' ? '9f3a' : '1234', mode };
  let settings = {
    storeName: 'カフェ・ミナト 渋谷店', registerId: 'SHIBUYA-01', locationId: 'loc_shibuya01',
    frontUrl: 'https://example.jp/thanks', expiryMinutes: 5, pollIntervalMs: 1000, customerMonitor: 1,
    language: params.get('lang') || 'auto',
    webhook: { enabled: false, address: '0.0.0.0:8787', secrets: [''] }, demoLan: false,
    invoice: { issuerName: '', registrationNumber: '', address: '', phone: '', header: '', footer: '' },
    tax: { pricing: 'included', rounding: 'floor', defaultRate: 'standard' },
    printer: { url: '', width: 80 },
    receipt: { autoPrint: 'off' },
  };
  const sales = new Map(); // saleId → { lines, rate } (preview only; the real tax is Rust's)
  const attempts = [];
  let seq = 100;
  let saleSeq = 40;
  let shownCode = null; // codeId on the customer display
  let nextChargeError = null;

  // #hq=online|offline|revoked|diverged previews the head-office pill.
  const hqState = params.get('hq') || 'off';
  let hq = hqState === 'off' ? { state: 'off' } : {
    state: hqState, url: 'https://hq.example.jp/', registerId: 'SHIBUYA-01', since: now() - 6 * 60_000,
    head: 130, acked: hqState === 'online' ? 130 : 118, backlog: hqState === 'online' ? 0 : 12, eventCursor: 35,
    lastError: hqState === 'offline' ? 'the head office could not be reached (could not connect)' : null,
    diverged: hqState === 'diverged' ? { seq: 119, reason: 'row 119 has another hash' } : null,
  };
  if (hq.state !== 'off') setTimeout(() => emit('cashier-feed', { kind: 'hq', ...hq }), 300);
  function emit(event, payload) {
    listeners.get(event)?.forEach((h) => h(structuredClone(payload)));
    if (event === 'customer') {
      localStorage.setItem('easyqr-fake-customer', JSON.stringify(payload));
      channel?.postMessage(payload);
    }
  }
  channel?.addEventListener('message', (e) => listeners.get('customer')?.forEach((h) => h(e.data)));

  function newAttempt(saleId, amount, tryNo) {
    const t = now();
    const a = {
      id: ++seq, saleId, shiftId: 7, orderNo: `${settings.registerId}-${String(saleId).padStart(5, '0')}-${tryNo}`,
      amount, state: 'reserved', createdAt: t, updatedAt: t,
    };
    attempts.push(a);
    return a;
  }

  function update(a, changes, note) {
    Object.assign(a, changes, { updatedAt: now() });
    const remainingMs = a.state === 'pending' ? Math.max(0, a.expiresAt - now()) : undefined;
    const qrSvg = a.state === 'pending' ? fakeQrSvg(a.codeId) : undefined;
    emit('cashier-feed', { kind: 'attempt', attempt: publicAttempt(a), state: a.state, remainingMs, note, qrSvg });
    if (a.codeId && a.codeId === shownCode) {
      const screen = { captured: 'paid', closed: 'cancelled', expired: 'expired' }[a.state];
      if (screen) emit('customer', { screen, storeName: settings.storeName, amount: a.amount, codeId: a.codeId });
    }
  }

  const publicAttempt = ({ expiresAt, tryNo, ...rest }) => ({ ...rest });

  async function create(saleId, amount, tryNo) {
    const a = newAttempt(saleId, amount, tryNo);
    a.tryNo = tryNo;
    update(a, { state: 'creating' });
    await sleep(350);
    if (nextChargeError) {
      const err = nextChargeError;
      nextChargeError = null;
      update(a, { state: err.code === 'outcome_unknown' ? 'burned' : 'rejected', errorCode: err.code }, err.message);
      throw err;
    }
    const codeId = `cod_${Math.random().toString(16).slice(2, 14)}`;
    const codeUrl = `http://127.0.0.1:8790/pay/${codeId}`;
    update(a, { state: 'pending', codeId, codeUrl, expiryTime: now() + expiryMs, expiresAt: now() + expiryMs });
    shownCode = codeId;
    emit('customer', {
      screen: 'payment', storeName: settings.storeName, amount, codeId, qrSvg: fakeQrSvg(codeId),
      remainingMs: expiryMs, wallets: WALLET_IDS,
    });
    if (autopayMs > 0) setTimeout(() => pay(a), autopayMs);
    return { attempt: publicAttempt(a), codeUrl, remainingMs: expiryMs, qrSvg: fakeQrSvg(codeId) };
  }

  function pay(a, wallet = WALLET_IDS[a.id % WALLET_IDS.length]) {
    if (a.state !== 'pending') return;
    update(a, { state: 'captured', paymentMethod: wallet, paidTime: now(), chargeId: `cha_${a.id}` }, 'Paid (seen by polling)');
  }

  // Countdown refresh once a second, as the engine does while a code is pending.
  setInterval(() => {
    for (const a of attempts) {
      if (a.state !== 'pending') continue;
      if (now() >= a.expiresAt + 1000) update(a, { state: 'expired' }, 'Expiry confirmed by elepay');
      else update(a, {});
    }
    const shown = attempts.find((a) => a.codeId === shownCode && a.state === 'pending');
    if (shown) {
      emit('customer', {
        screen: 'payment', storeName: settings.storeName, amount: shown.amount, codeId: shown.codeId,
        qrSvg: fakeQrSvg(shown.codeId), remainingMs: Math.max(0, shown.expiresAt - now()), wallets: WALLET_IDS,
      });
    }
  }, 1000);

  // Shift preview state (browser preview only).
  let shift = null;
  const zero = { count: 0, amount: 0 };
  const zt = { gross: 0, tax: 0 };
  function previewReport(s) {
    const paid = attempts.filter((a) => a.state === 'captured');
    const total = { count: paid.length, amount: paid.reduce((n, a) => n + a.amount, 0) };
    return {
      shift: s, at: Date.now(), paid: total, cancelled: zero, expired: zero, burned: zero, rejected: zero,
      unresolved: zero, paidByWallet: paid.length ? [['paypay', total]] : [],
      refunds: { refunded: zero, inProgress: zero, failed: zero }, netSales: total.amount, late: zero,
      firstOrderNo: null, lastOrderNo: null,
      // Preview only: everything as "rate not recorded".
      byRate: {
        sales: { standard: zt, reduced: zt, free: zt, unrecorded: { gross: total.amount, tax: 0 } },
        refunds: { standard: zt, reduced: zt, free: zt, unrecorded: zt },
        net: { standard: zt, reduced: zt, free: zt, unrecorded: { gross: total.amount, tax: 0 } },
        grossSales: total.amount, refunded: 0, netSales: total.amount, customers: total.count,
        averageSale: total.count ? Math.floor(total.amount / total.count) : 0,
      },
    };
  }

  const commands = {
    app_info: () => ({
      utcOffsetMinutes: 540,
      mode, storeName: settings.storeName, registerId: settings.registerId, version: '0.1.0 (preview)',
      language: settings.language, key, simulatorUrl: mode === 'demo' ? 'http://127.0.0.1:8790' : undefined,
      tax: settings.tax,
    }),
    // Preview only: a total of the lines, no tax and no item rules (those
    // are Rust's; a preview shows whatever was typed).
    charge: ({ amount, items, rate }) => {
      const lines = items ?? [];
      const total = lines.length ? lines.reduce((n, it) => n + it.qty * it.unitPrice, 0) : amount;
      if (!Number.isInteger(total) || total < 1 || total > 9_999_999) {
        throw fail('invalid_input', 'amount: 1 to 9,999,999 yen', 'amount');
      }
      if (nextChargeError?.code === 'offline') {
        nextChargeError = null;
        throw fail('offline', 'elepay unreachable: connection refused');
      }
      sales.set(saleSeq + 1, { lines: lines.map((it) => ({ ...it, rate: it.rate ?? 'standard' })), rate: rate ?? 'standard' });
      return create(++saleSeq, total, 1);
    },
    retry: ({ saleId }) => {
      const tries = attempts.filter((a) => a.saleId === saleId);
      const last = tries[tries.length - 1];
      if (!last) throw fail('invalid_input', `no sale ${saleId}`, 'saleId');
      if (last.state === 'captured') throw fail('already_paid', 'sale is already paid');
      if (!FINAL.has(last.state)) throw fail('sale_busy', 'sale has an open attempt');
      return create(saleId, last.amount, tries.length + 1);
    },
    cancel: async ({ attemptId }) => {
      const a = attempts.find((x) => x.id === attemptId);
      if (!a || a.state !== 'pending') throw fail('not_cancellable', `attempt is ${a?.state ?? 'unknown'}`);
      await sleep(400);
      update(a, { state: 'closed' }, 'Closed on elepay and read back');
      return { outcome: 'cancelled', attempt: publicAttempt(a) };
    },
    recent_attempts: ({ limit, beforeId }) => attempts
      .filter((a) => beforeId == null || a.id < beforeId)
      .sort((x, y) => y.id - x.id).slice(0, limit).map(publicAttempt),
    // Transactions and Shift tabs: enough to preview the screens.
    transaction_log: ({ limit, beforeId }) => attempts
      .filter((a) => beforeId == null || a.id < beforeId)
      .sort((x, y) => y.id - x.id).slice(0, limit)
      .map((a) => ({
        ...publicAttempt(a), refunded: 0, refundUnknown: false, refundable: a.state === 'captured' ? a.amount : 0, late: false, description: null,
        rates: sales.has(a.saleId) ? { standard: { gross: a.amount, tax: 0 }, reduced: { gross: 0, tax: 0 }, free: { gross: 0, tax: 0 }, unrecorded: { gross: 0, tax: 0 } } : null,
      })),
    shift_status: () => ({ open: shift && previewReport(shift), past: [] }),
    open_shift: ({ cashier }) => {
      shift = { id: 1, registerId: 'R1', cashier, openedAt: Date.now(), closedAt: null, zNumber: null };
      return previewReport(shift);
    },
    close_shift: () => {
      const closed = { ...shift, closedAt: Date.now(), zNumber: 1 };
      shift = null;
      return previewReport(closed);
    },
    shift_report: () => previewReport(shift),
    // Preview stubs: a refund's amount and tax are Rust's to work out.
    refund_plan: ({ amount }) => ({ amount: amount ?? 0, breakdown: null }),
    refund: ({ attemptId, amount }) => ({ id: 1, attemptId, amount: amount ?? 0, status: 'pending' }),
    sale_record: ({ saleId }) => {
      const a = attempts.find((x) => x.saleId === saleId);
      const sale = sales.get(saleId);
      return {
        saleId, amount: a?.amount ?? 0, description: null, shiftId: 7, createdAt: a?.createdAt ?? now(),
        lines: sale?.lines ?? [], returned: [],
        breakdown: sale ? { pricing: 'included', rounding: 'floor', total: a?.amount ?? 0, rates: [] } : null,
      };
    },
    print_receipt: ({ attemptId, order }) => {
      const a = attempts.find((x) => x.id === attemptId);
      const lines = [
        { text: settings.storeName, align: 'center', bold: true, size: 'double' },
        { text: 'レシート（プレビュー）', align: 'center', bold: true, size: 'normal' },
        { text: `注文番号 ${a?.orderNo ?? ''}`, align: 'left', bold: false, size: 'normal' },
        { text: `合計 ¥${(a?.amount ?? 0).toLocaleString('ja-JP')}`, align: 'right', bold: true, size: 'normal' },
      ];
      return { orderNo: a?.orderNo ?? '', kind: order?.kind ?? 'invoice', copy: 1, reprint: false, printer: null, widthMm: 80, lines, text: lines.map((l) => l.text).join('\n') };
    },
    print_report: () => ({ printer: null, widthMm: 80, lines: [{ text: 'Xレポート（プレビュー）', align: 'center', bold: true, size: 'double' }] }),
    settings_warnings: () => [],
    reconcile: () => ({ shiftId: 1, elepayCharges: 0, ledgerPaid: 0, differences: [] }),
    export_csv: () => '/home/cashier/Downloads/easyqr-log.csv',
    get_settings: () => settings,
    save_settings: async ({ settings: s }) => {
      await sleep(300);
      if (s.storeName.trim() === 'ERROR') throw fail('invalid_input', 'storeName rejected by the backend', 'storeName');
      settings = structuredClone(s);
      return settings;
    },
    set_key: async ({ key: k }) => {
      await sleep(600);
      if (/^pk_/.test(k)) throw fail('key_publishable', 'a publishable key cannot create codes', 'key');
      if (!/^sk_(test|live)_\w{8,}$/.test(k)) throw fail('key_invalid', 'elepay answered 401 Unauthorized', 'key');
      if (/offline/.test(k)) throw fail('key_unverified', 'could not reach elepay to verify the key', 'key');
      const newMode = k.startsWith('sk_live_') ? 'live' : 'test';
      key = {
        set: true, last4: k.slice(-4), mode: newMode,
        ...(key.set ? { previousLast4: key.last4, overlapUntilMs: now() + 3 * 86_400_000 } : {}),
      };
      mode = newMode;
      return key;
    },
    hq_status: () => hq,
    hq_enrol: async ({ url, token }) => {
      await sleep(400);
      if (!/^https?:\/\/[^/?#@]+/.test(url) || /[?#@]/.test(url)) throw fail('invalid_input', 'hq.url: an http:// or https:// address', 'hq.url');
      if (token.length < 16) throw fail('hq_token_invalid', 'token: 16 to 512 printable ASCII characters', 'hq.token');
      hq = { state: 'online', url, registerId: settings.registerId, since: now(), head: 42, acked: 42, backlog: 0, eventCursor: 0 };
      emit('cashier-feed', { kind: 'hq', ...hq });
      return hq;
    },
    hq_unenrol: () => {
      hq = { state: 'off' };
      emit('cashier-feed', { kind: 'hq', ...hq });
      return hq;
    },
    list_monitors: () => [
      { index: 0, name: 'eDP-1', width: 1920, height: 1080, primary: true },
      { index: 1, name: 'HDMI-1', width: 1280, height: 800, primary: false },
    ],
    open_phone_view: ({ attemptId }) => {
      const a = attempts.find((x) => x.id === attemptId);
      console.info('[fake] would open the simulator pay page', a?.codeUrl);
      if (a) setTimeout(() => pay(a, 'paypay'), 1500);
      return null;
    },
    customer_state: () => customerScenario()
      ?? JSON.parse(localStorage.getItem('easyqr-fake-customer') || 'null')
      ?? { screen: 'idle', storeName: settings.storeName },
  };

  seedHistory();
  if (scenario) setTimeout(() => runScenario(scenario), 300);

  return {
    async invoke(cmd, args = {}) {
      await sleep(60);
      const fn = commands[cmd];
      if (!fn) throw fail('unknown', `fake backend: no command ${cmd}`);
      return structuredClone(await fn(args));
    },
    async listen(event, handler) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(handler);
      return () => listeners.get(event).delete(handler);
    },
  };

  // A morning's worth of finished attempts for the Transactions/Shift tabs.
  function seedHistory() {
    const start = new Date();
    start.setHours(9, 12, 0, 0);
    const rows = [[480, 'captured', 'paypay'], [1280, 'captured', 'linepay'], [350, 'expired'],
      [350, 'captured', 'paypay'], [2200, 'closed'], [2200, 'captured', 'creditcard'], [760, 'burned'],
      [760, 'captured', 'docomopay'], [5400, 'captured', 'alipayplus'], [980, 'captured', 'paypay']];
    rows.forEach(([amount, state, wallet], i) => {
      const a = newAttempt(++saleSeq, amount, 1);
      const t = start.getTime() + i * 17 * 60_000;
      Object.assign(a, { state, createdAt: t, updatedAt: t + 40_000, codeId: `cod_hist${i}` });
      if (wallet) Object.assign(a, { paymentMethod: wallet, paidTime: t + 40_000, chargeId: `cha_h${i}` });
      if (state === 'burned') a.errorCode = 'outcome_unknown';
    });
  }

  function customerScenario() {
    const base = { storeName: settings.storeName, amount: 1280, codeId: 'cod_preview' };
    switch (scenario) {
      case 'idle': return { screen: 'idle', storeName: settings.storeName };
      case 'payment': return {
        ...base, screen: 'payment', qrSvg: fakeQrSvg('cod_preview'), remainingMs: 272_000, wallets: WALLET_IDS,
        items: [
          { name: 'ブレンドコーヒー', qty: 2, amount: 900, reduced: false },
          { name: 'チーズケーキ（持ち帰り）', qty: 1, amount: 520, reduced: true },
          { name: 'クッキー', qty: 3, amount: 540, reduced: true },
          { name: 'コーヒー豆 200g', qty: 1, amount: 1480, reduced: true },
        ],
        moreItems: 2,
      };
      case 'paid': return { ...base, screen: 'paid', wallet: 'PayPay' };
      case 'expired': case 'cancelled': return { ...base, screen: scenario };
      default: return null;
    }
  }

  // Scripted UI steps for screenshots: they press keys and click like a cashier.
  async function runScenario(name) {
    if (location.pathname.endsWith('customer.html')) return;
    const key = (k) => (document.activeElement || document.body)
      .dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    const typeAmount = async (digits) => { for (const d of digits) { key(d); await sleep(40); } };
    const charge = async (digits) => { await typeAmount(digits); key('Enter'); await sleep(700); };
    const click = (sel) => document.querySelector(sel)?.click();
    const fill = (sel, value) => {
      const el = document.querySelector(sel);
      el.value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    };
    const steps = {
      typing: () => typeAmount('1280'),
      pending: () => charge('1280'),
      paid: async () => { await charge('1280'); await sleep(2500); pay(attempts[attempts.length - 1], 'paypay'); },
      multi: async () => { await charge('480'); await charge('2200'); await charge('1280'); },
      expired: async () => {
        await charge('1280');
        const a = attempts[attempts.length - 1];
        a.expiresAt = now() + 2000;
      },
      cancel: async () => { await charge('1280'); await sleep(1500); key('Escape'); },
      cancelled: async () => { await charge('1280'); await sleep(1500); key('Escape'); await sleep(200); key('y'); },
      failed: async () => { nextChargeError = fail('outcome_unknown', 'create request timed out after 10 s'); await charge('1280'); },
      offline: async () => {
        nextChargeError = fail('offline', 'elepay unreachable');
        emit('cashier-feed', { kind: 'connectivity', online: false, sinceMs: now() - 4 * 60_000 });
        await charge('980');
      },
      toomuch: () => typeAmount('99999999'),
      items: async () => {
        click('#add-item'); await sleep(50);
        fill('.item-row:nth-child(1) .item-name', 'ブレンドコーヒー'); fill('.item-row:nth-child(1) .item-qty', '2');
        fill('.item-row:nth-child(1) .item-price', '450');
        click('#add-item'); await sleep(50);
        fill('.item-row:nth-child(2) .item-name', 'チーズケーキ'); fill('.item-row:nth-child(2) .item-price', '520');
        click('.item-row:nth-child(2) .item-rate');
        click('#add-item'); await sleep(50);
        fill('.item-row:nth-child(3) .item-name', 'クッキー');
      },
      transactions: () => click('[data-tab="transactions"]'),
      shift: () => click('[data-tab="shift"]'),
      settings: () => click('[data-tab="settings"]'),
      'settings-errors': async () => {
        click('[data-tab="settings"]'); await sleep(400);
        fill('#f-registerId', 'shibuya 01'); fill('#f-frontUrl', 'ftp://example.jp'); fill('#f-expiryMinutes', '45');
        fill('#f-key', 'pk_test_abcdef123456');
        click('#save-settings'); await sleep(50); click('#verify-key');
      },
    };
    await steps[name]?.();
  }
}

// A decorative QR-like SVG in the same shape the Rust qr crate produces
// (viewBox in modules, quiet zone of 4, one path). Not a real, scannable code.
export function fakeQrSvg(seed) {
  const n = 33;
  const q = 4;
  const side = n + 2 * q;
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  const rnd = () => ((h = Math.imul(h ^ (h >>> 15), 2246822507) ^ Math.imul(h ^ (h >>> 13), 3266489909)) >>> 0) / 2 ** 32;
  const finder = (x, y, ox, oy) => {
    const dx = x - ox;
    const dy = y - oy;
    if (dx < -1 || dy < -1 || dx > 7 || dy > 7) return null;
    if (dx === -1 || dy === -1 || dx === 7 || dy === 7) return false;
    const ring = Math.min(dx, dy, 6 - dx, 6 - dy);
    return ring !== 1;
  };
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let dark = finder(x, y, 0, 0) ?? finder(x, y, n - 7, 0) ?? finder(x, y, 0, n - 7);
      if (dark === null) dark = y === 6 || x === 6 ? (x + y) % 2 === 0 : rnd() < 0.5;
      if (dark) d += `M${x + q},${y + q}h1v1h-1z`;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">`
    + `<rect width="${side}" height="${side}" fill="#fff"/><path fill="#000" d="${d}"/></svg>`;
}
