import type { Request, RequestHandler, Response } from 'express'
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { AppError } from '../errors/app-error.js'
import type { RedisClient } from '../redis/client.js'
import { API_RATE_LIMIT_PREFIX } from '../redis/tenant-api.js'
import type { ApiKeyStore, ApiPrincipal, ApiScope } from '../api-keys/key-store.js'

export interface ApiLimits {
  /** Calls each key may make per window. */
  points: number
  durationSec: number
}
export const DEFAULT_API_LIMITS: ApiLimits = { points: 600, durationSec: 60 }

/** The key that authenticated this request; set by `authenticate`, read by every API route. */
export function principalOf(res: Response): ApiPrincipal {
  const p = res.locals.apiPrincipal as ApiPrincipal | undefined
  if (!p) throw new AppError('invalid_api_key', 'An API key is required.', { status: 401 })
  return p
}

function bearerOf(header: string | undefined): string | null {
  const m = /^Bearer +(\S+)\s*$/i.exec(header ?? '')
  return m ? m[1]! : null
}

const invalidKey = () =>
  new AppError('invalid_api_key', 'Send a valid API key as `Authorization: Bearer <key>`.', { status: 401 })

/**
 * A read the route will make for this call, started beside the rate limit's own so both go
 * in one round trip; it must change nothing (a refused call discards it). `key` names what
 * was read, so a route uses it only for exactly that.
 */
export type EarlyRead = (
  req: Request,
  principal: ApiPrincipal,
) => { key: string; read: Promise<unknown> } | undefined

const EARLY = Symbol('early read')
type WithEarly = Response & { [EARLY]?: { key: string; read: Promise<unknown> } }

/** What `EarlyRead` started for `key`, if it did (the route reads it itself otherwise). */
export function earlyRead<T>(res: Response, key: string): Promise<T> | undefined {
  const early = (res as WithEarly)[EARLY]
  return early?.key === key ? (early.read as Promise<T>) : undefined
}

/**
 * `Authorization: Bearer <key>` → the key's tenant, name and scopes; then the key's own
 * rate limit. A missing, unknown or revoked key is 401 alike, so a caller learns nothing
 * about which keys exist.
 */
export function authenticate(
  keys: ApiKeyStore,
  redis: RedisClient,
  limits = DEFAULT_API_LIMITS,
  early?: EarlyRead,
) {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: API_RATE_LIMIT_PREFIX,
    points: limits.points,
    duration: limits.durationSec,
  })
  const handler: RequestHandler = async (req, res, next) => {
    const presented = bearerOf(req.headers.authorization)
    const principal = presented ? await keys.authenticate(presented) : null
    if (!principal) throw invalidKey()
    res.locals.apiPrincipal = principal
    const started = early?.(req, principal)
    if (started) {
      // Settled here either way: a refused call leaves no unhandled rejection behind.
      started.read.catch(() => undefined)
      ;(res as WithEarly)[EARLY] = started
    }
    try {
      const taken = await limiter.consume(principal.keyId)
      res.setHeader('RateLimit-Limit', String(limits.points))
      res.setHeader('RateLimit-Remaining', String(taken.remainingPoints))
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.msBeforeNext / 1000))))
      throw new AppError('rate_limited', 'This API key has made too many calls; retry later.', {
        status: 429,
      })
    }
    void keys.touch(principal).catch(() => undefined)
    next()
  }
  return handler
}

/** 403 unless the key has `scope`; only reached by a key of the right tenant (others get 404 first). */
export function checkScope(res: Response, scope: ApiScope): void {
  if (!principalOf(res).scopes.includes(scope))
    throw new AppError('insufficient_scope', `This API key lacks the \`${scope}\` scope.`, { status: 403 })
}

export function requireScope(scope: ApiScope): RequestHandler {
  return (_req, res, next) => {
    checkScope(res, scope)
    next()
  }
}
