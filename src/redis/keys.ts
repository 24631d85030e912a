/**
 * Every Redis key the app names, in one place, so no feature retypes another's key and a
 * rename is one edit. The strings are stored data: changing one orphans what is already
 * in Redis, so they only ever gain new builders.
 *
 * Tenant-scoped keys carry the tenant in a hash tag (`t:{tenant}:…`) so a Redis Cluster
 * keeps a tenant's keys in one slot: its MULTIs, pipelines and scripts never cross slots.
 * The client's `keyPrefix` (REDIS_KEY_PREFIX) is added by ioredis, not here.
 */

/**
 * The built-in sandbox's own state (it stands in for the providers, so none of it is the
 * app's): one hash per kind (`sms77:refresh`, `nexmo:access-tokens`, …), named by the sandbox.
 */
export const sandboxStateKey = (name: string) => `sandbox:{sandbox}:${name}`

/** Which connection a key belongs to (structurally a `ConnectionRef`). */
export interface ConnectionKeyRef {
  tenantId: string
  userId: string
  provider: string
}

export function tenantKey(tenantId: string, rest: string): string {
  return `t:{${tenantId}}:${rest}`
}

// Tenants and people.

/** The tenant's own record (name, created, settings); HSETNX on it claims the slug. */
export const tenantMetaKey = (tenantId: string) => tenantKey(tenantId, 'meta')
export const userKey = (tenantId: string, userId: string) => tenantKey(tenantId, `user:${userId}`)
/** The tenant's user ids, scored by creation time. */
export const tenantUsersKey = (tenantId: string) => tenantKey(tenantId, 'users')
/** Global: an email belongs to one user in one tenant, so login needs only email and password. */
export const emailKey = (normalisedEmail: string) => `email:${normalisedEmail}`
/** The ids of one user's sessions, so they can all be ended at once. */
export const userSessionsKey = (tenantId: string, userId: string) => tenantKey(tenantId, `sessions:${userId}`)
/** Global: connect-redis's prefix for session records (no hash tag: one slot per session). */
export const SESSION_KEY_PREFIX = 'sess:'
export const sessionKey = (sessionId: string) => `${SESSION_KEY_PREFIX}${sessionId}`
/** Global: rate-limiter-flexible's key prefixes; it appends `:<ip or email>` itself. */
export const rateLimitKeyPrefix = (
  limit:
    | 'login-ip'
    | 'login-acct'
    | 'login-everywhere'
    | 'signup-ip'
    | 'forgot-ip'
    | 'forgot-acct'
    | 'invite-admin'
    | 'invite-org'
    | 'invite-new-org',
) => `rl:${limit}`
/**
 * Global: held (PX) while an account past its ceiling of failures waits for its next
 * admitted sign-in attempt; named with the account's counter generation.
 */
export const loginGateKey = (normalisedEmail: string, generation: string) =>
  `login-gate:${normalisedEmail}#${generation}`
/** Global: the generation of an account's login counters; bumping it clears every lock at once. */
export const loginGenerationKey = (normalisedEmail: string) => `login-gen:${normalisedEmail}`
/** Global: a password-reset link, named by the digest of its token (the token is never stored). */
export const resetTokenKey = (tokenDigest: string) => `reset:${tokenDigest}`
/** The digest of a user's newest reset link, so a new link retires the one before. */
export const userResetKey = (tenantId: string, userId: string) => tenantKey(tenantId, `reset:${userId}`)
/** Global: an invitation link, named by the digest of its token; holds `tenant:invitation id`. */
export const inviteTokenKey = (tokenDigest: string) => `invite:${tokenDigest}`
/** The tenant's pending invitations, one JSON field per invitation id. */
export const tenantInvitesKey = (tenantId: string) => tenantKey(tenantId, 'invites')
/** Global: the sandbox's mail outbox (dev only), newest first. */
export const MAIL_OUTBOX_KEY = 'mail:outbox'

// Connections.

export const connectionKey = (ref: ConnectionKeyRef) =>
  tenantKey(ref.tenantId, `conn:${ref.userId}:${ref.provider}`)
