import type { HttpClient } from '../http.js'
import { checkAnswer, readJson, send } from './errors.js'

/**
 * Calls to gateway.sms77.io with a Bearer token (PROVIDERS.md §2). sms77 reports auth
 * failures in the body as well as (maybe) in the status; errors.ts reads both.
 */
export interface Gateway {
  http: HttpClient
  apiUrl: string
}

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
  gw: Gateway,
  accessToken: string,
  call: GatewayCall,
): Promise<GatewayResult> {
  const qs = call.query ? `?${new URLSearchParams(call.query)}` : ''
  const res = await send(gw.http, {
    method: call.method,
    url: `${gw.apiUrl}${call.path}${qs}`,
    headers: {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
      sentwith: 'Switchboard',
      ...(call.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: call.form ? new URLSearchParams(call.form).toString() : undefined,
    timeoutMs: 5_000,
  })
  checkAnswer('gateway', call.path, res)
  return { body: res.body, contentType: res.contentType }
}

export async function gatewayJson(gw: Gateway, accessToken: string, call: GatewayCall): Promise<unknown> {
  const res = await callGateway(gw, accessToken, call)
  return readJson(res.body)
}
