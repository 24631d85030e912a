import { z } from 'zod'
import { isAppError } from '../../errors/app-error.js'
import { parseBalance, PROVIDER_CURRENCY } from '../money.js'
import type {
  CallContext,
  CallerIdValidation,
  DeliveryStatus,
  Grant,
  PanelView,
  ProviderTools,
  VoiceMessage,
  VoiceResult,
} from '../types.js'
import { parseProviderTime } from '../provider-time.js'
import { readJson, sms77Error } from './errors.js'
import { callGateway, gatewayJson, type Gateway } from './gateway.js'
import { answerCode, lookupNumber } from './lookup.js'

/**
 * The gateway endpoints people use from the dashboard, one per scope (PROVIDERS.md §2):
 * `/status`, `/voice`, `/validate_for_voice` here, `/lookup` in lookup.ts.
 */
const token = (ctx: CallContext) => ctx.grant.secrets.accessToken
const num = z.union([z.number(), z.string()]).nullish()
const money = (v: unknown) =>
  Number.isFinite(Number(v)) && v !== null && v !== ''
    ? { amount: Number(v), currency: PROVIDER_CURRENCY }
    : undefined

const StatusRows = z.array(
  z.object({
    id: z.union([z.string(), z.number()]).transform(String),
    status: z.string().max(40),
    status_time: z.string().max(40).nullish(),
    statusTime: z.string().max(40).nullish(),
  }),
)

/**
 * `GET /status?msg_id=a,b`: JSON rows, or for one id the legacy two lines
 * `DELIVERED\n2020-01-09 15:41:30.656` (both are seen in the wild, PROVIDERS.md §5.3).
 */
export async function deliveryStatus(
  gw: Gateway,
  ctx: CallContext,
  ids: string[],
): Promise<DeliveryStatus[]> {
  const res = await callGateway(gw, token(ctx), {
    method: 'GET',
    path: '/status',
    query: { msg_id: ids.join(',') },
  })
  const lines = res.body.trim().split(/\r?\n/)
  if (ids.length === 1 && lines.length <= 2 && /^[A-Z]{4,20}$/.test(lines[0] ?? ''))
    return [{ messageId: ids[0]!, status: lines[0]!, at: atOf(lines[1]) }]
  const data = readJson(res.body)
  const code = answerCode(data)
  if (code) throw sms77Error({ kind: 'refused', action: 'status', code })
  const rows = StatusRows.safeParse(data)
  if (!rows.success) throw sms77Error({ kind: 'unreadable', what: 'list', detail: rows.error })
  return rows.data.map((r) => ({
    messageId: r.id,
    status: r.status,
    at: atOf(r.status_time ?? r.statusTime),
  }))
}

/** A report's time as an instant when it can be read, else as the provider wrote it. */
const atOf = (raw: string | null | undefined) => (raw ? (parseProviderTime(raw) ?? raw) : undefined)

const Journal = z.array(
  z.object({ id: z.union([z.string(), z.number()]).transform(String), to: z.string().max(40).nullish() }),
)

/** The status panel: with the journal granted too, the reports of the five latest messages. */
export async function statusPanel(gw: Gateway, ctx: CallContext): Promise<PanelView> {
  if (!ctx.grant.scopes.includes('journal'))
    return {
      kind: 'status',
      recentNote: 'Allow “journal” too to see the reports of your latest messages here.',
    }
  const data = await gatewayJson(gw, token(ctx), {
    method: 'GET',
    path: '/journal',
    query: { type: 'outbound', limit: '5' },
  })
  const journal = Journal.safeParse(data)
  if (!journal.success) throw sms77Error({ kind: 'unreadable', what: 'list', detail: journal.error })
  const latest = journal.data.slice(0, 5)
  if (latest.length === 0) return { kind: 'status', recent: [] }
  let reports: DeliveryStatus[]
  try {
    reports = await deliveryStatus(
      gw,
      ctx,
      latest.map((m) => m.id),
    )
  } catch (err) {
    // A refused or unreadable report costs the table, never the form; a rejected token is retried.
    if (isAppError(err) && err.code === 'token_rejected') throw err
    return { kind: 'status', recentNote: 'The reports of your latest messages could not be read right now.' }
  }
  const byId = new Map(reports.map((r) => [r.messageId, r]))
  const recent = latest.map((m) => ({
    messageId: m.id,
    status: 'UNKNOWN',
    ...byId.get(m.id),
    to: m.to ?? undefined,
  }))
  return { kind: 'status', recent }
}

