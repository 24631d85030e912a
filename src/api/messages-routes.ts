import { Router } from 'express'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { AppError } from '../errors/app-error.js'
import { parseInput } from '../http/validate.js'
import { checkScope, principalOf } from './authenticate.js'
import { connectionInTenant } from './connections-routes.js'
import { connectionIdOf, type ConnectionDirectory } from './directory.js'
import { digest, type IdempotencyStore } from './idempotency.js'
import { parseE164 } from '../phone/e164.js'
import { Message, MessageRequest } from './schemas.js'

export interface MessagesRoutesDeps {
  directory: ConnectionDirectory
  lifecycle: ConnectionLifecycle
  idempotency: IdempotencyStore
}

function idempotencyKeyOf(header: string | undefined): string {
  const key = header?.trim()
  if (!key || key.length > 255)
    throw new AppError(
      'idempotency_key_missing',
      'Send an `Idempotency-Key` header (1 to 255 characters, e.g. a UUID) with every message.',
      { status: 400 },
    )
  return key
}

/**
 * `POST /connections/:id/messages`, for keys with the `send` scope: one SMS through the
 * connection, exactly once per Idempotency-Key (idempotency.ts).
 */
export function messagesRoutes({ directory, lifecycle, idempotency }: MessagesRoutesDeps): Router {
  const r = Router()

  r.post('/connections/:id/messages', async (req, res) => {
    const ref = await connectionInTenant(directory, res, String(req.params.id))
    checkScope(res, 'send')
    const idemKey = idempotencyKeyOf(req.get('idempotency-key'))
    const body = parseInput(MessageRequest, req.body)
    const to = recipientOf(body.to)
    const id = connectionIdOf(ref)
    // The request as it will be sent: the same message in other spacing is the same request.
    const request = digest(JSON.stringify([id, to, body.text, body.from ?? null]))
    const { keyId, tenantId } = principalOf(res)
    const answer = await idempotency.run({ tenantId, apiKeyId: keyId }, idemKey, request, async () => {
      const sent = await lifecycle.use(ref, (ctx, provider) =>
        provider.sendSms(ctx, { to, text: body.text, from: body.from }),
      )
      const message = Message.parse({
        id: sent.messageId,
        provider: ref.provider,
        to,
        parts: sent.parts ?? 1,
        cost: sent.price ?? null,
        status: 'accepted',
      })
      return { status: 201, body: message }
    })
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true')
    res.status(answer.status).json(answer.body)
  })
  return r
}

/** `to` as E.164 by the rule the dashboard uses too (phone/e164.ts), or a 422 problem naming the field. */
function recipientOf(input: string): string {
  const parsed = parseE164(input)
  if (parsed.ok) return parsed.number
  throw new AppError(
    'invalid_phone_number',
    parsed.problem === 'digits'
      ? '`to` has digits only, optionally starting with + (no letters, no extension).'
      : '`to` is not a valid international phone number; write it with its country code, e.g. +49 170 1234567.',
    { status: 422 },
  )
}
