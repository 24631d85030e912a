import { z } from 'zod'
import {
  describeEvent,
  ENVELOPES,
  EVENT_TYPES,
  EventConnection,
  eventSchemaName,
  type EventType,
} from '../events/catalogue.js'
import { PROVIDER_IDS } from '../providers/types.js'
import { STATUS_REASONS } from '../providers/status.js'

/**
 * The tenant API's requests and answers, once: the routes parse with these and the
 * OpenAPI document (openapi.ts) is generated from these, so the two cannot drift.
 * Each named schema is registered under the name it has in `components.schemas`.
 */
export const apiSchemas = z.registry<{ id: string; description?: string }>()

export const Money = z.object({
  amount: z.number().describe('In the currency’s main unit (euros, not cents).'),
  currency: z.string().length(3).describe('ISO 4217 code.'),
})
apiSchemas.add(Money, { id: 'Money' })

export const Balance = z.object({
  amount: z.number(),
  currency: z.string().length(3),
  readAt: z.iso.datetime().describe('When the balance was read at the provider.'),
})
apiSchemas.add(Balance, { id: 'Balance' })

export const ConnectionStatus = z
  .enum(['connected', 'degraded', 'needs_reconnect'])
  .describe(
    '`connected` works; `degraded`: the provider is not answering, the last known data is shown and ' +
      'Switchboard tries again with back-off (30 s doubling to 60 min); `needs_reconnect`: the owner must reconnect.',
  )
export const StatusReason = z
  .enum(STATUS_REASONS)
  .nullable()
  .describe(
    'Why the connection is not `connected` (null when it is): `provider_unavailable` (degraded), ' +
      '`grant_expired` (the refresh was refused) or `access_revoked` (access was revoked at the provider).',
  )
export const ProviderName = z.enum(PROVIDER_IDS)

export const Owner = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('user'),
      email: z.string().nullable().describe('Null when the user has been removed.'),
    }),
    z.object({ type: z.literal('organisation') }),
  ])
  .describe('Who owns the connection: a person, or the organisation (a shared connection).')
apiSchemas.add(Owner, { id: 'Owner' })

export const Connection = z.object({
  id: z.string().describe('Stable for the life of the connection; opaque.'),
  owner: Owner,
  user: z.object({
    email: z
      .string()
      .nullable()
      .describe('The owner’s email; null when the user has been removed or the organisation owns it.'),
  }),
  provider: ProviderName,
  status: ConnectionStatus,
  statusReason: StatusReason,
  account: z.object({
    label: z.string().describe('The account’s name at the provider (email or company).'),
    name: z.string().nullable().describe('The owner’s own name for the connection; null when not named.'),
    company: z.string().nullable(),
  }),
  balance: Balance.nullable().describe(
    'In the list: the last balance Switchboard read (null if never). For one connection: read now, ' +
      'or the last one read while the connection is `degraded`.',
  ),
})
apiSchemas.add(Connection, { id: 'Connection' })

export const ConnectionList = z.object({
  data: z.array(Connection),
  next_cursor: z
    .string()
    .nullable()
    .describe('Pass as `cursor` for the next page; null on the last page. A page may be short.'),
})
apiSchemas.add(ConnectionList, { id: 'ConnectionList' })

export const ListQuery = z.object({
  cursor: z.string().max(512).optional().describe('The `next_cursor` of the previous page.'),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Page size, 1 to 100.'),
  provider: ProviderName.optional().describe('Only connections to this provider.'),
  status: ConnectionStatus.optional().describe('Only connections in this status.'),
})

export const MessageRequest = z.object({
  to: z
    .string()
    .min(3)
    .max(32)
    .describe('The recipient in international format, e.g. `+49 170 1234567`; answered in E.164.'),
  text: z.string().min(1).max(1520),
  from: z.string().min(1).max(16).optional().describe('Sender: up to 11 letters and digits, or a number.'),
})
apiSchemas.add(MessageRequest, { id: 'MessageRequest' })