/** The tenant's connection members (`userId:provider`), scored by creation time. */
export const tenantConnectionsKey = (tenantId: string) => tenantKey(tenantId, 'conns')
/** The tenant's connected members scored by when each grant was last obtained or checked (keep-alive). */
export const tenantCheckedKey = (tenantId: string) => tenantKey(tenantId, 'conns-checked')
/** Global: ids of tenants that have (or had) connections, so the keep-alive sweep needs no SCAN. */
export const KEEPALIVE_TENANTS_KEY = 'keepalive:tenants'
/** Global: the oldest checkedAt the last sweep saw (epoch ms), for the keep-alive lag metric. */
export const KEEPALIVE_OLDEST_KEY = 'keepalive:oldest'
/** Global: set once every tenant's connections from before the keep-alive index were indexed. */
export const KEEPALIVE_BACKFILLED_KEY = 'keepalive:backfilled:v1'
/** Beside its connection (same slot), so the refresh can be serialised across instances. */
export const refreshLockKey = (ref: ConnectionKeyRef) => `${connectionKey(ref)}:refresh-lock`
/** A connection's kept read (connections/kept-read.ts) and the lock of the one read that fills it. */
export const keptReadKey = (ref: ConnectionKeyRef, part = '') => `${connectionKey(ref)}:kept${part}`
/** How many of the tenant's connections each OAuth client (default, tenant versions) issued. */
export const clientUsageKey = (tenantId: string, provider: string) =>
  tenantKey(tenantId, `client-usage:${provider}`)
/**
 * The tenant's connections that are not `connected`: member → `status:reason` (degraded or
 * needs reconnect), kept in step by the record's scripts, so `/metrics` counts connections
 * by status and reason without reading every record.
 */
export const tenantHealthKey = (tenantId: string) => tenantKey(tenantId, 'conns-health')
/** One connection's last 50 events (a capped stream) for the support console, beside its record. */
export const connectionEventsKey = (ref: ConnectionKeyRef) =>
  tenantKey(ref.tenantId, `conn-events:${ref.userId}:${ref.provider}`)
/** Global: a reconnect link, named by the digest of its token; holds the connection it is for. */
export const reconnectLinkKey = (tokenDigest: string) => `reconnect:${tokenDigest}`
/** Global: a pending connect flow, named by a digest of its state or request token. */
export const pendingFlowKey = (correlationDigest: string) => `flow:${correlationDigest}`
/** The tenant's own OAuth client credentials, one field per provider. */
export const tenantCredentialsKey = (tenantId: string) => tenantKey(tenantId, 'provider-credentials')

// Dashboard and notifications.

export const panelCacheKey = (tenantId: string, userId: string, provider: string) =>
  tenantKey(tenantId, `cache:${userId}:${provider}`)
/** Banners waiting for a user's next page. */
export const noticesKey = (tenantId: string, userId: string) => tenantKey(tenantId, `notices:${userId}`)
export const webhookSettingsKey = (tenantId: string) => tenantKey(tenantId, 'webhook')
export const webhookLogKey = (tenantId: string) => tenantKey(tenantId, 'webhook-log')
/** Deliveries running now for the tenant (job id scored by when its claim lapses): its fair share. */
export const webhookSlotsKey = (tenantId: string) => tenantKey(tenantId, 'webhook-slots')
/** The tenant's dead letters (deliveries that used up their attempts), job id scored by time. */
export const webhookDeadKey = (tenantId: string) => tenantKey(tenantId, 'webhook-dead')

/** The tenant's events of the last 30 days (a stream, bounded): the events feed and Resend read it. */
export const tenantEventsKey = (tenantId: string) => tenantKey(tenantId, 'events')

// Balance history and low-balance alerts.

/** One connection's packed hourly balances (balances/series-codec.ts), beside its tenant's keys. */
export const balanceHistoryKey = (ref: ConnectionKeyRef) =>
  tenantKey(ref.tenantId, `balance-history:${ref.userId}:${ref.provider}`)
/** Each connection's last alert state (`low` or `ok`), so a crossing fires one event. */
export const balanceAlertsKey = (tenantId: string) => tenantKey(tenantId, 'balance-alerts')

// Support console and audit.

/** Before the word index: members as `<search text>\0<member>`, all scored 0 (deleted by its backfill). */
export const supportSearchKey = (tenantId: string) => tenantKey(tenantId, 'support:search')
/** Before the word index: each member's search text (deleted by its backfill). */
export const supportSearchTextKey = (tenantId: string) => tenantKey(tenantId, 'support:search-text')
/**
 * The word index's directory (support/word-scripts.ts); its pages are this key plus
 * `:<page id>`, its page counter this key plus `:next`, all built inside the scripts.
 */
