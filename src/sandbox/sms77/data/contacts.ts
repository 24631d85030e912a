import type { DemoAccount } from './demo-accounts.js'

/** A contact in the current API's shape (PROVIDERS.md §2 contacts; R1 `Contact`). */
export interface Contact {
  id: number
  avatar: string
  created: string
  groups: number[]
  initials: { color: string; initials: string }
  properties: Record<string, string | null>
  validation: { state: 'valid' | 'invalid' | 'absent' | 'unknown' | null; timestamp: string | null }
}

const PROPERTY_NAMES = [
  'address',
  'birthday',
  'city',
  'email',
  'firstname',
  'home_number',
  'lastname',
  'mobile_number',
  'notes',
  'postal_code',
] as const

const SEED_PEOPLE: ReadonlyArray<[string, string, string, string]> = [
  ['Lena', 'Fischer', '4917612345678', 'lena.fischer@example.de'],
  ['Tom', 'Becker', '4915112345678', 'tom.becker@example.de'],
  ['Priya', 'Shah', '447700900123', 'priya.shah@example.co.uk'],
  ['Marco', 'Rossi', '4916298765432', ''],
]

const COLORS = ['#1e88e5', '#43a047', '#fb8c00', '#8e24aa']

export function contactProperties(input: Record<string, string | undefined>): Record<string, string | null> {
  const props: Record<string, string | null> = {}
  for (const name of PROPERTY_NAMES) props[name] = input[name] || null
  const full = [props.firstname, props.lastname].filter(Boolean).join(' ')
  props.fullname = full || null
  return props
}

export function buildContact(id: number, props: Record<string, string | null>, created: string): Contact {
  const initials = [props.firstname, props.lastname].map((p) => (p ?? '').charAt(0).toUpperCase()).join('')
  return {
    id,
    avatar: '',
    created,
    groups: [],
    initials: { color: COLORS[id % COLORS.length] ?? '#1e88e5', initials },
    properties: props,
    validation: { state: null, timestamp: null },
  }
}

export function seedContacts(account: DemoAccount, created: string): Contact[] {
  return SEED_PEOPLE.map(([firstname, lastname, mobile_number, email], i) =>
    buildContact(
      account.userId * 100 + i + 1,
      contactProperties({ firstname, lastname, mobile_number, email }),
      created,
    ),
  )
}

/** The legacy `/contacts?action=read&json=1` row. */
export function legacyContact(c: Contact): { ID: string; Name: string; Number: string } {
  return { ID: String(c.id), Name: c.properties.fullname ?? '', Number: c.properties.mobile_number ?? '' }
}
