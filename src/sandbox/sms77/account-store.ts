import { buildContact, seedContacts, type Contact } from './data/contacts.js'
import { DEMO_ACCOUNTS, type DemoAccount } from './data/demo-accounts.js'
import type { Hook } from './data/hooks.js'
import type { Journals } from './data/journal-types.js'
import { gatewayTimestamp } from './data/prng.js'
import { seedJournals } from './data/seed-journal.js'

/** Everything the gateway can change about one demo account, kept per sandbox instance. */
export interface AccountState {
  profile: DemoAccount
  /** Current balance in 1/10000 EUR (integers, so charges never drift). */
  balance: number
  journals: Journals
  contacts: Contact[]
  hooks: Hook[]
}

/** In-memory accounts of one sandbox; created on first use from the demo seeds. */
export class AccountStore {
  private readonly accounts = new Map<number, AccountState>()
  private nextMessageId = 77_200_000_001
  private nextObjectId = 900_001

  constructor(private readonly anchor: Date = new Date()) {}

  get(userId: number): AccountState {
    const existing = this.accounts.get(userId)
    if (existing) return existing
    const profile = DEMO_ACCOUNTS.find((a) => a.userId === userId)
    if (!profile) throw new Error(`unknown demo account ${userId}`)
    const created = gatewayTimestamp(new Date(this.anchor.getTime() - 40 * 86_400_000))
    const state: AccountState = {
      profile,
      balance: profile.openingBalance,
      journals: seedJournals(profile, this.anchor),
      contacts: seedContacts(profile, created),
      hooks: profile.userId === DEMO_ACCOUNTS[0]?.userId ? [seedHook(created)] : [],
    }
    this.accounts.set(userId, state)
    return state
  }

  /** Takes `units` from the balance; false (and no change) when it would go negative. */
  charge(account: AccountState, units: number): boolean {
    if (units > account.balance) return false
    account.balance -= units
    return true
  }

  newMessageId(): string {
    return String(this.nextMessageId++)
  }

  newObjectId(): number {
    return this.nextObjectId++
  }

  addContact(account: AccountState, props: Record<string, string | null>): Contact {
    const contact = buildContact(this.newObjectId(), props, gatewayTimestamp(new Date()))
    account.contacts.push(contact)
    return contact
  }
}

function seedHook(created: string): Hook {
  return {
    id: '23',
    target_url: 'https://hooks.acme.inc/sms77/dlr',
    event_type: 'dlr',
    request_method: 'POST',
    event_filter: null,
    enabled: true,
    created,
    headers: '',
  }
}
