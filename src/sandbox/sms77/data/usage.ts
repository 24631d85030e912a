import type { AccountState } from '../account-store.js'
import { findCountryByIso } from './countries.js'
import { parseNumber } from './numbers.js'
import { seededRandom } from './prng.js'

/** One cell of usage: a day, an (sub)account, a label and a destination country. */
export interface UsageRecord {
  date: string
  account: string
  label: string
  country: string
  sms: number
  voice: number
  hlr: number
  mnp: number
  inbound: number
  /** 1/10000 EUR. */
  usage: number
}

const NEIGHBOURS: Record<string, readonly [string, string]> = { de: ['at', 'ch'], gb: ['nl', 'fr'] }
// Unit prices (1/10000 EUR) of the non-SMS products in the analytics sum.
const VOICE_UNITS = 450
const HLR_UNITS = 200
const MNP_UNITS = 50

function countryWeights(home: string): Array<[string, number]> {
  const [a, b] = NEIGHBOURS[home] ?? ['at', 'ch']
  return [
    [home, 0.8],
    [a, 0.12],
    [b, 0.08],
  ]
}

function smsUnits(iso: string): number {
  const country = findCountryByIso(iso)
  return Math.round((country?.networks[0]?.price ?? 0.075) * 10_000)
}

function cell(date: string, account: string, label: string, country: string, expected: number): UsageRecord {
  const rand = seededRandom(`usage:${date}:${account}:${label}:${country}`)
  const sms = Math.round(expected * (0.85 + 0.3 * rand()))
  const voice = Math.round(sms * 0.03 * rand())
  const hlr = Math.round(sms * 0.06 * rand())
  const mnp = Math.round(sms * 0.04 * rand())
  const inbound = Math.round(sms * 0.1 * rand())
  const usage = sms * smsUnits(country) + voice * VOICE_UNITS + hlr * HLR_UNITS + mnp * MNP_UNITS
  return { date, account, label, country, sms, voice, hlr, mnp, inbound, usage }
}

/** Days generated per demo account, kept (the same numbers every time): a chart asks for 30 at once. */
const generated = new WeakMap<AccountState['profile'], Map<string, readonly UsageRecord[]>>()
/** A sandbox asked for every day there is keeps at most this many per account. */
const KEPT_DAYS = 1_000

/** Generated history of one day: the same numbers every time for the same account and day. */
export function seededUsage(state: AccountState, date: string): readonly UsageRecord[] {
  let days = generated.get(state.profile)
  if (!days) generated.set(state.profile, (days = new Map()))
  const kept = days.get(date)
  if (kept) return kept
  if (days.size >= KEPT_DAYS) days.clear()
  const made = Object.freeze(generateDay(state.profile, date).map((r) => Object.freeze(r)))
  days.set(date, made)
  return made
}

function generateDay(profile: AccountState['profile'], date: string): UsageRecord[] {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay()
  const weekday = day === 0 || day === 6 ? 0.45 : 1
  const rand = seededRandom(`day:${profile.userId}:${date}`)
  const base = profile.dailyVolume * weekday * (0.8 + 0.4 * rand())
  const accounts: Array<[string, number]> = [
    [String(profile.userId), 1],
    ...profile.subaccounts.map((s): [string, number] => [String(s.id), 0.3]),
  ]
  const labelShare = 1 / profile.labels.length
  return accounts.flatMap(([account, weight]) =>
    profile.labels.flatMap((label) =>
      countryWeights(profile.homeCountry).map(([country, share]) =>
        cell(date, account, label, country, base * weight * labelShare * share),
      ),
    ),
  )
}

/** SMS sent through this sandbox on `date`, so a message the app sends shows up in analytics. */
export function liveUsage(state: AccountState, date: string): UsageRecord[] {
  return state.journals.outbound
    .filter((m) => m.timestamp.startsWith(date) && Number(m.id) >= 77_200_000_000)
    .map((m) => ({
      date,
      account: String(state.profile.userId),
      label: m.label ?? 'none',
      country: (parseNumber(m.to).country?.iso ?? 'de').toLowerCase(),
      sms: 1,
      voice: 0,
      hlr: 0,
      mnp: 0,
      inbound: 0,
      usage: Math.round(Number(m.price) * 10_000),
    }))
}
