import { z } from 'zod'
import { PROVIDER_IDS, type ProviderId } from '../providers/types.js'

/**
 * Every event Switchboard tells an organisation about, once: the webhook bodies, the events
 * feed (`GET /api/v1/events`) and the OpenAPI document's `webhooks:` are all this catalogue,
 * so a receiver reads the same shape wherever it comes from.
 */
export const EVENT_TYPES = [
  'connection.connected',
  'connection.needs_reconnect',
  'connection.recovered',
  'connection.disconnected',
  'balance.low',
  'balance.recovered',
  'message.sent',
  'test',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** The API's id of a connection: `<provider>_<user id>`, e.g. `sms77_5f0c…`. */
export function connectionIdOf(ref: { userId: string; provider: ProviderId }): string {
  return `${ref.provider}_${ref.userId}`
}

export const EventConnection = z.object({
  id: z.string().describe('The connection’s id in the tenant API.'),
  provider: z.enum(PROVIDER_IDS),
  owner: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('user'), email: z.string().nullable() }),
      z.object({ type: z.literal('organisation') }),
    ])
    .describe('Who owns the connection, as in the API: a person, or the organisation (a shared connection).'),
  user: z.object({
    email: z
      .string()
      .nullable()
      .describe(
        'A personal connection’s owner. For a shared connection, the person who acted (connected, ' +
          'disconnected or sent); null when no person did (a refresh, a check, an API key) or when not known.',
      ),
  }),
})

const EventMoney = z.object({ amount: z.number(), currency: z.string().length(3) })

const connectionOnly = z.object({ connection: EventConnection })

/** The `data` of each event type. */
export const EVENT_DATA = {
  'connection.connected': connectionOnly,
  'connection.needs_reconnect': z.object({
    connection: EventConnection,
    reason: z
      .string()
      .describe('Why: `grant_expired` (the refresh was refused), `access_revoked`, or another reason.'),
  }),
  'connection.recovered': connectionOnly,
  'connection.disconnected': z.object({
    connection: EventConnection,
    cause: z.enum(['user', 'user_removed']).describe('The owner disconnected, or the owner was removed.'),
  }),
  'balance.low': z.object({
    connection: EventConnection,
    balance: EventMoney,
    threshold: z.number().describe('The organisation’s low-balance threshold, in the same currency unit.'),
  }),
  'balance.recovered': z.object({ connection: EventConnection, balance: EventMoney, threshold: z.number() }),
  'message.sent': z.object({
    connection: EventConnection,
    message: z.object({
      id: z.string().describe('The provider’s message id.'),
      to: z.string().describe('E.164.'),
      parts: z.number().int().min(1),
      cost: EventMoney.nullable(),
    }),
    sentBy: z.string().describe('Who sent it: a person’s email or “API key <name>”.'),
  }),
  test: z.object({ message: z.string() }),
} as const satisfies Record<EventType, z.ZodObject>
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>

const DESCRIPTIONS: Record<EventType, string> = {
  'connection.connected': 'A connection was made (or made again after a disconnect).',
  'connection.needs_reconnect': 'A connection stopped working; its owner must reconnect it.',
  'connection.recovered': 'A connection that needed a reconnect (or was degraded) works again.',
  'connection.disconnected': 'A connection was disconnected and its grant revoked.',
  'balance.low': 'A balance fell below the organisation’s threshold (once per crossing).',
  'balance.recovered': 'A low balance is back at or above the threshold.',
  'message.sent': 'An SMS was accepted by the provider (dashboard, API or MCP); never its text.',
  test: 'Sent by **Send a test event** on /admin/credentials.',
}

/** One event as delivered (the webhook body) and listed: Standard Webhooks' `{type, timestamp, data}`. */
export function envelopeSchema<T extends EventType>(type: T) {
  return z.object({
    type: z.literal(type),
    timestamp: z.iso.datetime().describe('When it happened.'),
    data: EVENT_DATA[type],
  })
}

/** Each type's envelope, built once, so a registry can name it (the OpenAPI document's `webhooks:`). */
export const ENVELOPES = Object.fromEntries(EVENT_TYPES.map((t) => [t, envelopeSchema(t)])) as {
  [T in EventType]: ReturnType<typeof envelopeSchema<T>>
}

export function eventSchemaName(type: EventType): string {
  return `Event_${type.replace(/[._](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase())}`
}

export function describeEvent(type: EventType): string {
  return DESCRIPTIONS[type]
}

export interface TenantEvent<T extends EventType = EventType> {
  /** Stable for the event: the webhook-id of every delivery of it, and its id in the feed. */
  id: string
  type: T
  timestamp: string
  data: EventData<T>
}
