import { parseBalance, PROVIDER_CURRENCY } from '../money.js'
import {
  LOOKUP_KINDS,
  type CallContext,
  type Money,
  type PanelDef,
  type PanelView,
  type ToolName,
} from '../types.js'
import { sms77Error } from './errors.js'
import { timeCell } from '../provider-time.js'
import { callGateway, gatewayJson, type Gateway } from './gateway.js'
import { SMS77_SCOPES } from './scopes.js'
import { statusPanel } from './tools.js'
import { clip, isoDay, num, price, rows, str } from './panel-values.js'

/** One read-only view per granted scope; each loads and fails on its own. */
type PanelLoader = (gw: Gateway, ctx: CallContext) => Promise<PanelView>

const token = (ctx: CallContext) => ctx.grant.secrets.accessToken

export async function loadBalance(gw: Gateway, ctx: CallContext): Promise<Money> {
  const res = await callGateway(gw, token(ctx), { method: 'GET', path: '/balance' })
  let value: unknown = res.body
  try {
    value = JSON.parse(res.body)
  } catch {
    // The legacy gateway answers a bare float as text.
  }
  const money = parseBalance(value)
  if (!money) throw sms77Error({ kind: 'unreadable', what: 'balance' })
  return money
}

const balanceStats = ({ balance }: { balance?: Money }): PanelView | undefined =>
  balance && { kind: 'stats', items: [{ label: 'Balance', value: balance }] }

const LOADERS: Record<string, PanelLoader> = {
  async balance(gw, ctx) {
    return balanceStats({ balance: await loadBalance(gw, ctx) })!
  },
  async analytics(gw, ctx) {
    const end = new Date()
    const start = new Date(end.getTime() - 29 * 86_400_000)
    const data = await gatewayJson(gw, token(ctx), {
      method: 'GET',
      path: '/analytics',
      query: { group_by: 'date', start: isoDay(start), end: isoDay(end) },
    })
    const points = rows(data).map((r) => ({
      label: str(r.date ?? r.label ?? r.country),
      // Reports before 2022 split `sms` into `economy` and `direct`.
      messages: num(r.sms) + num(r.economy) + num(r.direct),
      cost: num(r.usage_eur),
    }))
    return { kind: 'chart', title: 'Messages and cost, last 30 days', points, currency: PROVIDER_CURRENCY }
  },
  async pricing(gw, ctx) {
    const data = (await gatewayJson(gw, token(ctx), {
      method: 'GET',
      path: '/pricing',
      query: { country: 'de', format: 'json' },
    })) as Record<string, unknown>
    const countries = rows(data, 'countries')
    const table = countries.flatMap((c) =>
      rows(c, 'networks').map((n) => [
        str(c.countryName),
        str(n.networkName),
        str(n.mcc),
        { amount: num(n.price), currency: PROVIDER_CURRENCY },
      ]),
    )
    return {
      kind: 'table',
      columns: ['Country', 'Network', 'MCC', 'Price per SMS'],
      rows: table.slice(0, 20),
      empty: 'No prices listed.',
    }
  },
  async journal(gw, ctx) {
    const data = await gatewayJson(gw, token(ctx), {
      method: 'GET',
      path: '/journal',
      query: { type: 'outbound', limit: '10' },
    })
    const table = rows(data)
      .slice(0, 10)
      .map((r) => [timeCell(r.timestamp), str(r.to), clip(str(r.text), 80), price(r.price)])
    return {
      kind: 'table',
      columns: ['Sent', 'To', 'Text', 'Price'],
      rows: table,
      empty: 'No messages sent yet.',
    }
  },
  async contacts(gw, ctx) {
    const data = await gatewayJson(gw, token(ctx), {
      method: 'GET',
      path: '/contacts',
      query: { action: 'read', json: '1' },
    })
    const list = Array.isArray(data) ? rows(data) : rows(data, 'data')
    const table = list
      .slice(0, 20)
      .map((r) => [
        str(r.Name ?? r.nick ?? r.name ?? r.properties),
        str(r.Number ?? r.number ?? r.mobile_number),
      ])
    return { kind: 'table', columns: ['Name', 'Number'], rows: table, empty: 'No contacts yet.' }
  },
  async hooks(gw, ctx) {
    const data = await gatewayJson(gw, token(ctx), {
      method: 'GET',
      path: '/hooks',
      query: { action: 'read' },
    })
    const table = rows(data, 'hooks').map((h) => [
      str(h.event_type),
      str(h.target_url),
      str(h.request_method),
      timeCell(h.created),
    ])
    return {
      kind: 'table',
      columns: ['Event', 'Target URL', 'Method', 'Created'],
      rows: table,
      empty: 'No webhooks configured.',
    }
  },
  async subaccounts(gw, ctx) {
    const data = await gatewayJson(gw, token(ctx), {
      method: 'GET',
      path: '/subaccounts',
      query: { action: 'read' },
    })
    // A balance is money (two decimals, the reader's format), not the provider's text (`125.0000`).
    const table = rows(data).map((s) => [str(s.username), str(s.company), price(s.balance)])
    return {
      kind: 'table',
      columns: ['Username', 'Company', 'Balance'],
      rows: table,
      empty: 'No subaccounts.',
    }
  },
}

