/**
 * Required single sign-on, as the password ways in see it (the rule lives in signin/, which
 * hands it down): for emails of a domain whose organisation requires single sign-on, no
 * password is set, reset or accepted, except for that organisation's admins (their way back
 * in when the identity provider fails, with password and two-step).
 */
export interface SsoRule {
  /** The organisation that requires single sign-on for this email's domain, if any. */
  requiredBy(email: string): Promise<string | null>
  /** Records in that organisation's audit log a password way in the rule closed. */
  refused?(who: { tenantId: string; email: string; id?: string }, way: ClosedWay, ip: string): Promise<void>
  /** The email domains this organisation requires single sign-on for (none when it does not). */
  requiredDomains?(tenantId: string): Promise<string[]>
}

/** The password ways in besides /login (the sign-in gate records that one itself). */
export type ClosedWay = 'sign-up' | 'reset' | 'reset link' | 'invitation'

/** True when single sign-on is this person's only way into their organisation. */
export async function ssoOnly(
  rule: SsoRule | undefined,
  person: { tenantId: string; email: string; role: string },
): Promise<boolean> {
  if (!rule || person.role === 'admin') return false
  return (await rule.requiredBy(person.email)) === person.tenantId
}