export const Message = z.object({
  id: z.string().describe('The provider’s message id.'),
  provider: ProviderName,
  to: z
    .string()
    .regex(/^\+[1-9]\d{1,14}$/)
    .describe('E.164.'),
  parts: z.number().int().min(1).describe('SMS parts the text was split into.'),
  cost: Money.nullable().describe('Total cost of all parts; null when the provider did not say.'),
  status: z.enum(['accepted']).describe('The provider accepted the message for delivery.'),
  sentBy: z.string().describe('Who sent it: the API key’s name (or, in the list, the person’s email).'),
})
apiSchemas.add(Message, { id: 'Message' })

export const SentMessage = z.object({
  id: z.string().describe('The message’s place in the connection’s list (opaque).'),
  sentAt: z.iso.datetime(),
  sentBy: z.string().describe('The person’s email or the API key’s name.'),
  senderType: z.enum(['person', 'api_key']),
  to: z.string().describe('The recipient, masked (`+49•••••4567`).'),
  parts: z.number().int().min(0),
  cost: Money.nullable(),
})
apiSchemas.add(SentMessage, { id: 'SentMessage' })

export const SentMessageList = z.object({
  data: z.array(SentMessage),
  next_cursor: z
    .string()
    .nullable()
    .describe('Pass as `cursor` for the next (older) page; null on the last page.'),
})
apiSchemas.add(SentMessageList, { id: 'SentMessageList' })

export const SentQuery = z.object({
  cursor: z
    .string()
    .regex(/^\d{1,20}-\d{1,20}$/, 'not a cursor this API gave out')
    .optional()
    .describe('The `next_cursor` of the previous page.'),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Page size, 1 to 100.'),
})

export const Problem = z.object({
  type: z.url().describe('Stable per kind of problem; documented on /api/docs.'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string().describe('The last part of `type`, for switch statements.'),
  errors: z
    .array(
      z.object({
        field: z.string().describe('The field, query parameter or header, e.g. `text` or `limit`.'),
        rule: z.enum(['required', 'type', 'min', 'max', 'format', 'one_of', 'unknown_field', 'invalid']),
        limit: z
          .union([z.number(), z.array(z.string())])
          .optional()
          .describe(
            'The bound of `min`/`max` (characters, items or value), or the allowed values of `one_of`.',
          ),
        message: z.string().describe('The same in words, e.g. `text: at most 1520 characters`.'),
      }),
    )
    .optional()
    .describe('With `validation_failed`: every field that is not right.'),
})
apiSchemas.add(Problem, { id: 'Problem' })

apiSchemas.add(EventConnection, { id: 'EventConnection' })
for (const type of EVENT_TYPES)
  apiSchemas.add(ENVELOPES[type], { id: eventSchemaName(type), description: describeEvent(type) })

const eventWithId = <T extends EventType>(type: T) =>
  ENVELOPES[type].extend({
    id: z.string().describe('The event’s id: the `webhook-id` of every delivery of it. Deduplicate on it.'),
  })
const [firstEvent, ...otherEvents] = EVENT_TYPES.map(eventWithId)

export const FeedEvent = z.discriminatedUnion('type', [firstEvent!, ...otherEvents])
apiSchemas.add(FeedEvent, { id: 'FeedEvent' })

export const EventList = z.object({
  data: z.array(FeedEvent).describe('Oldest first.'),
  next_cursor: z
    .string()
    .nullable()
    .describe(
      'Where to continue, also after the last page (poll with it); null only when there were no events.',
    ),
  has_more: z.boolean().describe('True when another page follows right away.'),
})
apiSchemas.add(EventList, { id: 'EventList' })

export const EventsQuery = z.object({
  cursor: z
    .string()
    .max(64)
    .optional()
    .describe('The `next_cursor` of the previous page; none: 30 days ago.'),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Page size, 1 to 100.'),
})

export type ConnectionView = z.infer<typeof Connection>
export type MessageView = z.infer<typeof Message>