export const supportWordsKey = (tenantId: string) => tenantKey(tenantId, 'support:words')
/**
 * Each member's indexed words, in 256 small hashes by the member's first two characters (a
 * random hex user id) so each stays in Redis's compact encoding; the scripts append them.
 */
export const supportTextBucketsKey = (tenantId: string) => tenantKey(tenantId, 'support:text:')
export const supportTextKey = (tenantId: string, member: string) =>
  `${supportTextBucketsKey(tenantId)}${member.slice(0, 2)}`
/** Global: set once every tenant's connections from before the word index were indexed. */
export const SUPPORT_WORDS_BACKFILLED_KEY = 'support:words:backfilled:v1'
export const supportBalanceKey = (tenantId: string) => tenantKey(tenantId, 'support:balance')
/** Before the read buckets: every member's last balance read as long JSON (emptied by the backfill). */
export const supportEntriesKey = (tenantId: string) => tenantKey(tenantId, 'support:entries')
/** Each member's last balance read (short JSON), in 256 small hashes by its first two characters. */
export const supportReadKey = (tenantId: string, member: string) =>
  tenantKey(tenantId, `support:read:${member.slice(0, 2)}`)
export const auditKey = (tenantId: string) => tenantKey(tenantId, 'audit')

// Staff sign-in: two-step codes and single sign-on (issue 23).

/** A person's two-step sign-in: the sealed TOTP secret, when it was turned on, the last step used. */
export const twoStepKey = (tenantId: string, userId: string) => tenantKey(tenantId, `two-step:${userId}`)
/** SHA-256 digests of a person's unused recovery codes (SREM takes one exactly once). */
export const recoveryCodesKey = (tenantId: string, userId: string) =>
  tenantKey(tenantId, `two-step-recovery:${userId}`)
/** The tenant's single sign-on settings (issuer, client, sealed secret, domains, role, required). */
export const ssoSettingsKey = (tenantId: string) => tenantKey(tenantId, 'sso')
/** Global: an email domain belongs to one tenant's single sign-on (SET NX claims it). */
export const ssoDomainKey = (domain: string) => `sso-domain:${domain}`
/** Global: each tenant's issuer origin, so /login's form-action can allow them all. */
export const SSO_ISSUERS_KEY = 'sso-issuers'

// Whole-keyspace scans (operator commands only): SCAN globs and an exact test.

export const ANY_TENANT = '*'
export const connectionKeyPattern = () => tenantKey(ANY_TENANT, 'conn:*')
export const tenantConnectionsKeyPattern = () => tenantKey(ANY_TENANT, 'conns')
/** The tenant of a key matched by `tenantConnectionsKeyPattern`, or null. */
export const tenantOfConnectionsKey = (key: string) => /^t:\{([^}]+)\}:conns$/.exec(key)?.[1] ?? null
export const tenantMetaKeyPattern = () => tenantKey(ANY_TENANT, 'meta')
/** The tenant id of a `tenantMetaKey`, or undefined for any other key. */
export const tenantOfMetaKey = (key: string) => /^t:\{([^}]+)\}:meta$/.exec(key)?.[1]
/** True for a connection record, false for its refresh lock, which shares the pattern. */
export const isConnectionKey = (key: string) => /^t:\{[^}]+\}:conn:[^:]+:[^:]+$/.test(key)

// Organisation connections (issue 22).

/**
 * Who may use the tenant's shared connections: field `<provider>:<user id>` holds
 * `<may send 0|1>|<daily limit or -1>|<email>`, field `<provider>:~limit` the organisation's
 * daily limit for that connection. One hash, so the send script reads access and both
 * limits in one call.
 */
export const sharedAccessKey = (tenantId: string) => tenantKey(tenantId, 'shared-access')
/** SMS parts sent through one connection on one UTC day: field `total` and `p:<user id>`. */
export const dailyPartsKey = (tenantId: string, member: string, day: string) =>
  tenantKey(tenantId, `parts:${member}:${day}`)
/** One connection's sent messages (a capped stream: who, when, to, parts, cost). */
export const sentMessagesKey = (tenantId: string, member: string) => tenantKey(tenantId, `sent:${member}`)
