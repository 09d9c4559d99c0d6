// Formatting helpers shared by both windows. No DOM, no state.

const yenFormat = new Intl.NumberFormat('ja-JP', { style: 'currency', currency: 'JPY' });

/** 1280 → "¥1,280". ICU's ja-JP uses the full-width "￥"; the product shows
 * the ordinary "¥" so the sign has the same width as the digits around it. */
export function yen(amount) {
  return yenFormat
    .formatToParts(Number(amount) || 0)
    .map((p) => (p.type === 'currency' ? '¥' : p.value))
    .join('');
}

/** 1280 → "1,280" (for inputs and compact lists). */
export function grouped(n) {
  return new Intl.NumberFormat('ja-JP').format(Number(n) || 0);
}

/** Milliseconds left → "mm:ss". Rounds up, so "00:00" means time is really up. */
export function mmss(ms) {
  if (ms == null || !Number.isFinite(ms)) return '--:--';
  const total = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

const hhmmFormat = new Intl.DateTimeFormat('ja-JP', { hour: '2-digit', minute: '2-digit', hour12: false });
const hhmmssFormat = new Intl.DateTimeFormat('ja-JP', {
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
const dateTimeFormat = new Intl.DateTimeFormat('ja-JP', {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});

/** Epoch ms → "14:05". */
export const hhmm = (ms) => hhmmFormat.format(new Date(ms));
/** Epoch ms → "14:05:09". */
export const hhmmss = (ms) => hhmmssFormat.format(new Date(ms));
/** Epoch ms → "2025/01/03 14:05". */
export const dateTime = (ms) => dateTimeFormat.format(new Date(ms));

// elepay's paymentMethod ids → the names printed on the wallets' own signs.
const WALLETS = {
  paypay: 'PayPay', linepay: 'LINE Pay', docomopay: 'd払い', aupay: 'au PAY',
  rakutenpay: '楽天ペイ', merpay: 'メルペイ', alipay: 'Alipay', alipayplus: 'Alipay+',
  wechatpay: 'WeChat Pay', unionpay: 'UnionPay', creditcard: 'クレジットカード',
  applepay: 'Apple Pay', googlepay: 'Google Pay', paypal: 'PayPal',
};

/** "paypay" → "PayPay"; unknown or already-pretty names pass through. */
export function walletName(id) {
  if (!id) return '';
  return WALLETS[String(id).toLowerCase()] ?? String(id);
}

/** Full-width digits (typed with a Japanese IME on) → ASCII digits. */
export function asciiDigits(s) {
  return String(s).replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}
