import * as oidc from 'openid-client'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

export interface SsoClientConfig {
  issuer: string
  clientId: string
  clientSecret: string
}

/** What one authorization request must find again in its callback (kept in the session). */
export interface SsoChecks {
  state: string
  nonce: string
  verifier: string
}

export interface SsoIdentity {
  sub: string
  email?: string
  emailVerified: boolean
  name?: string
  /** When the person last signed in at the provider (seconds), if the ID token says. */
  authTime?: number
}

/** Why a callback failed, in words the failure page can say (never the provider's text). */
export type SsoFailure = 'unavailable' | 'state' | 'rejected' | 'token'

export class SsoFlowError extends Error {
  constructor(
    readonly reason: SsoFailure,
    cause?: unknown,
  ) {
    super(`single sign-on failed: ${reason}`, { cause })
  }
}

/** http is allowed for an issuer on this machine only (the sandbox, tests); anywhere else https. */
export function isAllowedIssuer(raw: string): boolean {
  try {
    const url = new URL(raw)
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))
  } catch {
    return false
  }
}

/**
 * OpenID Connect through panva's openid-client (certified): discovery, the authorization
 * code flow with PKCE S256, state and nonce, and ID token validation (signature from the
 * issuer's JWKS, iss, aud, exp, nonce). `now` is the app's clock, handed to the library as
 * its clock skew, so tests can move time.
 */
export class SsoClient {
  constructor(private readonly now: () => number = Date.now) {}

  async discover(c: SsoClientConfig): Promise<oidc.Configuration> {
    const url = new URL(c.issuer)
    const skew = Math.round((this.now() - Date.now()) / 1000)
    try {
      return await oidc.discovery(
        url,
        c.clientId,
        { client_secret: c.clientSecret, [oidc.clockSkew]: skew },
        oidc.ClientSecretBasic(c.clientSecret),
        {
          execute: url.protocol === 'http:' && isAllowedIssuer(c.issuer) ? [oidc.allowInsecureRequests] : [],
          timeout: 10,
        },
      )
    } catch (err) {
      throw new SsoFlowError('unavailable', err)
    }
  }

  async start(
    c: SsoClientConfig,
    opts: { redirectUri: string; loginHint: string; fresh?: boolean },
  ): Promise<{ url: URL; checks: SsoChecks }> {
    const config = await this.discover(c)
    const checks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
    }
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: opts.redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      login_hint: opts.loginHint,
      // A re-authentication: the provider must ask again and say when (auth_time).
      ...(opts.fresh ? { prompt: 'login', max_age: '0' } : {}),
    })
    return { url, checks }
  }

  async finish(c: SsoClientConfig, callbackUrl: URL, checks: SsoChecks): Promise<SsoIdentity> {
    const config = await this.discover(c)
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      })
    } catch (err) {
      if (err instanceof oidc.AuthorizationResponseError || err instanceof oidc.ResponseBodyError)
        throw new SsoFlowError('rejected', err)
      throw new SsoFlowError('token', err)
    }
    const claims = tokens.claims()
    if (!claims) throw new SsoFlowError('token')
    let email = typeof claims.email === 'string' ? claims.email : undefined
    let verified = claims.email_verified === true
    let name = typeof claims.name === 'string' ? claims.name : undefined
    if (!email && tokens.access_token) {
      // Some providers put the email in UserInfo only (scope email); checked against the ID token's sub.
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch((err: unknown) => {
        throw new SsoFlowError('token', err)
      })
      email = info.email
      verified = info.email_verified === true
      name ??= info.name
    }
    const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : undefined
    return { sub: claims.sub, email, emailVerified: verified, name, authTime }
  }
}
