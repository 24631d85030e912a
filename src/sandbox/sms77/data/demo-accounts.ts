/**
 * The people a tester can "sign in as" on the consent page. The first one is the
 * provider's own documentation example (PROVIDERS.md §1 "Profile").
 * Balances are kept in ten-thousandths of a euro, as the gateway reports 4 decimals.
 */
export interface DemoAccount {
  userId: number
  email: string
  company: string
  alias: string
  /** Opening balance in 1/10000 EUR. */
  openingBalance: number
  /** Default sender shown in the journal. */
  sender: string
  /** Where most of its traffic goes (ISO 3166 alpha-2, lower case). */
  homeCountry: string
  /** Rough messages per day, so each account's charts look different. */
  dailyVolume: number
  labels: readonly string[]
  subaccounts: ReadonlyArray<{ id: number; username: string; name: string; email: string; balance: number }>
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    userId: 12345,
    email: 'john.doe@acme.inc',
    company: 'Acme Inc',
    alias: 'acme_inc',
    openingBalance: 6_273_615,
    sender: 'AcmeInc',
    homeCountry: 'de',
    dailyVolume: 180,
    labels: ['newsletter', 'otp', 'shipping'],
    subaccounts: [
      {
        id: 412001,
        username: 'acme_support',
        name: 'Acme Support',
        email: 'support@acme.inc',
        balance: 368_100,
      },
      {
        id: 412002,
        username: 'acme_marketing',
        name: 'Acme Marketing',
        email: 'marketing@acme.inc',
        balance: 1_250_000,
      },
    ],
  },
  {
    userId: 48213,
    email: 'anna.schmidt@nordlicht-baeckerei.de',
    company: 'Nordlicht Bäckerei GmbH',
    alias: 'nordlicht',
    openingBalance: 841_250,
    sender: 'Nordlicht',
    homeCountry: 'de',
    dailyVolume: 35,
    labels: ['orders', 'pickup'],
    subaccounts: [],
  },
  {
    userId: 70518,
    email: 'm.okafor@blueharbor.dental',
    company: 'Blue Harbor Dental Ltd',
    alias: 'blueharbor',
    openingBalance: 12_500,
    sender: 'BlueHarbor',
    homeCountry: 'gb',
    dailyVolume: 12,
    labels: ['reminders'],
    subaccounts: [
      {
        id: 515901,
        username: 'bh_leeds',
        name: 'Blue Harbor Leeds',
        email: 'leeds@blueharbor.dental',
        balance: 4_200,
      },
    ],
  },
]

export function findDemoAccount(userId: number): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((a) => a.userId === userId)
}
