import { createHash } from 'node:crypto'
import type { Request } from 'express'
import { saveSession } from '../auth/session.js'
import type { SessionIndex } from '../auth/session-index.js'
import type { RedisClient } from '../redis/client.js'
import { sessionKey, userSessionsKey } from '../redis/keys.js'

export interface ActiveSession {
  /** A digest of the session id: names it in a form without revealing it. */
  handle: string
  current: boolean
  signedInAt?: number
  via?: 'password' | 'sso'
  agent?: string
  expiresAt?: number
}

const handleOf = (sid: string) => createHash('sha256').update(sid).digest('hex').slice(0, 24)

/**
 * A person's live sessions, read from the session records their index names, and the one
 * place staff sign-in ends sessions (so a change in how sessions are invalidated is one edit).
 */
export class PersonSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly index: SessionIndex,
  ) {}

  async list(tenantId: string, userId: string, currentSid: string): Promise<ActiveSession[]> {
    const ids = await this.redis.smembers(userSessionsKey(tenantId, userId))
    const records = await Promise.all(ids.map((id) => this.redis.get(sessionKey(id))))
    const out: ActiveSession[] = []
    records.forEach((raw, i) => {
      if (!raw) return
      const s = parse(raw)
      if (s?.userId !== userId) return
      out.push({
        handle: handleOf(ids[i]!),
        current: ids[i] === currentSid,
        signedInAt: s.signedInAt,
        via: s.signedInVia,
        agent: s.agent,
        expiresAt: s.cookie?.expires ? Date.parse(s.cookie.expires) : undefined,
      })
    })
    return out.sort(
      (a, b) => Number(b.current) - Number(a.current) || (b.signedInAt ?? 0) - (a.signedInAt ?? 0),
    )
  }

  /** Ends one of the person's sessions by its handle; false when it is not theirs (or gone). */
  async endOne(tenantId: string, userId: string, handle: string): Promise<boolean> {
    const ids = await this.redis.smembers(userSessionsKey(tenantId, userId))
    const sid = ids.find((id) => handleOf(id) === handle)
    if (!sid) return false
    await this.redis.del(sessionKey(sid))
    await this.redis.srem(userSessionsKey(tenantId, userId), sid)
    return true
  }

  /** Every session of the person, listed or not; how many were listed. */
  endAll(tenantId: string, userId: string): Promise<number> {
    return this.index.removeAll(tenantId, userId)
  }

  /**
   * Every session of the person but the one making the change (the request's), through the
   * session index's one way of ending sessions; the kept one is re-stamped so it stays current.
   */
  async endOthers(req: Request, tenantId: string, userId: string): Promise<void> {
    req.session.signedInAt = await this.index.removeOthers(tenantId, userId, req.sessionID)
    await saveSession(req)
  }
}

interface StoredSession {
  userId?: string
  signedInAt?: number
  signedInVia?: 'password' | 'sso'
  agent?: string
  cookie?: { expires?: string }
}

function parse(raw: string): StoredSession | undefined {
  try {
    return JSON.parse(raw) as StoredSession
  } catch {
    return undefined
  }
}
