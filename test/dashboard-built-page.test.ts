/**
 * A page that is built (nothing kept): each panel is rendered the moment its answer arrives,
 * so what is left after the slowest provider call is that panel, its card and the page, and
 * the page put together from those pieces is the page the templates render whole. The
 * profile's kept read starts beside the record's read when the page's state says the
 * connection exists, so its provider call is the first to leave.
 */
import diagnostics from 'node:diagnostics_channel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PanelModel } from '../src/dashboard/card-model.js'
import { DashboardService } from '../src/dashboard/dashboard-service.js'
import type { Provider } from '../src/providers/types.js'
import { keptReadKey } from '../src/redis/keys.js'
import { csrfFrom, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  // Nothing kept: every page is built from the provider's answers.
  t = await startTestApp({ name: 'built-page', deps: { panelCacheTtlSec: 0 } })
})
afterAll(() => t.close())

/** Every scope the sandbox grants: a chart, tables, stats and the Send SMS form. */
const allScopes = () => t.services.providers.get('sms77').scopes.map((s) => s.name)

async function connectedUser() {
  const u = await signUp(t.app)
  await connectSms77(t, u.agent, allScopes())
  const user = (await t.services.users.findForLogin(u.email))!.user
  return { ...u, user }
}

describe('a built dashboard', () => {
  it('is the page the templates render whole, though its panels were rendered one by one', async () => {
    const u = await connectedUser()
    // Shows (and so removes) the message of the connect.
    await u.agent.get('/dashboard').expect(200)
    // Another address of the page takes the normal chain: res.render of the whole template.
    const whole = await u.agent.get('/dashboard?from=mail').expect(200)
    const built = await u.agent.get('/dashboard').expect(200)
    expect(csrfFrom(built.text)).toBe(csrfFrom(whole.text))
    // Every kind of panel is on it, so each was rendered alone and put in its card.
    for (const kind of ['class="chart"', '<table>', 'class="send-sms"', 'class="stat-big"'])
      expect(built.text).toContain(kind)
    expect(built.text).toBe(whole.text)
  })

  it('puts both cards in their own places when both providers are connected', async () => {
    // Each connected card's tail is rendered from its own record while the answers are
    // awaited, and the page around them before either card is done.
    const u = await connectedUser()
    await connectNexmo(u.agent)
    await u.agent.get('/dashboard').expect(200)
    const whole = await u.agent.get('/dashboard?from=mail').expect(200)
    const built = await u.agent.get('/dashboard').expect(200)
    expect(built.text.match(/action="\/disconnect\/(sms77|nexmo)"/g)).toEqual([
      'action="/disconnect/sms77"',
      'action="/disconnect/nexmo"',
    ])
    expect(built.text).toBe(whole.text)
  })

  it('renders a panel as soon as its answer arrives, before the slowest provider call has ended', async () => {
    const u = await connectedUser()
    const ends: number[] = []
    const stop = t.services.http.observe(() => ends.push(performance.now()))
    const rendered: { id: string; at: number }[] = []
    const dashboard = new DashboardService(t.services)
    // Each provider answer 30 ms late, one after another: the sandbox answers in turn.
    t.sandbox.control.setFaults({ apiLatencyMs: 30 })
    try {
      const render = (_p: Provider, panel: PanelModel) => {
        rendered.push({ id: panel.id, at: performance.now() })
        return `<p>${panel.id}</p>`
      }
      const cards = await Promise.all(dashboard.buildEach(u.user, { render }))
      const sms77 = cards.find((c) => c.card.provider.id === 'sms77')!.card
      if (sms77.state !== 'connected') throw new Error(`sms77 card is ${sms77.state}`)
      // Every panel carries the HTML rendered for it.
      expect(sms77.panels.map((p) => p.html)).toEqual(sms77.panels.map((p) => `<p>${p.id}</p>`))
      expect(ends.length).toBeGreaterThan(2)
      // A panel whose answer came early was rendered while later calls were still out (a
      // form that calls nobody is rendered before any answer, so it does not count).
      const [firstCall, lastCall] = [Math.min(...ends), Math.max(...ends)]
      expect(rendered.filter((r) => r.at > firstCall && r.at < lastCall).length).toBeGreaterThan(0)
      expect(rendered.map((r) => r.id).sort()).toEqual(sms77.panels.map((p) => p.id).sort())
    } finally {
      stop()
      t.sandbox.control.setFaults({ apiLatencyMs: 0 })
    }
  })

  it('sends the profile read first when the state says the connection exists', async () => {
    const u = await connectedUser()
    const dashboard = new DashboardService(t.services)
    // The order undici made the requests in (its own channel, in order): start times worked
    // out afterwards from each call's duration could swap calls made microseconds apart.
    const made: string[] = []
    const onCreate = (m: unknown) => made.push((m as { request: { path: string } }).request.path)
    diagnostics.subscribe('undici:request:create', onCreate)
    try {
      await Promise.all(dashboard.buildEach(u.user, { present: (id) => id === 'sms77' }))
      expect(made.length).toBeGreaterThan(2)
      expect(made[0]).toMatch(/\/oauth\/me(\?|$)/)
    } finally {
      diagnostics.unsubscribe('undici:request:create', onCreate)
    }
  })

  it('a connection gone between the state and the record: its card is not connected, nothing called, nothing held', async () => {
    const u = await signUp(t.app)
    const user = (await t.services.users.findForLogin(u.email))!.user
    const ref = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
    const me = t.sandbox.control.stats.sms77.meCalls
    const dashboard = new DashboardService(t.services)
    // The state said it exists (a disconnect came after it): the early read finds no record.
    const cards = await Promise.all(dashboard.buildEach(user, { present: () => true }))
    expect(cards.find((c) => c.card.provider.id === 'sms77')!.card.state).toBe('disconnected')
    // The early read gives up its lock (it fails on the missing record, out of the page's way).
    for (let i = 0; i < 100 && (await t.redis.exists(keptReadKey(ref, ':lock'))); i++)
      await new Promise((r) => setTimeout(r, 10))
    expect(await t.redis.exists(keptReadKey(ref, ':lock'))).toBe(0)
    expect((await t.services.kept.peek(ref)).read).toBeUndefined()
    expect(t.sandbox.control.stats.sms77.meCalls).toBe(me)
  })
})