// Scopes whose endpoints change something or cost money: a form, used only when asked.
const TOOL_VIEWS: Record<string, PanelView> = {
  lookup: { kind: 'lookup', kinds: [...LOOKUP_KINDS] },
  voice: {
    kind: 'voice',
    senderHint: 'A number validated under Voice caller IDs, or empty for sms77’s own number',
  },
  validate_for_voice: { kind: 'caller_id' },
}

const TOOL_OF: Record<string, ToolName> = {
  lookup: 'lookup',
  voice: 'sendVoice',
  validate_for_voice: 'validateCallerId',
}

// Short panel titles; the scope's own meaning stays on the consent checkboxes.
const TITLES: Record<string, string> = {
  analytics: 'Statistics',
  balance: 'Balance',
  contacts: 'Contacts',
  hooks: 'Webhooks',
  journal: 'Recent messages',
  lookup: 'Number lookup',
  pricing: 'Prices in Germany',
  status: 'Delivery reports',
  subaccounts: 'Subaccounts',
  validate_for_voice: 'Voice caller IDs',
  voice: 'Voice messages',
}

export function sms77Panels(gw: Gateway, scopes: string[]): PanelDef[] {
  return SMS77_SCOPES.filter((s) => scopes.includes(s.name)).map((s) => {
    const loader = LOADERS[s.name]
    const title = TITLES[s.name] ?? s.meaning
    if (s.name === 'balance')
      // /me carries the balance on every grant (PROVIDERS.md §1): the panel shows the kept read's.
      return { id: s.name, title, scope: s.name, load: (ctx) => loader!(gw, ctx), fromProfile: balanceStats }
    if (loader) return { id: s.name, title, scope: s.name, load: (ctx) => loader(gw, ctx) }
    if (s.name === 'sms')
      return {
        id: 'sms',
        title: 'Send SMS',
        scope: 'sms',
        offline: true,
        load: async () => ({ kind: 'send_sms', senderHint: 'Up to 11 letters or 16 digits' }),
      }
    if (s.name === 'status')
      return { id: s.name, title, scope: s.name, tool: 'deliveryStatus', load: (ctx) => statusPanel(gw, ctx) }
    const view: PanelView = TOOL_VIEWS[s.name] ?? { kind: 'note', text: 'Granted.' }
    const tool = TOOL_OF[s.name]
    return {
      id: s.name,
      title,
      scope: s.name,
      offline: true,
      ...(tool ? { tool } : {}),
      load: async () => view,
    }
  })
}
