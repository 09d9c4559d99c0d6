// Every visible string, in Japanese and English. Markup names a string with
// data-i18n="key" (text) or data-i18n-attr="attr:key;attr:key"; code calls t().

const DICT = {
  // Header
  'app.title': ['EasyQR POS', 'EasyQR POS'],
  'mode.demo': ['DEMO', 'DEMO'],
  'mode.test': ['TEST', 'TEST'],
  'mode.live': ['LIVE', 'LIVE'],
  'mode.demo.sub': ['デモ・実際の決済なし', 'Simulator · no real money'],
  'mode.test.sub': ['テスト環境・実際の決済なし', 'Test key · no real money'],
  'mode.live.sub': ['本番・実際の決済', 'Real payments'],
  'header.register': ['レジ {id}', 'Register {id}'],
  'conn.online': ['オンライン', 'Online'],
  'conn.offline': ['{since} から elepay に接続できません', 'elepay unreachable since {since}'],
  'lang.label': ['表示言語', 'Display language'],
  'tab.register': ['レジ', 'Register'],
  'tab.transactions': ['取引履歴', 'Transactions'],
  'tab.shift': ['シフト', 'Shift'],
  'tab.settings': ['設定', 'Settings'],
  'tab.pendingCount': ['お支払い待ち {n}件', '{n} waiting'],
  'dev.fake': ['プレビュー：ブラウザ内の模擬バックエンドで動作中（開発用）', 'Preview: running on an in-page fake backend (development only)'],

  // Register
  'reg.amount': ['金額', 'Amount'],
  'reg.charge': ['請求', 'Charge'],
  'reg.charging': ['請求中…', 'Charging…'],
  'reg.clear': ['クリア', 'Clear'],
  'reg.backspace': ['1文字消す', 'Delete last digit'],
  'reg.keypad': ['テンキー', 'Keypad'],
  'reg.hint.zero': ['金額を入力してください', 'Type an amount to charge'],
  'reg.hint.ready': ['Enter で請求', 'Press Enter to charge'],
  'reg.hint.items': ['金額は商品の合計です', 'The amount is the total of the items'],
  'reg.err.max': ['上限は ¥9,999,999 です', 'The maximum is ¥9,999,999'],
  'reg.err.items': ['商品の名前・数量・単価をすべて入力してください', 'Complete every item line: name, quantity, unit price'],
  'reg.keys': ['Enter 請求 ・ Esc 取消 ・ Delete クリア', 'Enter charge · Esc cancel · Delete clear'],
  'items.add': ['＋ 商品を追加', '+ Add item'],
  'items.summary': ['商品 {n}点', '{n} item(s)'],
  'items.show': ['表示 ▾', 'Show ▾'],
  'items.hide': ['隠す ▴', 'Hide ▴'],
  'items.name': ['商品名', 'Item name'],
  'items.qty': ['数量', 'Qty'],
  'items.unitPrice': ['単価', 'Unit price'],
  'items.remove': ['この商品を削除', 'Remove this item'],
  'items.clearAll': ['商品をすべて削除', 'Remove all items'],
  'items.keypadOff': ['商品がある間はテンキーは使えません', 'The keypad is off while there are items'],

  // Active payment panel
  'pay.none.title': ['お支払い待ちはありません', 'No payment in progress'],
  'pay.none.body': ['金額を入力して Enter で請求します。', 'Type an amount and press Enter to charge.'],
  'pay.orderNo': ['注文番号', 'Order no.'],
  'pay.remaining': ['残り時間', 'Time left'],
  'pay.confirmingExpiry': ['elepay で期限を確認中…', 'Confirming expiry with elepay…'],
  'pay.state.creating': ['QR作成中', 'Creating QR'],
  'pay.state.pending': ['お支払い待ち', 'Waiting for payment'],
  'pay.state.paid': ['支払済み', 'Paid'],
  'pay.state.cancelled': ['取消済み', 'Cancelled'],
  'pay.state.expired': ['期限切れ', 'Expired'],
  'pay.state.failed': ['失敗', 'Failed'],
  'pay.state.cancelling': ['取消中…', 'Cancelling…'],
  'pay.cancel': ['取消', 'Cancel'],
  'pay.retry': ['もう一度', 'Try again'],
  'pay.newSale': ['次の会計', 'New sale'],
  'pay.phoneView': ['お客様のスマホ画面を開く', "Open the customer's phone view"],
  'pay.paid': ['{amount} 支払完了', 'Paid {amount}'],
  'pay.paidMeanwhile': ['取消の前にお客様のお支払いが完了していました。支払いは記録済みです。再度請求しないでください。',
    'The customer paid before the cancel went through. The payment is recorded — do not charge again.'],
  'pay.expiredMsg': ['QRコードの期限が切れました。お支払いはありません。', 'The QR code expired. Nothing was paid.'],
  'pay.cancelledMsg': ['取り消しました。お支払いはありません。', 'Cancelled. Nothing was paid.'],
  'pay.retryHint': ['「もう一度」で新しいQRコードを作成できます。', 'Press Try again to make a new QR code for this sale.'],
  'pay.failedMsg': ['QRコードを作成できませんでした。', 'The QR code could not be created.'],
  'pay.others': ['ほかのお支払い待ち', 'Other payments'],
  'pay.timeline': ['経過', 'Timeline'],
  'pay.qrAlt': ['注文 {orderNo} のQRコード', 'QR code for order {orderNo}'],
  'pay.qrMissing': ['QRは顧客画面に表示中', 'QR shown on the customer display'],
  'pay.qrNone': ['QRコードなし', 'No QR code'],
  'pay.note.charged': ['請求を開始', 'Charge started'],
  'pay.note.retried': ['新しい注文番号で再作成', 'Recreated with a new order number'],
  'pay.note.restored': ['再起動前から継続中', 'Still open from before'],
  'ann.state': ['注文 {orderNo}：{state}、{amount}', 'Order {orderNo}: {state}, {amount}'],

  // Dialogs
  'dlg.cancel.title': ['このお支払いを取り消しますか？', 'Cancel this payment?'],
  'dlg.cancel.body': ['注文 {orderNo}（{amount}）のQRコードを無効にします。お客様がすでに支払っていた場合は、支払いとして記録されます。',
    'The QR code for order {orderNo} ({amount}) will be closed. If the customer has already paid, the payment is kept and recorded.'],
  'dlg.cancel.yes': ['はい、取り消す', 'Yes, cancel it'],
  'dlg.cancel.no': ['いいえ、待つ', 'No, keep waiting'],
  'dlg.live.title': ['本番（LIVE）のキーです', 'This is a LIVE key'],
  'dlg.live.body': ['保存すると、このレジで実際のお金の決済が始まります。', 'Once saved, this register takes real payments with real money.'],
  'dlg.live.yes': ['本番に切り替える', 'Switch to LIVE'],
  'dlg.live.no': ['戻る', 'Go back'],

  // Transactions & shift
  'tx.title': ['取引履歴', 'Transactions'],
  'tx.refresh': ['更新', 'Refresh'],
  'tx.export': ['CSV出力', 'Export CSV'],
  'tx.exported': ['{path} に保存しました', 'Saved to {path}'],
  'tx.more': ['さらに読み込む', 'Load older'],
  'tx.time': ['時刻', 'Time'],
  'tx.orderNo': ['注文番号', 'Order no.'],
  'tx.amount': ['金額', 'Amount'],
  'tx.status': ['状態', 'Status'],
  'tx.wallet': ['決済手段', 'Wallet'],
  'tx.refunded': ['返金額', 'Refunded'],
  'tx.note': ['備考', 'Note'],
  'tx.late': ['締め後に入金', 'paid after close'],
  'tx.refund': ['返金…', 'Refund…'],
  'tx.refundChecking': ['返金を elepay に確認中（確定まで再返金不可）', 'Refund being checked with elepay (no new refund until it is settled)'],
  'tx.f.from': ['開始日時', 'From'],
  'tx.f.to': ['終了日時', 'Until'],
  'refund.confirm.title': ['{amount} を返金しますか？', 'Refund {amount}?'],
  'refund.confirm.body': ['{orderNo} のお客様の {wallet} に返金されます。取り消せません。', 'It goes back to the customer of {orderNo} through {wallet}. This cannot be undone.'],
  'refund.confirm.yes': ['返金する', 'Refund'],
  'refund.confirm.no': ['戻る', 'Go back'],
  'tx.f.orderNo': ['注文番号（一部）', 'Order no. (part)'],
  'tx.f.status': ['状態', 'Status'],
  'tx.f.wallet': ['決済手段', 'Wallet'],
  'tx.f.min': ['最小金額', 'Min. amount'],
  'tx.f.max': ['最大金額', 'Max. amount'],
  'tx.f.shift': ['シフト', 'Shift'],
  'tx.f.all': ['すべて', 'All'],
  'tx.f.apply': ['絞り込む', 'Filter'],
  'tx.reason.outcome_unknown': ['作成結果が不明のため無効化', 'Outcome unknown — voided'],
  'tx.reason.rejected': ['elepay が受け付けず', 'Refused by elepay'],
  'tx.reason.offline': ['elepay に接続できず', 'elepay unreachable'],
  'tx.empty': ['該当する取引はありません', 'No payments match'],
  'shift.title': ['シフト', 'Shift'],
  'shift.none': ['このレジで開いているシフトはありません。担当者名を入力してシフトを開始してください。', 'No shift is open on this register. Enter your name to open one.'],
  'shift.cashier': ['担当者名', 'Cashier'],
  'shift.open': ['シフト開始', 'Open shift'],
  'shift.opened': ['シフト {id} 開始（{cashier}）', 'Shift {id} open ({cashier})'],
  'shift.x': ['Xレポート（更新）', 'X report (refresh)'],
  'shift.reconcile': ['elepay と照合', 'Reconcile with elepay'],
  'shift.close': ['シフト締め（Zレポート）', 'Close shift (Z report)'],
  'shift.closeConfirm.title': ['シフトを締めますか？', 'Close this shift?'],
  'shift.closeConfirm.body': ['Zレポートが作成され、このシフトは変更できなくなります。表示中のQRの支払いは、このシフトに「締め後に入金」として記録されます。', 'A Z report is made and the shift can no longer change. Payments for QR codes still on screen are recorded in this shift as paid after close.'],
  'shift.closeConfirm.yes': ['締める', 'Close shift'],
  'shift.closeConfirm.no': ['戻る', 'Go back'],
  'shift.print': ['印刷', 'Print'],
  'shift.export': ['CSV出力', 'Export CSV'],
  'shift.past': ['過去のシフト', 'Past shifts'],
  'shift.show': ['表示', 'Show'],
  'report.x': ['Xレポート（シフト {id}）', 'X report (shift {id})'],
  'report.z': ['Zレポート No.{z}（シフト {id}）', 'Z report no. {z} (shift {id})'],
  'report.meta': ['レジ {register}・担当 {cashier}・{opened} 〜 {closed}', 'Register {register} · {cashier} · {opened} – {closed}'],
  'report.now': ['現在', 'now'],
  'report.paid': ['支払済み', 'Paid'],
  'report.late': ['　うち締め後に入金', '  of which paid after close'],
  'report.cancelled': ['取消', 'Cancelled'],
  'report.expired': ['期限切れ', 'Expired'],
  'report.burned': ['無効（作成結果不明）', 'Voided (outcome unknown)'],
  'report.rejected': ['elepay が拒否', 'Refused by elepay'],
  'report.unresolved': ['未確定', 'Not final yet'],
  'report.wallet': ['　{wallet}', '  {wallet}'],
  'report.refunded': ['返金済み', 'Refunded'],
  'report.refundPending': ['返金処理中', 'Refunds in progress'],
  'report.refundFailed': ['返金失敗（差し引きなし）', 'Refunds failed (not deducted)'],
  'report.net': ['純売上', 'Net sales'],
  'report.orders': ['注文番号 {first} 〜 {last}', 'Orders {first} – {last}'],
  'shift.recon.title': ['elepay との照合', 'Reconciliation with elepay'],
  'shift.recon.clean': ['差異はありません（elepay {remote} 件・台帳 {local} 件）。', 'No differences (elepay {remote}, ledger {local}).'],
  'shift.recon.some': ['{n} 件の差異があります（elepay {remote} 件・台帳 {local} 件）。', '{n} differences (elepay {remote}, ledger {local}).'],
  'recon.paidOnlyAtElepay': ['{orderNo} {amount}：elepay では支払済み、台帳になし', '{orderNo} {amount}: paid at elepay, not in the ledger'],
  'recon.recorded': ['（確認のうえ台帳に記録しました）', ' (confirmed and now recorded)'],
  'recon.missingAtElepay': ['{orderNo} {amount}：台帳では支払済み、elepay に該当なし', '{orderNo} {amount}: paid in the ledger, not found at elepay'],
  'recon.amountMismatch': ['{orderNo}：金額が違います（台帳 {local}・elepay {elepay}）', '{orderNo}: amounts differ (ledger {local}, elepay {elepay})'],
  'recon.refundMismatch': ['{orderNo}：返金額が違います（台帳 {local}・elepay {elepay}、{status}）', '{orderNo}: refunds differ (ledger {local}, elepay {elepay}, {status})'],
  'tx.details': ['{orderNo} の履歴', 'History of {orderNo}'],
  'tx.receipt': ['領収書を印刷', 'Print receipt'],
  'tl.sale': ['売上 {amount} を登録', 'Sale of {amount} rung up'],
  'tl.reserved': ['注文番号 {orderNo} を確保', 'Order no. {orderNo} reserved'],
  'tl.to.creating': ['QRコードを作成中', 'Creating the QR code'],
  'tl.to.pending': ['QRコードを表示', 'QR code shown'],
  'tl.to.captured': ['支払済み', 'Paid'],
  'tl.to.closed': ['取消（elepay で確認）', 'Cancelled (confirmed with elepay)'],
  'tl.to.expired': ['期限切れ（elepay で確認）', 'Expired (confirmed with elepay)'],
  'tl.to.burned': ['無効化（作成結果不明）', 'Voided (outcome unknown)'],
  'tl.to.rejected': ['elepay が拒否', 'Refused by elepay'],
  'tl.via': ['{source} で確認', 'learned by {source}'],
  'tl.refundRequested': ['返金 {amount} を依頼', 'Refund of {amount} requested'],
  'tl.refundChanged': ['返金：{status}', 'Refund: {status}'],
  'tl.chargeFound': ['elepay の支払い {chargeId} を記録', 'elepay charge {chargeId} recorded'],
  'rc.title': ['領収書', 'Receipt'],
  'rc.foot': ['elepay EasyQR でのお支払い', 'Paid with elepay EasyQR'],
  'rc.date': ['日時', 'Date'],
  'rc.refunded': ['返金', 'Refunded'],
  'rc.charge': ['取引ID', 'Charge ID'],
  'refund.title': ['返金', 'Refund'],
  'refund.what': ['{orderNo}・{amount}（返金可能 {left}）', '{orderNo} · {amount} ({left} refundable)'],
  'refund.amount': ['返金額（円）', 'Amount (yen)'],
  'refund.reason': ['理由', 'Reason'],
  'refund.back': ['戻る', 'Back'],
  'refund.ok': ['返金する', 'Refund'],
  'refund.badAmount': ['1 円から {left} の範囲で入力してください', 'Enter 1 yen up to {left}'],
  'refund.sent': ['{orderNo} の返金 {amount} を受け付けました（{status}）', 'Refund of {amount} for {orderNo} accepted ({status})'],
  'refund.status.pending': ['処理中', 'in progress'],
  'refund.status.refunded': ['返金済み', 'refunded'],
  'refund.status.requested': ['確認中', 'being checked'],
  'refund.status.failed': ['失敗', 'failed'],

  // Settings
  'set.title': ['設定', 'Settings'],
  'set.store': ['店舗とレジ', 'Store and register'],
  'set.storeName': ['店舗名', 'Store name'],
  'set.registerId': ['レジID（注文番号の先頭）', 'Register id (order number prefix)'],
  'set.registerId.help': ['英大文字・数字・ハイフンで1〜20文字', '1–20 characters: A–Z, 0–9, -'],
  'set.locationId': ['ロケーションID（elepay）', 'Location id (elepay)'],
  'set.locationId.help': ['任意。1つのelepayアプリで複数店舗を運用するときに設定します。', 'Optional. Set it when one elepay app serves several stores.'],
  'set.frontUrl': ['支払い後に表示するページ（frontUrl）', 'Page after payment (frontUrl)'],
  'set.frontUrl.help': ['お客様のスマホに表示されます。https:// のURL（テスト時は http://localhost も可）。', "Shown on the customer's phone. An https:// URL (http://localhost… for testing)."],
  'set.payment': ['お支払い', 'Payments'],
  'set.expiry': ['QRの有効時間（分）', 'QR valid for (minutes)'],
  'set.expiry.help': ['3〜30分', '3–30 minutes'],
  'set.poll': ['状態確認の間隔（ミリ秒）', 'Status check interval (ms)'],
  'set.poll.help': ['250〜10000。通常は1000。', '250–10000. Usually 1000.'],
  'set.display': ['顧客画面と言語', 'Customer display and language'],
  'set.monitor': ['顧客画面のモニター', 'Customer display monitor'],
  'set.monitor.auto': ['自動', 'Automatic'],
  'set.monitor.primary': ['メイン', 'primary'],
  'set.language': ['レジの言語', 'Register language'],
  'set.language.auto': ['自動（システムに合わせる）', 'Automatic (follow the system)'],
  'set.webhook': ['Webhook 受信', 'Webhook receiver'],
  'set.webhook.enabled': ['Webhook を受信する（支払いの通知が速くなります）', 'Receive webhooks (faster payment notices)'],
  'set.webhook.address': ['待ち受けアドレス', 'Listen address'],
  'set.webhook.address.help': ['ホスト:ポート（例 0.0.0.0:8787）', 'host:port (e.g. 0.0.0.0:8787)'],
  'set.webhook.secret': ['署名シークレット', 'Signing secret'],
  'set.webhook.secret.help': ['WebhookのURLを切り替える間は、新旧両方のシークレットを登録してください。', 'While switching the webhook URL, keep both the old and the new secret here.'],
  'set.webhook.addSecret': ['＋ シークレットを追加', '+ Add secret'],
  'set.webhook.removeSecret': ['削除', 'Remove'],
  'set.webhook.stored': ['保存済みのシークレット {n} 件（表示しません）。新しく入力すると置き換えます。', '{n} secret(s) stored (never shown). Entering new ones replaces them.'],
  'set.demo': ['デモ', 'Demo'],
  'set.demoLan': ['LAN内のスマホからデモの支払いページを開けるようにする', 'Let phones on the LAN open the DEMO pay page'],
  'set.simulator': ['シミュレーター：{url}', 'Simulator: {url}'],
  'set.save': ['設定を保存', 'Save settings'],
  'set.saving': ['保存中…', 'Saving…'],
  'set.saved': ['保存しました', 'Saved'],
  'set.fixFields': ['赤く表示された項目を確認してください', 'Please fix the fields marked in red'],
  'set.key': ['elepay シークレットキー', 'elepay secret key'],
  'set.key.status': ['状態', 'Status'],
  'set.key.unset': ['未設定 — デモモードで動作中', 'Not set — running in DEMO mode'],
  'set.key.set': ['設定済み・末尾 …{last4}・{mode}', 'Set, ends in …{last4}, {mode}'],
  'set.key.mode.test': ['テスト', 'test'],
  'set.key.mode.live': ['本番', 'live'],
  'set.key.new': ['新しいキー', 'New key'],
  'set.key.help': ['sk_test_… または sk_live_…。OSのキーチェーンに保存され、二度と表示されません。', 'sk_test_… or sk_live_…. Kept in the OS keyring and never shown again.'],
  'set.key.verify': ['確認して保存', 'Verify & save'],
  'set.key.verifying': ['確認中…', 'Verifying…'],
  'alarm.journal': ['台帳の記録が EasyQR POS の外で変更されています。責任者に連絡してください。', 'The ledger was changed outside EasyQR POS. Tell the shift lead.'],
  'set.key.saved': ['キーを確認して保存しました', 'Key verified and saved'],
  'set.key.restart': ['キーを確認して保存しました。アプリを再起動すると新しいモードで動作します（DEMO・テスト・本番の取引は別々に記録されます）。', 'Key verified and saved. Restart the app to switch modes (DEMO, test and live sales are kept in separate ledgers).'],
  'set.key.overlap': ['以前のキー（…{last4}）は {until} まで有効です。それまでに作成したQRコードも引き続き確認します。',
    'The previous key (…{last4}) keeps working until {until}; codes created with it are still watched.'],

  // Validation
  'v.required': ['入力してください', 'Required'],
  'v.tooLong': ['{max}文字以内で入力してください', 'At most {max} characters'],
  'v.registerId': ['英大文字・数字・ハイフンで1〜20文字にしてください', 'Use 1–20 characters: A–Z, 0–9, -'],
  'v.frontUrl': ['https:// で始まるURL（または http://localhost…）を入力してください', 'Enter an https:// URL (or http://localhost…)'],
  'v.range': ['{min}〜{max} の整数を入力してください', 'Enter a whole number from {min} to {max}'],
  'v.address': ['ホスト:ポート の形式で入力してください', 'Use the form host:port'],
  'v.secret': ['シークレットを1つ以上入力してください', 'Enter at least one signing secret'],
  'v.key': ['キーを入力してください', 'Enter the key'],

  // Errors from the backend (by code); the backend's own message is shown under these.
  'err.refund_unknown': ['elepay から返金の応答がありません。返金されたか確認中です。もう一度返金しないでください（一覧に結果が表示されます）。',
    'No answer from elepay about the refund. It is being checked; do not refund again (the list will show the result).'],
  'err.refund_refused': ['elepay が返金を受け付けませんでした。', 'elepay refused the refund.'],
  'err.reconcile_failed': ['elepay の取引一覧を読めませんでした。何も変更していません。後でもう一度照合してください。',
    "Could not read elepay's payments. Nothing was changed; reconcile again later."],
  'err.invalid_input': ['入力内容を確認してください。', 'Check the field shown.'],
  'err.outcome_unknown': ['通信が途切れ、QRコードが作成されたか分かりません。このコードは表示も支払いもされません。「もう一度」で新しい注文番号のQRを作成してください。',
    'The connection dropped while creating the QR code, so its outcome is unknown. That code will never be shown or paid. Press Try again to make a new one with a new order number.'],
  'err.order_no_in_use': ['この注文番号はまだ支払い可能か、支払済みです。終わるのを待つか、先に取り消してください。',
    'That order number is still payable or already paid. Wait for it to finish, or cancel it first.'],
  'err.rejected': ['elepay が要求を受け付けませんでした。設定を確認してから、もう一度お試しください。',
    'elepay refused the request. Check the settings, then try again.'],
  'err.already_paid': ['この会計はすでに支払済みです。再度請求しないでください。', 'This sale is already paid. Do not charge again.'],
  'err.sale_busy': ['この会計には処理中のお支払いがあります。終わるまでお待ちください。', 'This sale already has a payment in progress. Wait for it to finish.'],
  'err.not_cancellable': ['このお支払いはもう取り消せません（すでに確定しています）。', 'This payment can no longer be cancelled; it is already final.'],
  'err.cancel_unconfirmed': ['取消を確認できませんでした。お客様はまだ支払える可能性があります。画面を見ながら、もう一度「取消」を押してください。',
    'The cancel could not be confirmed; the customer may still be able to pay. Keep watching and press Cancel again.'],
  'err.key_invalid': ['elepay がこのキーを受け付けませんでした。ダッシュボードからシークレットキー（sk_…）をもう一度コピーしてください。',
    'elepay did not accept this key. Copy the secret key (sk_…) from the dashboard again.'],
  'err.key_publishable': ['公開キー（pk_…）は使えません。シークレットキー（sk_…）を入力してください。', 'This is a publishable key (pk_…). Enter the secret key (sk_…) instead.'],
  'err.key_unverified': ['通信できずキーを確認できませんでした。キーは保存されていません。オンラインになってから再度お試しください。',
    'The key could not be verified because elepay was unreachable. It was not saved; try again when online.'],
  'err.ledger_error': ['取引記録を保存できませんでした。アプリを再起動し、続く場合はサポートに連絡してください。',
    'The transaction log could not be written. Restart the app; if it keeps happening, contact support.'],
  'err.no_open_shift': ['シフトが開いていません。先にシフトを開いてください（売上と返金は開いているシフトに記録されます）。',
    'No shift is open. Open a shift first: sales and refunds count in the open shift.'],
  'err.not_found': ['見つかりませんでした。', 'Not found.'],
  'err.export_failed': ['ファイルを書き込めませんでした。保存先を確認してください。', 'The file could not be written. Check the folder.'],
  'err.key_not_saved': ['キーを保存できませんでした。', 'The key could not be saved.'],
  'err.settings_not_saved': ['設定を保存できませんでした。', 'The settings could not be saved.'],
  'err.offline': ['elepay に接続できません。ネットワークを確認して、もう一度お試しください。', 'elepay cannot be reached. Check the network, then try again.'],
  'err.unknown': ['エラーが発生しました。', 'Something went wrong.'],
  'err.details': ['詳細：{message}（{code}）', 'Details: {message} ({code})'],

  // Customer display (always shown in both languages). \u200b marks where a
  // Japanese line may wrap (the display uses word-break: keep-all).
  'cust.welcome': ['いらっしゃいませ', 'Welcome'],
  'cust.total': ['お支払い金額', 'Amount to pay'],
  'cust.scan': ['スマートフォンで\u200b読み取って\u200bお支払いください', 'Scan with your phone to pay'],
  'cust.wallets': ['ご利用いただける\u200b決済', 'Accepted'],
  'cust.remaining': ['有効時間', 'Time left'],
  'cust.paid': ['ありがとう\u200bございました', 'Thank you'],
  'cust.paidSub': ['お支払いが\u200b完了しました', 'Your payment is complete'],
  'cust.expired': ['QRコードの\u200b有効期限が\u200b切れました', 'This QR code has expired'],
  'cust.expiredSub': ['お手数ですが、\u200b係員に\u200bお声がけください', 'Please ask the staff for a new code'],
  'cust.cancelled': ['お支払いは\u200b取り消されました', 'This payment was cancelled'],
  'cust.cancelledSub': ['料金は発生していません', 'You have not been charged'],
  'cust.demo': ['デモ — 実際の請求はありません', 'DEMO — no real charge'],
  'cust.qrAlt': ['お支払い用QRコード', 'QR code for payment'],
};

