import express, { type Router } from 'express'
import { z } from 'zod'
import type { SandboxControl } from './types.js'

const ControlCommand = z.object({
  faults: z
    .object({
      apiLatencyMs: z.number().int().min(0).max(60_000),
      tokenLatencyMs: z.number().int().min(0).max(60_000),
      tokenFails: z.boolean(),
      apiFails: z.boolean(),
      failStatus: z.number().int().min(500).max(599),
      apiMalformed: z.boolean(),
      apiHangs: z.boolean(),
      revokeFails: z.boolean(),
    })
    .partial()
    .optional(),
  accessTokenTtlSec: z.number().int().min(1).max(86_400).optional(),
  refreshTokenTtlSec: z.number().int().min(1).max(31_536_000).optional(),
  requirePkce: z.boolean().optional(),
  action: z
    .enum([
      'expire_sms77_access_tokens',
      'revoke_sms77_refresh_tokens',
      'revoke_nexmo_access_tokens',
      'reset',
    ])
    .optional(),
})

/** A request from this machine: the socket's own peer address, never a forwarded header. */
export function fromLoopback(address: string | undefined): boolean {
  if (!address) return false
  const v4 = address.replace(/^::ffff:/i, '')
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}

/**
 * JSON control surface so a benchmark or another process can read stats and flip faults.
 * It revokes every token and breaks providers at will, so it answers only on loopback: a
 * dev server reachable from the local network (HOST=0.0.0.0) does not hand it to the network.
 */
export function controlRouter(control: SandboxControl): Router {
  const r = express.Router()
  r.use((req, res, next) => {
    if (fromLoopback(req.socket.remoteAddress)) next()
    else res.status(404).json({ error: 'not_found' })
  })
  r.get('/', (_req, res) => {
    res.json({ stats: control.stats, faults: control.faults })
  })
  r.post('/', express.json({ limit: '16kb' }), (req, res) => {
    const cmd = ControlCommand.safeParse(req.body)
    if (!cmd.success) {
      res.status(400).json({ error: 'invalid_request', issues: cmd.error.issues })
      return
    }
    if (cmd.data.faults) control.setFaults(cmd.data.faults)
    const sms77 = control.options.sms77
    if (cmd.data.accessTokenTtlSec) sms77.accessTokenTtlSec = cmd.data.accessTokenTtlSec
    if (cmd.data.refreshTokenTtlSec) sms77.refreshTokenTtlSec = cmd.data.refreshTokenTtlSec
    if (cmd.data.requirePkce !== undefined) sms77.requirePkce = cmd.data.requirePkce
    if (cmd.data.action === 'expire_sms77_access_tokens') control.expireSms77AccessTokens()
    if (cmd.data.action === 'revoke_sms77_refresh_tokens') control.revokeSms77RefreshTokens()
    if (cmd.data.action === 'revoke_nexmo_access_tokens') control.revokeNexmoAccessTokens()
    if (cmd.data.action === 'reset') control.reset()
    res.json({ stats: control.stats, faults: control.faults })
  })
  return r
}
