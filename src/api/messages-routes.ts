import { Router } from 'express'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { AppError } from '../errors/app-error.js'
import { parseInput } from '../http/validate.js'
import { checkScope, principalOf } from './authenticate.js'
import { connectionInTenant } from './connections-routes.js'
import type { z } from 'zod'
import type { ApiPrincipal } from '../api-keys/key-store.js'
import { connectionIdOf, type ApiConnectionRef, type ConnectionDirectory } from './directory.js'
import { digest, type IdempotencyStore, type StoredAnswer } from './idempotency.js'
import { parseE164 } from '../phone/e164.js'
import { Message, MessageRequest, SentMessageList, SentQuery, type MessageView } from './schemas.js'
import type { Money, SmsMessage, SmsResult } from '../providers/types.js'

/**
 * The one send path (connections/message-sender.ts, wired in src/api-deps.ts): daily limits
 * of shared connections, the provider call through the lifecycle, and who sent it. MCP's
 * send_sms goes the same way.
 */
export interface MessageSending {
  send(
    ref: ApiConnectionRef,
    sender: { kind: 'api_key'; keyId: string; name: string },
    message: SmsMessage,
  ): Promise<{ result: SmsResult; parts: number; sentBy: string }>
  list(
    ref: ApiConnectionRef,
    page: { cursor?: string; count: number },
  ): Promise<{
    messages: {
      id: string
      at: number
      sentBy: string
      senderKind: 'person' | 'api_key'
      to: string
      parts: number
      cost: Money | null
    }[]
    next: string | null
  }>
  /** `+49•••••4567`. */
  mask(to: string): string
}

export interface MessagesRoutesDeps {
  directory: ConnectionDirectory
  lifecycle: ConnectionLifecycle
  idempotency: IdempotencyStore
  sending: MessageSending
  /** Tells the organisation (`message.sent`) once a message is accepted; never its text. */
  announceSent?: (ref: ApiConnectionRef, message: MessageView, sentBy: string) => void
}

function idempotencyKeyOf(header: string | undefined): string {
  const key = header?.trim()
  if (!key)
    throw new AppError(
      'idempotency_key_missing',
      'Send an `Idempotency-Key` header (1 to 255 characters, e.g. a UUID) with every message.',
      { status: 400 },
    )
  if (key.length > 255)
    throw new AppError(
      'idempotency_key_too_long',
      `The \`Idempotency-Key\` header may be at most 255 characters (e.g. a UUID); this one has ${key.length}.`,
      { status: 400 },
    )
  return key
}

/**
 * The one send path of the tenant API and the MCP server: one SMS through the connection,
 * exactly once per Idempotency-Key within the key's organisation (idempotency.ts).
 */
export async function sendMessage(
  {
    sending,
    idempotency,
    announceSent,
  }: Pick<MessagesRoutesDeps, 'sending' | 'idempotency' | 'announceSent'>,
  principal: ApiPrincipal,
  ref: ApiConnectionRef,
  idemKey: string,
  body: z.infer<typeof MessageRequest>,
): Promise<StoredAnswer & { replayed: boolean }> {
  const to = recipientOf(body.to)
  const id = connectionIdOf(ref)
  // The request as it will be sent: the same message in other spacing is the same request.
  const request = digest(JSON.stringify([id, to, body.text, body.from ?? null]))
  return idempotency.run(principal.tenantId, idemKey, request, async () => {
    const sender = { kind: 'api_key' as const, keyId: principal.keyId, name: principal.name }
    const sent = await sending.send(ref, sender, { to, text: body.text, from: body.from })
    const message = Message.parse({
      id: sent.result.messageId,
      provider: ref.provider,
      to,
      parts: sent.parts,
      cost: sent.result.price ?? null,
      status: 'accepted',
      sentBy: sent.sentBy,
    })
    announceSent?.(ref, message, sent.sentBy)
    return { status: 201, body: message }
  })
}

/**
 * `POST /connections/:id/messages`, for keys with the `send` scope: one SMS through the
 * connection, exactly once per Idempotency-Key (idempotency.ts).
 */
export function messagesRoutes(deps: MessagesRoutesDeps): Router {
  const { directory, sending } = deps
  const r = Router()

  r.post('/connections/:id/messages', async (req, res) => {
    const ref = await connectionInTenant(directory, res, String(req.params.id))
    checkScope(res, 'send')
    const idemKey = idempotencyKeyOf(req.get('idempotency-key'))
    const body = parseInput(MessageRequest, req.body)
    const answer = await sendMessage(deps, principalOf(res), ref, idemKey, body)
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true')
    res.status(answer.status).json(answer.body)
  })

  // Who sent what through the connection, newest first; the recipients masked.
  r.get('/connections/:id/messages', async (req, res) => {
    const ref = await connectionInTenant(directory, res, String(req.params.id))
    checkScope(res, 'read')
    const query = parseInput(SentQuery, req.query)
    const page = await sending.list(ref, { cursor: query.cursor, count: query.limit })
    const data = page.messages.map((m) => ({
      id: m.id,
      sentAt: new Date(m.at).toISOString(),
      sentBy: m.sentBy,
      senderType: m.senderKind,
      to: sending.mask(m.to),
      parts: m.parts,
      cost: m.cost,
    }))
    res.json(SentMessageList.parse({ data, next_cursor: page.next }))
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
