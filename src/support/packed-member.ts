/**
 * A member as the support indexes store it: `userId:provider` is 30 characters and appears
 * in every index entry of an account (about eight), so the usual shape (a 24-digit hex
 * user id) is packed to 18: the id's first two hex digits as they are (they pick the
 * account's bucket), the other 11 bytes in base64url, the provider as one letter. Any
 * other shape is stored as it is; it keeps its `:`, which no packed member has.
 */
const CODES: Record<string, string> = { sms77: 's', nexmo: 'n' }
const PROVIDERS: Record<string, string> = Object.fromEntries(Object.entries(CODES).map(([p, c]) => [c, p]))
const SHAPE = /^([0-9a-f]{2})([0-9a-f]{22}):([a-z0-9]+)$/

export function packMember(member: string): string {
  const m = SHAPE.exec(member)
  const code = m && CODES[m[3]!]
  if (!m || !code) return member
  return `${m[1]}${Buffer.from(m[2]!, 'hex').toString('base64url')}${code}`
}

export function unpackMember(stored: string): string {
  if (stored.includes(':') || stored.length !== 18) return stored
  const provider = PROVIDERS[stored[17]!] ?? stored[17]
  return `${stored.slice(0, 2)}${Buffer.from(stored.slice(2, 17), 'base64url').toString('hex')}:${provider}`
}
