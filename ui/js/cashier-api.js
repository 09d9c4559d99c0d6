// The cashier window's commands and events (see ui/README.md for the types).
// Only the cashier page imports this; the customer page never loads it.

import { call, subscribe } from './ipc.js';

export const api = {
  appInfo: () => call('app_info'),
  /** { amount?, rate?, description?, items?: [{ name, qty, unitPrice, rate? }] } → Checkout.
   * Rust computes the total and the tax; a refusal names its field. */
  charge: (req) => call('charge', req),
  /** → Checkout (a new attempt with a fresh orderNo) */
  retry: (saleId) => call('retry', { saleId }),
  /** → { outcome: "cancelled" | "paidMeanwhile" | "expired", attempt } */
  cancel: (attemptId) => call('cancel', { attemptId }),
  recentAttempts: (limit, beforeId) => call('recent_attempts', beforeId == null ? { limit } : { limit, beforeId }),
  getSettings: () => call('get_settings'),
  saveSettings: (settings) => call('save_settings', { settings }),
  /** → [{ field, message }]: saved, but worth checking (a registration number's check digit). */
  settingsWarnings: () => call('settings_warnings'),
  /** → KeyStatus; the key is verified with a harmless API call first. */
  setKey: (key, liveConfirmed = false) => call('set_key', { key, liveConfirmed }),
  listMonitors: () => call('list_monitors'),
  /** → { open: ShiftReport | null, past: Shift[] } */
  shiftStatus: () => call('shift_status'),
  openShift: (cashier) => call('open_shift', { cashier }),
  /** → the Z report */
  closeShift: () => call('close_shift'),
  shiftReport: (shiftId) => call('shift_report', { shiftId }),
  /** filter: LogFilter (ui/README.md) → LogRow[] newest first */
  transactionLog: (filter, limit, beforeId) => call('transaction_log', beforeId == null ? { filter, limit } : { filter, limit, beforeId }),
  /** → TimelineEntry[] (journal rows of the sale, oldest first) */
  saleTimeline: (saleId) => call('sale_timeline', { saleId }),
  /** what: { amount } or { items: [{ line, qty }] } (line: index into the sale's lines) → Refund */
  refundPlan: (attemptId, what) => call('refund_plan', { attemptId, ...what }),
  refund: (attemptId, what, reason) => call('refund', { attemptId, ...what, ...(reason ? { reason } : {}) }),
  /** → { saleId, amount, lines: [{ name, qty, unitPrice, rate }], breakdown | null, returned: [{ line, qty }], … } */
  saleRecord: (saleId) => call('sale_record', { saleId }),
  /** order: { kind?: 'invoice'|'ryoshusho'|'refund', to?, for?, refund? } → Issued
   * ({ orderNo, kind, copy, reprint, printer, widthMm, lines, text }); printer null: draw the lines. */
  printReceipt: (attemptId, order = {}) => call('print_receipt', { attemptId, order }),
  /** → { printer, widthMm, lines }: the X/Z report on the printer, else its lines. */
  printReport: (shiftId) => call('print_report', { shiftId }),
  reconcile: (shiftId) => call('reconcile', { shiftId }),
  /** { what: 'log', filter } | { what: 'report', shiftId } → saved file path */
  exportCsv: (exp) => call('export_csv', { export: exp }),
  /** → HqStatus (ui/README.md) */
  hqStatus: () => call('hq_status'),
  /** Checks the token with the head office, keeps it, starts the link → HqStatus */
  hqEnrol: (url, token) => call('hq_enrol', { url, token }),
  hqUnenrol: () => call('hq_unenrol'),
  /** DEMO only: opens the simulator's pay page for this attempt. */
  openPhoneView: (attemptId) => call('open_phone_view', { attemptId }),

  /** handler({ attempt, state, remainingMs?, note?, qrSvg? }) */
  onCashier: (handler) => feedHandler('attempt', handler),
  /** handler({ online, sinceMs }) */
  onConnectivity: (handler) => feedHandler('connectivity', handler),
  /** handler({ problem }): the background ledger check found an outside edit. */
  onJournalProblem: (handler) => feedHandler('journal', handler),
  /** handler(Refund): a refund was requested or elepay's answer changed it. */
  onRefund: (handler) => feedHandler('refund', handler),
  /** handler(HqStatus): the head-office link's status changed. */
  onHq: (handler) => feedHandler('hq', handler),
  /** handler({ attemptId, dialog }): ask the cashier (dialog false), or open the print dialog. */
  onReceiptOffer: (handler) => feedHandler('receiptOffer', handler),
  /** handler(Issued): a receipt printed by itself after a payment. */
  onReceipt: (handler) => feedHandler('receipt', handler),
  /** handler({ attemptId, error }): printing after a payment failed. */
  onReceiptFailed: (handler) => feedHandler('receiptFailed', handler),
};

// One channel carries every cashier message, tagged by `kind`; it is opened
// on the first handler and shared.
const handlers = {
  attempt: new Set(), connectivity: new Set(), journal: new Set(), refund: new Set(), hq: new Set(),
  receiptOffer: new Set(), receipt: new Set(), receiptFailed: new Set(),
};
let feed;

async function feedHandler(kind, handler) {
  handlers[kind].add(handler);
  feed ??= subscribe('subscribe_cashier', (msg) => {
    if (!msg) return;
    const k = msg.kind;
    if (k === 'receipt') {
      // The receipt is nested: it has a `kind` (invoice, …) of its own.
      handlers.receipt.forEach((h) => h(msg.receipt));
      return;
    }
    const { kind: _tag, ...payload } = msg;
    handlers[k]?.forEach((h) => h(payload));
  });
  await feed;
  return () => handlers[kind].delete(handler);
}
