import { parseNumber, type ParsedNumber } from '../data/numbers.js'
import { gatewayTimestamp, hashString, toEuro } from '../data/prng.js'
import { GET_OR_POST, type GatewayContext, type GatewayRoute } from './context.js'
import { isTruthy, listParam, sendCode, sendJson, sendText } from './negotiate.js'

// Text-to-speech calls are billed per call here (the real per-minute rate needs a duration).
const CALL_UNITS = 450
const MAX_VOICE_TEXT = 10_000
const DEFAULT_CALLER = '4915799912345'

function fileCall(ctx: GatewayContext, to: string, from: string, id: string): void {
  ctx.account.journals.voice.unshift({
    id,
    from,
    to,
    text: ctx.params.text ?? '',
    timestamp: gatewayTimestamp(new Date()),
    price: String(toEuro(CALL_UNITS)),
    duration: String(5 + (hashString(id) % 40)),
    error: '',
    status: 'completed',
    xml: isTruthy(ctx.params.xml),
  })
}

/** One call per valid number, filed in the voice journal; invalid numbers fail with 202. */
function placeCalls(ctx: GatewayContext, numbers: ParsedNumber[]) {
  const from = ctx.params.from ?? DEFAULT_CALLER
  return numbers.map((n) => {
    const id = n.valid ? ctx.accounts.newMessageId() : null
    if (id) fileCall(ctx, n.international, from, id)
    const error = n.valid ? null : '202'
    const price = n.valid ? toEuro(CALL_UNITS) : 0
    return {
      id,
      sender: from,
      recipient: n.international,
      text: ctx.params.text ?? '',
      price,
      success: n.valid,
      error,
      error_text: error,
    }
  })
}

/**
 * POST /voice `to,text,from,xml,ringtime`. JSON (negotiate.ts) gets
 * `{success,total_price,balance,debug,messages:[…]}`; text gets `100\n<id>\n<cost>`.
 */
function voice(ctx: GatewayContext): void {
  const { text } = ctx.params
  const numbers = listParam(ctx.params.to).map(parseNumber)
  if (numbers.length === 0) return sendCode(ctx.res, 301, ctx.json)
  if (!text) return sendCode(ctx.res, 305, ctx.json)
  if (text.length > MAX_VOICE_TEXT) return sendCode(ctx.res, 401, ctx.json)
  const valid = numbers.filter((n) => n.valid)
  if (valid.length === 0) return sendCode(ctx.res, 202, ctx.json)
  if (!ctx.accounts.charge(ctx.account, valid.length * CALL_UNITS)) return sendCode(ctx.res, 500, ctx.json)
  const messages = placeCalls(ctx, numbers)
  const code = valid.length === numbers.length ? '100' : '101'
  const total = toEuro(valid.length * CALL_UNITS)
  if (!ctx.json) {
    return sendText(
      ctx.res,
      [code, ...messages.flatMap((m) => (m.id ? [m.id, String(m.price)] : []))].join('\n'),
    )
  }
  sendJson(ctx.res, {
    success: code,
    total_price: total,
    balance: toEuro(ctx.account.balance),
    debug: false,
    messages,
  })
}

/** POST /validate_for_voice `number,callback`: starts a caller-ID check, answers its code. */
function validateForVoice(ctx: GatewayContext): void {
  const n = parseNumber(ctx.params.number ?? '')
  if (!n.valid) {
    return sendJson(ctx.res, {
      success: false,
      code: null,
      error: 'Invalid number',
      formatted_output: null,
      id: null,
    })
  }
  const digest = hashString('validate:' + n.international)
  sendJson(ctx.res, {
    success: true,
    code: String(100_000 + (digest % 900_000)),
    error: null,
    formatted_output: null,
    id: digest % 1_000_000,
    sender: '+' + n.international,
    voice: true,
  })
}

export const voiceRoutes: GatewayRoute[] = [
  { methods: GET_OR_POST, path: '/voice', scope: 'voice', handler: voice },
  {
    methods: GET_OR_POST,
    path: '/validate_for_voice',
    scope: 'validate_for_voice',
    handler: validateForVoice,
  },
]
