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

// Times are the store's (its UTC offset, as in the CSVs and orderNo dates),
// never the operating system's: the epoch is shifted by the store's offset
// and formatted as UTC.
let storeOffsetMin = 9 * 60;

/** The store's offset from UTC in minutes (Japan: 540), from app_info. */
export function setStoreUtcOffset(minutes) {
  if (Number.isInteger(minutes)) storeOffsetMin = minutes;
}

const utc = { timeZone: 'UTC', hour12: false };
const hhmmFormat = new Intl.DateTimeFormat('ja-JP', { ...utc, hour: '2-digit', minute: '2-digit' });
const hhmmssFormat = new Intl.DateTimeFormat('ja-JP', {
  ...utc, hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const dateTimeFormat = new Intl.DateTimeFormat('ja-JP', {
  ...utc, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
});
const storeDate = (ms) => new Date(Number(ms) + storeOffsetMin * 60_000);

/** Epoch ms → "14:05" (store time). */
export const hhmm = (ms) => hhmmFormat.format(storeDate(ms));
/** Epoch ms → "14:05:09" (store time). */
export const hhmmss = (ms) => hhmmssFormat.format(storeDate(ms));
/** Epoch ms → "2025/01/03 14:05" (store time). */
export const dateTime = (ms) => dateTimeFormat.format(storeDate(ms));

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
