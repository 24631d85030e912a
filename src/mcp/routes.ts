import express, { Router, type RequestHandler } from 'express'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { ApiDeps } from '../api/routes.js'
import { authenticate, principalOf } from '../api/authenticate.js'
import { IdempotencyStore } from '../api/idempotency.js'
import { apiErrorHandler } from '../api/problem.js'
import { connectionIdOf, refOfId } from '../api/directory.js'
import { mcpServer } from './tools.js'

export type McpDeps = Pick<
  ApiDeps,
  | 'baseUrl'
  | 'redis'
  | 'logger'
  | 'keys'
  | 'directory'
  | 'lifecycle'
  | 'kept'
  | 'audit'
  | 'limits'
  | 'idempotency'
  | 'announceSent'
  | 'sending'
>

/** Stateless servers answer GET (a server-sent stream) and DELETE (end a session) with 405. */
const notAllowed: RequestHandler = (_req, res) => {
  res
    .status(405)
    .set('Allow', 'POST')
    .json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null })
}

/**
 * `POST /mcp`: a Model Context Protocol server over the Streamable HTTP transport, stateless
 * (a new server and transport per request, the SDK's pattern for servers behind a load
 * balancer: any instance answers any request). Authenticated and rate-limited per API key
 * exactly as the tenant API; each tool call is audited as `mcp.call` under the key's name.
 */
export function mcpRoutes(deps: McpDeps): Router {
  const idempotency = new IdempotencyStore(deps.redis, deps.idempotency)
  const r = Router()
  r.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store')
    next()
  })
  r.get('/', notAllowed)
  r.delete('/', notAllowed)
  r.post(
    '/',
    authenticate(deps.keys, deps.redis, deps.limits),
    express.json({ limit: '64kb', strict: true }),
    async (req, res) => {
      const principal = principalOf(res)
      const audit = ({
        tool,
        connectionId,
        outcome,
      }: {
        tool: string
        connectionId?: string
        outcome: string
      }) => {
        const ref = connectionId ? refOfId(principal.tenantId, connectionId) : null
        void deps.audit
          .record(principal.tenantId, {
            actorId: `api-key:${principal.keyId}`,
            actorEmail: `API key “${principal.name}”`,
            action: 'mcp.call',
            detail: `${tool} → ${outcome}${ref ? ` (connection ${connectionIdOf(ref)})` : ''}`,
            accounts: ref && outcome === 'ok' ? [`${ref.userId}:${ref.provider}`] : [],
          })
          .catch((err: unknown) => deps.logger.warn({ err }, 'mcp call not audited'))
      }
      const server = mcpServer(principal, { ...deps, idempotency, audit })
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      })
      res.on('close', () => {
        void transport.close()
        void server.close()
      })
      await server.connect(transport)
      await transport.handleRequest(req, res, req.body)
    },
  )
  r.use(apiErrorHandler(deps.baseUrl, deps.logger))
  return r
}
