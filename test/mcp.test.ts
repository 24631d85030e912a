import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey, smsSent, tenantWithConnections, type ApiTenant } from './helpers/api.js'

// The official SDK client, unchanged, against POST /mcp over real HTTP on a loopback port.
let t: TestApp
let a: ApiTenant
let b: ApiTenant
let server: http.Server
let url: URL
const clients: Client[] = []

beforeAll(async () => {
  t = await startTestApp({ name: 'mcp', deps: { api: { limits: { points: 60, durationSec: 60 } } } })
  a = await tenantWithConnections(t, 'Agent Co')
  b = await tenantWithConnections(t, 'Other Co')
  server = http.createServer(t.app)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`)
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  await t.close()
})

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  })
  await client.connect(transport)
  clients.push(client)
  return client
}

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult

const textOf = (r: CallToolResult) => (r.content[0] as { type: 'text'; text: string }).text

describe('MCP server', () => {
  it('lists the three tools with JSON-schema inputs and outputs', async () => {
    const client = await connect(a.key)
    const { tools } = await client.listTools()
    expect(tools.map((x) => x.name).sort()).toEqual(['get_balance', 'list_connections', 'send_sms'])
    const send = tools.find((x) => x.name === 'send_sms')!
    expect(send.inputSchema.required?.sort()).toEqual(['connection_id', 'idempotency_key', 'text', 'to'])
    expect(send.outputSchema?.properties).toHaveProperty('cost')
    expect(tools.find((x) => x.name === 'get_balance')!.inputSchema.required).toEqual(['connection_id'])
  })

  it('list_connections answers what GET /api/v1/connections answers, as structure and as text', async () => {
    const client = await connect(a.key)
    const result = await call(client, 'list_connections', {})
    expect(result.isError).toBeFalsy()
    const rest = await api(t.app, a.key).get('/api/v1/connections').expect(200)
    expect(result.structuredContent).toEqual(rest.body)
    expect(JSON.parse(textOf(result))).toEqual(rest.body)
    const ids = (result.structuredContent as { data: Array<{ id: string }> }).data.map((c) => c.id)
    expect(ids.sort()).toEqual([a.ids.nexmo, a.ids.sms77].sort())
    expect(textOf(result)).not.toMatch(/token|secret/i)
  })

  it('get_balance reads the balance through the kept read: at most 30 s old', async () => {
    const client = await connect(a.key)
    const start = Date.now() - 30_000
    const result = await call(client, 'get_balance', { connection_id: a.ids.sms77 })
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toEqual({
      amount: expect.any(Number),
      currency: 'EUR',
      readAt: expect.any(String),
    })
    const { readAt, amount } = result.structuredContent as { readAt: string; amount: number }
    expect(Date.parse(readAt)).toBeGreaterThanOrEqual(start)
    const rest = await api(t.app, a.key).get(`/api/v1/connections/${a.ids.sms77}`).expect(200)
    expect(rest.body.balance.amount).toBe(amount)
  })

  it('send_sms sends once for two calls with one idempotency key, the API’s answer both times', async () => {
    const client = await connect(a.key)
    const before = smsSent(t)
    const args = {
      connection_id: a.ids.sms77,
      to: '+49 170 1234567',
      text: 'From an agent',
      idempotency_key: 'mcp-1',
    }
    const [first, second] = await Promise.all([
      call(client, 'send_sms', args),
      call(client, 'send_sms', args),
    ])
    expect(first.isError).toBeFalsy()
    expect(first.structuredContent).toEqual({
      id: expect.any(String),
      provider: 'sms77',
      to: '+491701234567',
      parts: 1,
      cost: { amount: expect.any(Number), currency: 'EUR' },
      status: 'accepted',
      // Attributed like an API send: the key's name (organisation connections, issue 22).
      sentBy: expect.stringContaining('Agent Co'),
    })
    expect(second.structuredContent).toEqual(first.structuredContent)
    const third = await call(client, 'send_sms', args)
    expect(third.structuredContent).toEqual(first.structuredContent)
    expect(smsSent(t)).toBe(before + 1)
    // The same key through the REST API of the same organisation is the same message.
    const rest = await api(t.app, a.key)
      .post(`/api/v1/connections/${a.ids.sms77}/messages`)
      .set('Idempotency-Key', 'mcp-1')
      .send({ to: '+49 170 1234567', text: 'From an agent' })
      .expect(201)
    expect(rest.headers['idempotent-replayed']).toBe('true')
    expect(smsSent(t)).toBe(before + 1)
    const other = await call(client, 'send_sms', { ...args, text: 'Something else' })
    expect(other.isError).toBe(true)
    expect(textOf(other)).toMatch(/Idempotency-Key was first used with another request/)
    expect(smsSent(t)).toBe(before + 1)
  })

  it('sees nothing of another organisation: its ids are unknown, refusals are tool errors', async () => {
    const client = await connect(b.key)
    const before = smsSent(t)
    const list = await call(client, 'list_connections', {})
    const ids = (list.structuredContent as { data: Array<{ id: string }> }).data.map((c) => c.id)
    expect(ids).not.toContain(a.ids.sms77)
    for (const [tool, extra] of [
      ['get_balance', {}],
      ['send_sms', { to: '+491701234567', text: 'x', idempotency_key: 'foreign' }],
    ] as const) {
      const result = await call(client, tool, { connection_id: a.ids.sms77, ...extra })
      expect(result.isError).toBe(true)
      expect(textOf(result)).toBe('No such connection for this API key.')
    }
    expect(smsSent(t)).toBe(before)
  })

  it('needs the send scope to send, and a valid key to connect at all', async () => {
    const readOnly = await createApiKey(a.admin, 'reader agent', ['read'])
    const client = await connect(readOnly)
    const before = smsSent(t)
    const result = await call(client, 'send_sms', {
      connection_id: a.ids.sms77,
      to: '+491701234567',
      text: 'x',
      idempotency_key: 'no-scope',
    })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toBe('This API key lacks the `send` scope.')
    expect(smsSent(t)).toBe(before)
    await expect(connect('sbk_not-a-key')).rejects.toThrow(/401|Unauthorized|API key/)
    const bare = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    })
    expect(bare.status).toBe(401)
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })

  it('audits each tool call as mcp.call under the key’s name, never the text', async () => {
    const client = await connect(a.key)
    await call(client, 'send_sms', {
      connection_id: a.ids.nexmo,
      to: '+491701234567',
      text: 'private words',
      idempotency_key: 'audited',
    })
    await expect
      .poll(async () => (await a.admin.get('/admin/audit')).text, { timeout: 2000 })
      .toContain(`send_sms → ok (connection ${a.ids.nexmo})`)
    const audit = (await a.admin.get('/admin/audit')).text
    expect(audit).toContain('Used a tool over MCP')
    expect(audit).not.toContain('mcp.call')
    expect(audit).not.toContain('private words')
  })

  it('answers a bare JSON-RPC tools/call as in the README’s curl example', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${a.key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'get_balance', arguments: { connection_id: a.ids.nexmo } },
      }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { result: CallToolResult }
    expect(body.result.structuredContent).toMatchObject({ currency: 'EUR', amount: expect.any(Number) })
  })

  it('shares the API key’s rate limit: past it, the HTTP answer is 429 with Retry-After', async () => {
    const c = await tenantWithConnections(t, 'Busy Agent Co')
    const client = await connect(c.key)
    let error: unknown
    for (let i = 0; i < 70 && !error; i++)
      await call(client, 'list_connections', {}).catch((err: unknown) => (error = err))
    expect(String(error)).toMatch(/429/)
    const again = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${c.key}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})
