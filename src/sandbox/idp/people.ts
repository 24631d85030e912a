/** A person the sandbox's identity provider can sign in as. */
export interface IdpPerson {
  id: string
  name: string
  email: string
  emailVerified: boolean
}

export interface IdpOptions {
  /** The public URL this provider is mounted at (its `iss`). */
  issuer: string
  clients: Array<{ clientId: string; clientSecret: string; redirectUris: string[] }>
  people?: IdpPerson[]
  /** How long an ID token is valid, seconds (default 600). */
  idTokenTtlSec?: number
}

/** The sandbox's people: two verified, one whose email the provider has not verified. */
export const SANDBOX_IDP_DOMAIN = 'sso.sandbox.test'
export const SANDBOX_IDP_PEOPLE: IdpPerson[] = [
  { id: 'ada', name: 'Ada Lovelace', email: `ada@${SANDBOX_IDP_DOMAIN}`, emailVerified: true },
  { id: 'grace', name: 'Grace Hopper', email: `grace@${SANDBOX_IDP_DOMAIN}`, emailVerified: true },
  { id: 'unverified', name: 'Una Verified', email: `una@${SANDBOX_IDP_DOMAIN}`, emailVerified: false },
]