const VoiceResponse = z.object({
  success: z.union([z.string(), z.number()]).transform(String),
  total_price: num,
  balance: num,
  messages: z
    .array(
      z.object({
        id: z.union([z.string(), z.number()]).nullish(),
        success: z.boolean().nullish(),
        error: num,
      }),
    )
    .optional(),
})

/** `POST /voice to,text,from,json=1`: one call, its id and price. */
export async function sendVoice(gw: Gateway, ctx: CallContext, m: VoiceMessage): Promise<VoiceResult> {
  const form: Record<string, string> = { to: m.to, text: m.text, json: '1' }
  if (m.from) form.from = m.from
  const data = await gatewayJson(gw, token(ctx), { method: 'POST', path: '/voice', form })
  const code = answerCode(data)
  if (code) throw sms77Error({ kind: 'refused', action: 'voice', code })
  const parsed = VoiceResponse.safeParse(data)
  if (!parsed.success) throw sms77Error({ kind: 'unreadable', what: 'answer', detail: parsed.error })
  const v = parsed.data
  const failed = v.messages?.find((x) => x.success === false)
  if (v.success !== '100' || failed)
    throw sms77Error({ kind: 'refused', action: 'voice', code: String(failed?.error ?? v.success) })
  return {
    messageId: String(v.messages?.[0]?.id ?? ''),
    price: money(v.total_price),
    balance: parseBalance(v.balance ?? undefined),
  }
}

const ValidateResponse = z.object({
  success: z.union([z.boolean(), z.string()]),
  code: z.union([z.string(), z.number()]).nullish(),
  sender: z.string().max(40).nullish(),
  formatted_output: z.string().max(200).nullish(),
})

/** `POST /validate_for_voice number`: sms77 calls the number, which confirms with the code. */
export async function validateCallerId(
  gw: Gateway,
  ctx: CallContext,
  number: string,
): Promise<CallerIdValidation> {
  const data = await gatewayJson(gw, token(ctx), {
    method: 'POST',
    path: '/validate_for_voice',
    form: { number },
  })
  const code = answerCode(data)
  if (code) throw sms77Error({ kind: 'refused', action: 'validate', code })
  const parsed = ValidateResponse.safeParse(data)
  if (!parsed.success) throw sms77Error({ kind: 'unreadable', what: 'answer', detail: parsed.error })
  const v = parsed.data
  // The answer's `error` is free text: never shown (errors.ts).
  if (v.success !== true && v.success !== 'true')
    throw sms77Error({ kind: 'refused', action: 'validate', code: '' })
  return { number: v.sender ?? number, code: v.code == null ? undefined : String(v.code), started: true }
}

/** The tools a grant allows: one per granted scope. */
export function sms77Tools(gw: Gateway, grant: Grant): ProviderTools {
  const has = (s: string) => grant.scopes.includes(s)
  return {
    ...(has('lookup') ? { lookup: (ctx, kind, n) => lookupNumber(gw, ctx, kind, n) } : {}),
    ...(has('status') ? { deliveryStatus: (ctx, ids) => deliveryStatus(gw, ctx, ids) } : {}),
    ...(has('voice') ? { sendVoice: (ctx, m) => sendVoice(gw, ctx, m) } : {}),
    ...(has('validate_for_voice') ? { validateCallerId: (ctx, n) => validateCallerId(gw, ctx, n) } : {}),
  }
}
