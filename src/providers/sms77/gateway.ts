import { ProviderError } from '../../errors.js'
import { parseJson, providerRequest } from '../http.js'

/**
 * Calls to gateway.sms77.io with a Bearer token. sms77 reports auth failures in the body
 * as well as (maybe) in the status, so both are read (PROVIDERS.md §2 "Errors", §5.2):
 * HTTP 401 or body `900` means the token failed; 403 or `902` that the scope is missing.
 */
export interface GatewayCall {
  method: 'GET' | 'POST'
  path: string
  query?: Record<string, string>
  form?: Record<string, string>
}

export interface GatewayResult {
  body: string
  contentType: string
}

export async function callGateway(
  apiUrl: string,
  accessToken: string,
  call: GatewayCall,
): Promise<GatewayResult> {
  const qs = call.query ? `?${new URLSearchParams(call.query)}` : ''
  const res = await providerRequest('sms77', {
    method: call.method,
    url: `${apiUrl}${call.path}${qs}`,
    headers: {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
      sentwith: 'Switchboard',
      ...(call.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: call.form ? new URLSearchParams(call.form).toString() : undefined,
    timeoutMs: 5_000,
  })
  const code = bodyCode(res.body)
  if (res.status === 401 || code === '900') {
    throw new ProviderError(
      'sms77',
      'token_rejected',
      'sms77 did not accept the access token.',
      new Error(`gateway ${call.path}: HTTP ${res.status} code ${code ?? '-'}`),
    )
  }
  if (res.status === 403 || code === '902') {
    throw new ProviderError(
      'sms77',
      'provider_rejected',
      'This connection was not granted access to this feature.',
      new Error(`gateway ${call.path}: HTTP ${res.status} code ${code ?? '-'}`),
    )
  }
  if (res.status >= 400 || code === '903') {
    const kind = res.status >= 500 ? 'provider_unavailable' : 'provider_rejected'
    throw new ProviderError(
      'sms77',
      kind,
      'sms77 could not answer this request right now.',
      new Error(`gateway ${call.path}: HTTP ${res.status} code ${code ?? '-'}`),
    )
  }
  return { body: res.body, contentType: res.contentType }
}

/** The status code when the whole body is one (`900`, `"900"`, `900\n…`), else undefined. */
export function bodyCode(body: string): string | undefined {
  const m = /^\s*"?(\d{3})"?\s*(\n|$)/.exec(body)
  return m?.[1]
}

export async function gatewayJson(apiUrl: string, accessToken: string, call: GatewayCall): Promise<unknown> {
  const res = await callGateway(apiUrl, accessToken, call)
  return parseJson('sms77', res.body)
}