const LANGS = ['ja', 'en'];
let current = 'ja';
const listeners = new Set();

/** "auto" | "ja" | "en" → the language to show. */
export function resolveLang(setting) {
  if (setting === 'ja' || setting === 'en') return setting;
  return (navigator.language || '').toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export const getLang = () => current;

export function setLang(lang) {
  current = LANGS.includes(lang) ? lang : 'ja';
  document.documentElement.lang = current;
  applyI18n(document);
  listeners.forEach((fn) => fn(current));
}

/** Called after every language change (to re-render what code wrote). */
export const onLangChange = (fn) => listeners.add(fn);

/** t('pay.paid', { amount: '¥1,280' }); lang defaults to the current one. */
export function t(key, params = {}, lang = current) {
  const entry = DICT[key];
  let text = entry ? entry[LANGS.indexOf(lang)] ?? entry[0] : key;
  for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** Fill in every data-i18n / data-i18n-attr element under root. */
export function applyI18n(root) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-attr]').forEach((el) => {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  });
}

/** A backend error { code, message, field? } → { title, detail } in the current language. */
export function errorText(err) {
  const code = err?.code || 'unknown';
  const title = DICT[`err.${code}`] ? t(`err.${code}`) : t('err.unknown');
  const detail = err?.message ? t('err.details', { message: err.message, code }) : '';
  return { title, detail };
}
