import { KeptState, type KeptMap } from '../kept-state.js'

/**
 * Demo Nexmo accounts a sandbox user can "sign in as" on the consent page. Money is
 * kept in integer units of 1e-8 EUR, the precision Nexmo prints (`10.17127500`), so
 * repeated SMS charges never drift the way floats would.
 */
export interface DemoAccount {
  id: string
  /** Nexmo API keys are 8 hex characters. */
  apiKey: string
  name: string
  email: string
  /** Balance in 1e-8 EUR. */
  balanceUnits: number
}

export const UNITS_PER_EUR = 100_000_000

const SEED: ReadonlyArray<Omit<DemoAccount, 'balanceUnits'> & { balance: string }> = [
  {
    id: 'harbourline',
    apiKey: '3f9c2e1a',
    name: 'Harbourline Logistics Ltd',
    email: 'ops@harbourline.example',
    balance: '10.17127500',
  },
  {
    id: 'lindqvist',
    apiKey: '7be04d19',
    name: 'Lindqvist Dental Clinic',
    email: 'reception@lindqvist-dental.example',
    balance: '42.50000000',
  },
  // Too poor for a single part, so "insufficient balance" (status 9) can be exercised.
  {
    id: 'nightowl',
    apiKey: 'c51d8a70',
    name: 'Night Owl Bakery',
    email: 'hello@nightowl-bakery.example',
    balance: '0.02000000',
  },
]

/** Parses a non-negative decimal with up to 8 places into 1e-8 units. */
export function parseEur(value: string): number {
  const m = /^(\d+)(?:\.(\d{1,8}))?$/.exec(value)
  if (!m) throw new Error(`not an EUR amount: ${value}`)
  return Number(m[1]) * UNITS_PER_EUR + Number((m[2] ?? '').padEnd(8, '0'))
}

/** Formats 1e-8 units with exactly 8 decimals, as Nexmo does (`0.03330000`). */
export function formatEur(units: number): string {
  const sign = units < 0 ? '-' : ''
  const abs = Math.abs(units)
  return `${sign}${Math.floor(abs / UNITS_PER_EUR)}.${String(abs % UNITS_PER_EUR).padStart(8, '0')}`
}

/**
 * A fresh copy of the demo accounts; each sandbox instance owns its balances (kept across
 * restarts in `state`'s store, when it has one, once they change).
 */
export function createAccounts(state = new KeptState()): KeptMap<string, DemoAccount> {
  const accounts = state.map<string, DemoAccount>('nexmo:accounts')
  for (const { balance, ...account } of SEED)
    accounts.seed(account.id, { ...account, balanceUnits: parseEur(balance) })
  return accounts
}
