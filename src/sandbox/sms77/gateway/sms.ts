import type { AccountState } from '../account-store.js'
import { mccmnc, parseNumber, smsPartPrice, type ParsedNumber } from '../data/numbers.js'
import { gatewayTimestamp, toEuro } from '../data/prng.js'
import { isValidSender, MAX_SMS_TEXT, smsEncoding } from '../data/sms-encoding.js'
import type { GatewayContext, GatewayRoute } from './context.js'
import { isTruthy, listParam, sendCode, sendJson, sendText } from './negotiate.js'

interface Outgoing {
  number: ParsedNumber
  price: number
}

function message(ctx: GatewayContext, o: Outgoing, sender: string, id: string | null) {
  const { encoding, parts } = smsEncoding(ctx.params.text ?? '', isTruthy(ctx.params.unicode))
  const ok = o.number.valid
  return {
    id: ok ? id : null,
    sender,
    recipient: o.number.international,
    text: ctx.params.text ?? '',
    encoding,
    label: ctx.params.label ?? null,
    parts,
    udh: ctx.params.udh ?? null,
    is_binary: false,
    price: ok ? toEuro(o.price) : 0,
    success: ok,
    error: ok ? null : '202',
    error_text: ok ? null : 'Invalid recipient number',
  }
}

function journalise(
  account: AccountState,
  ctx: GatewayContext,
  o: Outgoing,
  sender: string,
  id: string,
): void {
  const now = gatewayTimestamp(new Date())
  account.journals.outbound.unshift({
    id,
    from: sender,
    to: o.number.international,
    text: ctx.params.text ?? '',
    timestamp: now,
    price: String(toEuro(o.price)),
    connection: 'http',
    dlr: 'DELIVERED',
    dlr_timestamp: now,
    foreign_id: ctx.params.foreign_id ?? null,
    label: ctx.params.label ?? null,
    latency: '0.0',
    mccmnc: mccmnc(o.number.country, o.number.network),
    type: 'direct',
  })
}

/** Request-level checks, each answered with the bare code (PROVIDERS.md §2 error table). */
function rejectInvalid(ctx: GatewayContext): number | null {
  const { to, text, from } = ctx.params
  if (!to) return 301
  if (!text) return 305
  if (text.length > MAX_SMS_TEXT) return 401
  if (from !== undefined && !isValidSender(from)) return 201
  return null
}

/**
 * POST /sms. Charges `parts × network price` per valid recipient and files each message in
 * the outbound journal; `debug=1` validates and prices without sending or charging.
 * JSON (see negotiate.ts) gets the documented object; text gets `100`, plus one message id
 * per line when `return_msg_id=1` or `details=1`.
 */
function sendSms(ctx: GatewayContext): void {
  const invalid = rejectInvalid(ctx)
  if (invalid !== null) return sendCode(ctx.res, invalid, ctx.json)
  const { parts } = smsEncoding(ctx.params.text ?? '', isTruthy(ctx.params.unicode))
  const outgoing = listParam(ctx.params.to).map((to): Outgoing => {
    const number = parseNumber(to)
    return { number, price: number.valid ? parts * smsPartPrice(number) : 0 }
  })
  if (!outgoing.some((o) => o.number.valid)) return sendCode(ctx.res, 202, ctx.json)
  const debug = isTruthy(ctx.params.debug)
  const total = outgoing.reduce((sum, o) => sum + o.price, 0)
  if (!debug && !ctx.accounts.charge(ctx.account, total)) return sendCode(ctx.res, 500, ctx.json)
  const sender = ctx.params.from ?? ctx.account.profile.sender
  const messages = outgoing.map((o) => {
    const id = o.number.valid && !debug ? ctx.accounts.newMessageId() : null
    if (id) journalise(ctx.account, ctx, o, sender, id)
    return message(ctx, o, sender, id)
  })
  const code = messages.every((m) => m.success) ? '100' : '101'
  if (!ctx.json) {
    const wantsIds = isTruthy(ctx.params.return_msg_id) || isTruthy(ctx.params.details)
    const ids = messages.map((m) => m.id ?? '').filter((id) => id !== '')
    return sendText(ctx.res, wantsIds ? [code, ...ids].join('\n') : code)
  }
  sendJson(ctx.res, {
    success: code,
    total_price: toEuro(total),
    balance: toEuro(ctx.account.balance),
    debug: debug ? 'true' : 'false',
    sms_type: 'direct',
    messages,
  })
}

export const smsRoutes: GatewayRoute[] = [
  { methods: ['get', 'post'], path: '/sms', scope: 'sms', handler: sendSms },
]
