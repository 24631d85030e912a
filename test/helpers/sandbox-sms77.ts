import { TEST_SMS77_CLIENT, type RunningSandbox } from './sandbox-server.js'

export const SANDBOX_REDIRECT_URI = 'http://127.0.0.1:9/cb'

export interface Sms77Client {
  id: string
  secret: string
}

export interface Sms77Tokens {
  access_token: string
  refresh_token: string
  expires_in: number
  scope: string
}

/** RFC 6749 §2.3.1 Basic credentials (form-encoded before base64). */
export function basicAuth(client: Sms77Client = TEST_SMS77_CLIENT): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${enc(client.id)}:${enc(client.secret)}`).toString('base64')
}

/** Consent through the sandbox's own form (Allow) and return the authorization code. */
export async function sms77Code(
  sb: RunningSandbox,
  scope: string,
  account = '12345',
  extra: { clientId?: string; query?: Record<string, string> } = {},
): Promise<string> {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: extra.clientId ?? TEST_SMS77_CLIENT.id,
    state: 's',
    scope,
    redirect_uri: SANDBOX_REDIRECT_URI,
    ...extra.query,
  })
  const html = await (await fetch(`${sb.sms77OAuthUrl}/authorize?${q}`)).text()
  const requestId = /name="request_id" value="([0-9a-f]+)"/.exec(html)?.[1] ?? ''
  const body = new URLSearchParams({ request_id: requestId, decision: 'allow', account })
  const res = await fetch(`${sb.sms77OAuthUrl}/authorize`, { method: 'POST', body, redirect: 'manual' })
  return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? ''
}

/** Consent and code exchange with HTTP Basic for `client`: the whole token response. */
export async function sms77Tokens(
  sb: RunningSandbox,
  scope: string,
  client: Sms77Client = TEST_SMS77_CLIENT,
): Promise<Sms77Tokens> {
  const code = await sms77Code(sb, scope, '12345', { clientId: client.id })
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: SANDBOX_REDIRECT_URI,
  })
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, {
    method: 'POST',
    body: form,
    headers: { authorization: basicAuth(client) },
  })
  if (res.status !== 200) throw new Error(`token exchange answered ${res.status}`)
  return (await res.json()) as Sms77Tokens
}

/** Code then token exchange (client credentials by HTTP Basic or in the body): the access token. */
export async function sms77AccessToken(
  sb: RunningSandbox,
  scope: string,
  opts: { account?: string; clientAuth?: 'basic' | 'body' } = {},
): Promise<string> {
  const code = await sms77Code(sb, scope, opts.account)
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: SANDBOX_REDIRECT_URI,
  })
  const headers: Record<string, string> = {}
  if (opts.clientAuth === 'body') {
    form.set('client_id', TEST_SMS77_CLIENT.id)
    form.set('client_secret', TEST_SMS77_CLIENT.secret)
  } else {
    headers.authorization = basicAuth()
  }
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, { method: 'POST', body: form, headers })
  return ((await res.json()) as { access_token: string }).access_token
}
