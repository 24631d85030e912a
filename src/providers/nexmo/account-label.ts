import { isDisplayText } from '../../http/display-text.js'

/**
 * How a person recognises a Nexmo account: by what the provider told us in its access-token
 * answer, the company and the API key (as its own consent page shows them), read only when
 * they look like what they claim to be; else by the end of the account id.
 */
export function nexmoAccountLabel(extras: Record<string, string>, accountId: string): string {
  const key = /^[A-Za-z0-9]{4,40}$/.test(extras.api_key ?? '') ? extras.api_key : undefined
  const company = (extras.company ?? '').trim()
  const named = company.length > 0 && company.length <= 100 && isDisplayText(company) ? company : undefined
  if (named && key) return `${named} · API key ${key}`
  if (key) return `Nexmo API key ${key}`
  return `Nexmo account ending ${accountId.slice(-4)}`
}
