import type { Config } from '../config/config.js'

/** The strict CSP every page is sent with (helmet): our own origin only, no inline script. */
export function contentSecurityPolicy(config: Config) {
  // The Connect forms POST to us and are answered with a redirect to the provider;
  // browsers apply form-action to that redirect, so the providers' origins are allowed.
  const providerOrigins = [
    ...new Set([config.sms77.oauthUrl, config.nexmo.oauthUrl].map((u) => new URL(u).origin)),
  ]
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'", ...providerOrigins],
      ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
    },
  }
}
