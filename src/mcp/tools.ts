import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import { z } from 'zod'
import type { ApiPrincipal, ApiScope } from '../api-keys/key-store.js'
import { findConnection, listConnections } from '../api/connections-routes.js'
import { readConnection } from '../api/kept-connection.js'
import type { ApiConnectionRef, ConnectionDirectory } from '../api/directory.js'
import type { IdempotencyStore } from '../api/idempotency.js'
import { sendMessage, type MessageSending } from '../api/messages-routes.js'
import {
  Balance,
  ConnectionList,
  ListQuery,
  Message,
  MessageRequest,
  type MessageView,
} from '../api/schemas.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { KeptRead } from '../connections/kept-read.js'
import { AppError } from '../errors/app-error.js'
import { toAppError } from '../http/error-handler.js'

export interface ToolDeps {
  directory: ConnectionDirectory
  lifecycle: ConnectionLifecycle
  kept: KeptRead
  idempotency: IdempotencyStore
  /** The one send path (daily limits and who sent it: connections/message-sender.ts). */
  sending: MessageSending
  announceSent?: (ref: ApiConnectionRef, message: MessageView, sentBy: string) => void
  /** Called once per tool call with its outcome, for the audit log. */
  audit: (call: { tool: string; connectionId?: string; outcome: string }) => void
}

const connectionId = z
  .string()
  .min(1)
  .max(100)
  .describe('A connection id from list_connections, e.g. `sms77_5f0c…`.')

const SendInput = {
  connection_id: connectionId,
  to: MessageRequest.shape.to,
  text: MessageRequest.shape.text,
  from: MessageRequest.shape.from,
  idempotency_key: z
    .string()
    .min(1)
    .max(255)
    .describe(
      'Unique per message (e.g. a UUID). Calling again with the same key and the same message ' +
        'answers the first result and sends nothing; the key is shared with the REST API across ' +
        'all of the organisation’s keys for 24 hours.',
    ),
}

/** The same fields the REST API answers, as structured content and as JSON text. */
function answer(value: Record<string, unknown>): CallToolResult {
  return { structuredContent: value, content: [{ type: 'text', text: JSON.stringify(value) }] }
}

/** A refusal: the API's own user-facing message, never an internal cause. */
function refusal(err: unknown): CallToolResult & { code: string } {
  const e = toAppError(err)
  const message = e.expose ? e.message : 'Something went wrong on our side; try again later.'
  return { isError: true, content: [{ type: 'text', text: message }], code: e.code }
}

function checkScope(principal: ApiPrincipal, scope: ApiScope): void {
  if (!principal.scopes.includes(scope))
    throw new AppError('insufficient_scope', `This API key lacks the \`${scope}\` scope.`, { status: 403 })
}

/**
 * One JSON Schema validator for every request's server: by default each server builds an Ajv
 * of its own (formats, keywords), which was most of a tool call's CPU. The SDK uses it only to
 * check what a client answers to an elicitation, which these tools never ask for.
 */
const VALIDATOR = new AjvJsonSchemaValidator()

/**
 * The MCP server of one request, for one API key: the three tools call exactly what the
 * REST routes call (tenant scoping, scopes, the one send path with its idempotency), so
 * every rule of the API holds for an agent too.
 */
export function mcpServer(principal: ApiPrincipal, deps: ToolDeps): McpServer {
  const server = new McpServer({ name: 'switchboard', version: '1.0.0' }, { jsonSchemaValidator: VALIDATOR })
  const { directory, kept } = deps

  const run = async (
    tool: string,
    id: string | undefined,
    work: () => Promise<Record<string, unknown>>,
  ): Promise<CallToolResult> => {
    try {
      const value = await work()
      deps.audit({ tool, connectionId: id, outcome: 'ok' })
      return answer(value)
    } catch (err) {
      const result = refusal(err)
      deps.audit({ tool, connectionId: id, outcome: `refused (${result.code})` })
      const { code: _code, ...rest } = result
      return rest
    }
  }

  server.registerTool(
    'list_connections',
    {
      title: 'List connections',
      description:
        'The organisation’s connected SMS accounts, oldest first: id, owner, provider, status, ' +
        'account and the last balance read. Pass next_cursor as cursor for the next page.',
      inputSchema: ListQuery.shape,
      outputSchema: ConnectionList.shape,
      annotations: { readOnlyHint: true },
    },
    (args) =>
      run('list_connections', undefined, async () => {
        checkScope(principal, 'read')
        return listConnections({ directory, kept }, principal.tenantId, ListQuery.parse(args))
      }),
  )

  server.registerTool(
    'get_balance',
    {
      title: 'Get balance',
      description: 'The connection’s balance, at most 30 s old (`readAt` says when the provider was read).',
      inputSchema: { connection_id: connectionId },
      outputSchema: Balance.shape,
      annotations: { readOnlyHint: true },
    },
    ({ connection_id }) =>
      run('get_balance', connection_id, async () => {
        const ref = await findConnection(directory, principal.tenantId, connection_id)
        checkScope(principal, 'read')
        const view = await readConnection({ directory, kept }, ref)
        return Balance.parse(view.balance)
      }),
  )

  server.registerTool(
    'send_sms',
    {
      title: 'Send SMS',
      description:
        'Sends one SMS through the connection, exactly once per idempotency_key (needs the key’s ' +
        '`send` scope). Answers the message: provider id, E.164 number, parts and total cost.',
      inputSchema: SendInput,
      outputSchema: Message.shape,
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    ({ connection_id, idempotency_key, ...message }) =>
      run('send_sms', connection_id, async () => {
        const ref = await findConnection(directory, principal.tenantId, connection_id)
        checkScope(principal, 'send')
        const body = MessageRequest.parse(message)
        const sent = await sendMessage(deps, principal, ref, idempotency_key, body)
        return sent.body as Record<string, unknown>
      }),
  )
  return server
}
