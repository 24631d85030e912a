import { createHash, timingSafeEqual } from 'node:crypto'
import type { Request } from 'express'
import type { Sms77SandboxOptions } from '../../types.js'
import { TokenError } from './token-error.js'

export type ClientAuthMethod = 'basic' | 'body' | 'none'

interface Presented {
  method: ClientAuthMethod
  clientId: string | undefined
  clientSecret: string | undefined
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic's base64.
function formDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '))
}

function fromBasic(header: string): Presented {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) throw new TokenError('invalid_client', 'The client credentials are invalid')
  try {
    return {
      method: 'basic',
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
    }
  } catch {
    throw new TokenError('invalid_client', 'The client credentials are invalid')
  }
}

/** HTTP Basic wins when present (as in bshaffer's HttpBasic); otherwise the body pair. */
export function presentedCredentials(req: Request, body: Record<string, string | undefined>): Presented {
  const header = req.get('authorization') ?? ''
  if (/^basic /i.test(header)) return fromBasic(header)
  if (body.client_secret !== undefined) {
    return { method: 'body', clientId: body.client_id, clientSecret: body.client_secret }
  }
  return { method: 'none', clientId: body.client_id, clientSecret: undefined }
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(a), digest(b))
}

/** Every sandbox client is confidential, so a request without a secret is refused. */
export function authenticateClient(p: Presented, options: Sms77SandboxOptions): string {
  if (!p.clientId) {
    throw new TokenError('invalid_client', 'Client credentials were not found in the headers or body')
  }
  if (p.clientSecret === undefined) {
    throw new TokenError(
      'invalid_client',
      'This client is invalid or must authenticate using a client secret',
    )
  }
  const client = options.clients.find((c) => c.id === p.clientId)
  if (!client || !sameSecret(client.secret, p.clientSecret)) {
    throw new TokenError('invalid_client', 'The client credentials are invalid')
  }
  return client.id
}
