import { ReadQuery } from './kept-connection.js'
import { z } from 'zod'
import { PROBLEMS, problemType, type ProblemName } from './problem.js'
import { webhooks } from './openapi-webhooks.js'
import { apiSchemas, EventsQuery, ListQuery, SentQuery } from './schemas.js'

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate with
 * (schemas.ts) by zod's own JSON Schema output (draft 2020-12, OpenAPI 3.1's dialect).
 * Only the prose (summaries, which problems a route can answer) is written here.
 */
type Json = Record<string, unknown>

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (name: string) => ({ 'application/json': { schema: ref(name) } })

function componentSchemas(): Record<string, Json> {
  const { schemas } = z.toJSONSchema(apiSchemas, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  })
  // Inside an OpenAPI document the dialect is declared once (jsonSchemaDialect), and a
  // component is named by its place in the document, not by an $id of its own.
  return Object.fromEntries(
    Object.entries(schemas).map(([name, s]) => {
      const { $schema: _dialect, $id: _id, ...rest } = s as Json
      return [name, rest]
    }),
  )
}

function queryParameters(schema: z.ZodObject): Json[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const s = z.toJSONSchema(field as z.ZodType, { target: 'draft-2020-12', io: 'input' }) as Json
    const { $schema: _dialect, description, ...rest } = s
    return { name, in: 'query', required: false, description, schema: rest }
  })
}

function problems(baseUrl: string, names: ProblemName[]): Json {
  const byStatus = new Map<number, ProblemName[]>()
  for (const n of names) {
    const status = PROBLEMS[n].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), n])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, ns]) => [
      String(status),
      {
        description: ns.map((n) => `${PROBLEMS[n].title} (type ${problemType(baseUrl, n)})`).join('; '),
        content: { 'application/problem+json': { schema: ref('Problem') } },
        ...(status === 429 ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
      },
    ]),
  )
}

const COMMON: ProblemName[] = ['invalid_api_key', 'rate_limited', 'service_unavailable']

export function openApiDocument(baseUrl: string): Json {
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'A connection id from the list.',
    schema: { type: 'string' },
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Switchboard tenant API',
      version: '1.0.0',
      description:
        'Your organisation’s connected SMS accounts, for your own systems. Authenticate with ' +
        '`Authorization: Bearer <key>` (keys are made by admins on /admin/api-keys). Every key ' +
        'sees its own organisation only, has its own rate limit and is audited by name. Errors ' +
        'are RFC 9457 problem details.',
    },
    servers: [{ url: `${baseUrl}/api/v1` }],
    security: [{ apiKey: [] }],
    paths: {
      '/connections': {
        get: {
          operationId: 'listConnections',
          summary: 'List the organisation’s connections (scope read)',
          description: 'Oldest first, with the last balance Switchboard read. Cursor paging.',
          parameters: queryParameters(ListQuery),
          responses: {
            '200': { description: 'A page of connections.', content: json('ConnectionList') },
            ...problems(baseUrl, [...COMMON, 'validation_failed', 'insufficient_scope']),
          },
        },
      },
      '/connections/{id}': {
        get: {
          operationId: 'getConnection',
          summary: 'One connection, its balance at most 30 s old (scope read)',
          parameters: [idParam, ...queryParameters(ReadQuery)],
          responses: {
            '200': { description: 'The connection.', content: json('Connection') },
            ...problems(baseUrl, [
              ...COMMON,
              'insufficient_scope',
              'not_found',
              'needs_reconnect',
              'provider_problem',
            ]),
          },
        },
      },
      '/connections/{id}/messages': {
        get: {
          operationId: 'listMessages',
          summary: 'Messages sent through the connection and who sent them (scope read)',
          description:
            'Newest first: who sent each (a person’s email or an API key’s name), when, to whom ' +
            '(masked), how many parts and what it cost. Cursor paging.',
          parameters: [idParam, ...queryParameters(SentQuery)],
          responses: {
            '200': { description: 'A page of sent messages.', content: json('SentMessageList') },
            ...problems(baseUrl, [...COMMON, 'validation_failed', 'insufficient_scope', 'not_found']),
          },
        },
        post: {
          operationId: 'sendMessage',
          summary: 'Send one SMS through the connection, exactly once (scope send)',
          description:
            'The same Idempotency-Key with the same body answers the first result again and sends ' +
            'nothing (header `Idempotent-Replayed: true`); with another body, 422. A request made ' +
            'while one with the same key is running waits for its answer (up to 10 s), else 409. ' +
            'A failed send frees the key for a retry. Answers are kept 24 hours. Through a ' +
            'connection the organisation owns, the message’s SMS parts count against its daily ' +
            'limit (UTC day); past it, 429 `daily_limit_reached` and nothing is sent.',
          parameters: [
            idParam,
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description: 'Unique per message, e.g. a UUID; 1 to 255 characters.',
              schema: { type: 'string', minLength: 1, maxLength: 255 },
            },
          ],
          requestBody: { required: true, content: json('MessageRequest') },
          responses: {
            '201': { description: 'Accepted by the provider.', content: json('Message') },
            ...problems(baseUrl, [
              ...COMMON,
              'validation_failed',
              'insufficient_scope',
              'not_found',
              'needs_reconnect',
              'idempotency_key_missing',
              'idempotency_key_too_long',
              'idempotency_key_reused',
              'idempotency_in_progress',
              'invalid_phone_number',
              'daily_limit_reached',
              'provider_problem',
              'payload_too_large',
              'unsupported_media_type',
            ]),
          },
        },
      },
      '/events': {
        get: {
          operationId: 'listEvents',
          summary: 'The organisation’s events of the last 30 days (scope read)',
          description:
            'Oldest first, with the same ids (`webhook-id`) and bodies as the webhook deliveries, so a ' +
            'receiver that was down catches up here. `next_cursor` is where to continue, also after the ' +
            'last page: keep it and poll with it. Kept 30 days (and at most 20,000 events).',
          parameters: queryParameters(EventsQuery),
          responses: {
            '200': { description: 'A page of events.', content: json('EventList') },
            ...problems(baseUrl, [...COMMON, 'validation_failed', 'insufficient_scope']),
          },
        },
      },
    },
    webhooks: webhooks(),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, `sbk_…`.' },
      },
    },
  }
}
