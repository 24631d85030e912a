import { buildContact, seedContacts, type Contact } from './data/contacts.js'
import { DEMO_ACCOUNTS, type DemoAccount } from './data/demo-accounts.js'
import type { Hook } from './data/hooks.js'
import type { Journals } from './data/journal-types.js'
import { gatewayTimestamp } from './data/prng.js'
import { seedJournals } from './data/seed-journal.js'
import { KeptState } from '../kept-state.js'

/** Everything the gateway can change about one demo account, kept per sandbox instance. */
export interface AccountState {
  profile: DemoAccount
  /** Current balance in 1/10000 EUR (integers, so charges never drift). */
  balance: number
  journals: Journals
  contacts: Contact[]
  hooks: Hook[]
}

/**
 * The accounts of one sandbox, created on first use from the demo seeds; given a store,
 * kept across restarts once changed (balances, messages in the journals, contacts, hooks).
 */
export class AccountStore {
  private readonly accounts
  private readonly counters
  /** Whether changes are written anywhere (memory alone holds them when not). */
  private readonly persisted: boolean
  /** What was last written per account, so a read-only call writes nothing. */
  private readonly written = new Map<number, string>()

  constructor(
    private readonly anchor: Date = new Date(),
    state = new KeptState(),
  ) {
    this.persisted = state.store !== undefined
    this.accounts = state.map<number, AccountState>('sms77:accounts', true)
    this.counters = state.map<'message' | 'object', number>('sms77:counters')
  }

  /** Keeps the account's state after a call that may have changed it (written only when it did). */
  keep(account: AccountState): void {
    // In memory alone the account is the object the call changed: nothing to write, so the
    // emulator does not serialise every account after every call (tests, benchmarks).
    if (!this.persisted) return
    const userId = account.profile.userId
    const json = JSON.stringify(account)
    if (this.written.get(userId) === json) return
    this.written.set(userId, json)
    this.accounts.set(userId, account)
  }

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
    return String(this.next('message', 77_200_000_001))
  }

  newObjectId(): number {
    return this.next('object', 900_001)
  }

  private next(counter: 'message' | 'object', first: number): number {
    const id = this.counters.get(counter) ?? first
    this.counters.set(counter, id + 1)
    return id
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
