import { z } from 'zod'
import type { CallContext, LookupKind, LookupResult } from '../types.js'
import { sms77Error } from './errors.js'
import { gatewayJson, type Gateway } from './gateway.js'
import { PROVIDER_CURRENCY } from '../money.js'

/**
 * `POST /lookup type=format|hlr|mnp|cnam number=… json=1` (PROVIDERS.md §2 lookup, the
 * legacy endpoint of the gateway URL Switchboard is configured with). One number answers
 * one object; a bare return code (`"500"`, `"202"`) is a refusal. Field names differ per
 * kind, so each has its own reading; anything absent stays absent.
 */
const text = z
  .union([z.string(), z.number()])
  .transform(String)
  .nullish()
  .transform((v) => v || undefined)
const flag = z.union([z.boolean(), z.string(), z.number()]).nullish()
const truthy = (v: z.infer<typeof flag>) => v === true || v === 'true' || v === 1 || v === '1'

const Format = z.object({
  success: flag,
  international: text,
  international_formatted: text,
  national: text,
  country_name: text,
  carrier: text,
  network_type: text,
})

const Hlr = z.object({
  status: flag,
  international_format_number: text,
  international_formatted: text,
  national_format_number: text,
  country_name: text,
  current_carrier: z.object({ name: text, network_type: text }).partial().nullish(),
  reachable: text,
  ported: text,
  roaming: z.unknown(),
})

const Mnp = z.object({
  success: flag,
  price: z.union([z.number(), z.string()]).nullish(),
  mnp: z
    .object({
      number: text,
      international_formatted: text,
      national_format: text,
      country: text,
      network: text,
      networkType: text,
      isPorted: z.boolean().nullish(),
    })
    .partial()
    .nullish(),
})

const Cnam = z.object({ success: flag, name: text, number: text })

type Reader = (data: unknown, number: string) => Omit<LookupResult, 'kind'> | undefined

const READERS: Record<LookupKind, Reader> = {
  format(data, number) {
    const r = Format.safeParse(data)
    if (!r.success) return undefined
    const f = r.data
    return {
      number: f.international_formatted ?? f.international ?? number,
      valid: truthy(f.success),
      national: f.national,
      country: f.country_name,
      carrier: f.carrier,
      networkType: f.network_type,
    }
  },
  hlr(data, number) {
    const r = Hlr.safeParse(data)
    if (!r.success) return undefined
    const h = r.data
    return {
      number: h.international_formatted ?? h.international_format_number ?? number,
      valid: truthy(h.status),
      national: h.national_format_number,
      country: h.country_name,
      carrier: h.current_carrier?.name,
      networkType: h.current_carrier?.network_type,
      reachable: h.reachable ? h.reachable === 'reachable' : undefined,
      ported: h.ported && h.ported !== 'unknown' ? h.ported === 'ported' : undefined,
      roaming: typeof h.roaming === 'string' ? h.roaming !== 'not_roaming' : undefined,
    }
  },
  mnp(data, number) {
    const r = Mnp.safeParse(data)
    if (!r.success) return undefined
    const m = r.data.mnp ?? {}
    const price = Number(r.data.price)
    return {
      number: m.international_formatted ?? m.number ?? number,
      valid: truthy(r.data.success),
      national: m.national_format,
      country: m.country,
      carrier: m.network,
      networkType: m.networkType,
      ported: m.isPorted ?? undefined,
      price: Number.isFinite(price) && price > 0 ? { amount: price, currency: PROVIDER_CURRENCY } : undefined,
    }
  },
  cnam(data, number) {
    const r = Cnam.safeParse(data)
    if (!r.success) return undefined
    return { number: r.data.number ?? number, valid: truthy(r.data.success), callerName: r.data.name }
  },
}

/** A bare return code as the whole answer (`"500"` as JSON, or a number). */
export function answerCode(data: unknown): string | undefined {
  return (typeof data === 'string' || typeof data === 'number') && /^\d{3}$/.test(String(data))
    ? String(data)
    : undefined
}

export async function lookupNumber(
  gw: Gateway,
  ctx: CallContext,
  kind: LookupKind,
  number: string,
): Promise<LookupResult> {
  const data = await gatewayJson(gw, ctx.grant.secrets.accessToken, {
    method: 'POST',
    path: '/lookup',
    form: { type: kind, number, json: '1' },
  })
  const code = answerCode(data)
  if (code) throw sms77Error({ kind: 'refused', action: 'lookup', code })
  // Several numbers would answer an array; one number is asked for, so take the first.
  const one = Array.isArray(data) ? (data[0] as unknown) : data
  const result = READERS[kind](one, number)
  if (!result) throw sms77Error({ kind: 'unreadable', what: 'answer' })
  return { kind, ...result }
}
