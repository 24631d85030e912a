import { TEST_SMS77_CLIENT, type RunningSandbox } from './sandbox-server.js'

export const SANDBOX_REDIRECT_URI = 'http://127.0.0.1:9/cb'

/** Consent through the sandbox's own form (Allow) and return the authorization code. */
export async function sms77Code(sb: RunningSandbox, scope: string, account = '12345'): Promise<string> {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: TEST_SMS77_CLIENT.id,
    state: 's',
    scope,
    redirect_uri: SANDBOX_REDIRECT_URI,
  })
  const html = await (await fetch(`${sb.sms77OAuthUrl}/authorize?${q}`)).text()
  const requestId = /name="request_id" value="([0-9a-f]+)"/.exec(html)?.[1] ?? ''
  const body = new URLSearchParams({ request_id: requestId, decision: 'allow', account })
  const res = await fetch(`${sb.sms77OAuthUrl}/authorize`, { method: 'POST', body, redirect: 'manual' })
  return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? ''
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
    headers.authorization =
      'Basic ' + Buffer.from(`${TEST_SMS77_CLIENT.id}:${TEST_SMS77_CLIENT.secret}`).toString('base64')
  }
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, { method: 'POST', body: form, headers })
  return ((await res.json()) as { access_token: string }).access_token
}
