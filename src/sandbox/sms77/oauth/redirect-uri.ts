/**
 * Why a redirect_uri cannot be used, or null when it can. RFC 6749 §3.1.2: absolute,
 * no fragment; the sandbox only knows http(s) callbacks and no user-info tricks.
 */
export function redirectUriProblem(raw: string | undefined): string | null {
  if (!raw) return 'The redirect URI is missing'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'The redirect URI must be an absolute URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The redirect URI must use http or https'
  if (raw.includes('#')) return 'The redirect URI must not contain a fragment'
  if (url.username || url.password) return 'The redirect URI must not contain credentials'
  return null
}

/**
 * Appends parameters to a redirect URI, keeping its own query as it was written
 * (RFC 6749 §3.1.2: "MUST retain the query component"). Values are percent-encoded so
 * the client reads back `state` exactly as it sent it.
 */
export function withParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const query = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&')
  if (query === '') return redirectUri
  if (!redirectUri.includes('?')) return `${redirectUri}?${query}`
  const joiner = redirectUri.endsWith('?') || redirectUri.endsWith('&') ? '' : '&'
  return redirectUri + joiner + query
}
