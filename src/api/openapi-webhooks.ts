import { describeEvent, EVENT_TYPES, eventSchemaName } from '../events/catalogue.js'

/** OpenAPI 3.1's `webhooks` part of the document (openapi.ts): the signed deliveries, per event type. */
type Json = Record<string, unknown>

const json = (name: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } })

/** Standard Webhooks' three headers, on every delivery. */
const WEBHOOK_HEADERS = [
  [
    'webhook-id',
    'The event’s id: the same on every retry and resend, and in GET /events. Deduplicate on it.',
  ],
  ['webhook-timestamp', 'This attempt’s time, Unix seconds. Reject deliveries more than 5 minutes old.'],
  [
    'webhook-signature',
    'Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per valid signing secret ' +
      '(two for 24 hours after Rotate signing secret). Any one that matches is enough.',
  ],
].map(([name, description]) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string' },
}))

/** OpenAPI 3.1's `webhooks`: what Switchboard POSTs to the organisation's webhook URL, per event type. */
export function webhooks(): Json {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `webhook_${type.replace('.', '_')}`,
          summary: describeEvent(type),
          description:
            'Signed as Standard Webhooks asks (standardwebhooks.com): verify with any of its ' +
            'libraries and the `whsec_…` secret shown on /admin/credentials.',
          parameters: WEBHOOK_HEADERS,
          requestBody: { required: true, content: json(eventSchemaName(type)) },
          responses: {
            '2XX': {
              description: 'Received. Anything else, or no answer within 8 s, is retried with back-off.',
            },
          },
        },
      },
    ]),
  )
}
