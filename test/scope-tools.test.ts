/**
 * Issue 16 item 3: every scope does something. Lookup, status, voice and
 * validate_for_voice each have a form on the sms77 card that goes through the Provider
 * interface to the sandbox, keeps what was typed on failure and names the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'scope-tools' })
})
afterAll(() => t.close())

const ALL = ['balance', 'journal', 'sms', 'lookup', 'status', 'voice', 'validate_for_voice']
const calls = (name: string) => t.sandbox.control.stats.sms77.apiCalls[name] ?? 0

async function connected(scopes = ALL): Promise<Agent> {
  const { agent } = await signUp(t.app)
  await connectSms77(t, agent, scopes)
  return agent
}

/** Posts a tool form and follows the redirect to the dashboard page that shows its outcome. */
async function submit(agent: Agent, path: string, form: Record<string, string>): Promise<string> {
  const res = await agent
    .post(path)
    .type('form')
    .send({ _csrf: await csrfOf(agent), ...form })
    .expect(303)
  expect(res.headers.location).toMatch(/^\/dashboard/)
  return (await agent.get('/dashboard').expect(200)).text
}

const unescape = (html: string) => html.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

describe('sms77 tools on the dashboard', () => {
  it('offers one working form per granted tool scope, and none for scopes not granted', async () => {
    const page = (await (await connected()).get('/dashboard').expect(200)).text
    for (const button of [
      'Look up number',
      'Get delivery report',
      'Send voice message',
      'Validate caller ID',
    ])
      expect(page).toContain(`>${button}</button>`)
    const few = (await (await connected(['balance'])).get('/dashboard').expect(200)).text
    expect(few).not.toContain('>Look up number</button>')
    expect(few).not.toContain('>Send voice message</button>')
  })

  it('looks up a number’s format, HLR, MNP and caller name, showing the fields people care about', async () => {
    const agent = await connected()
    const before = calls('lookup')
    let page = await submit(agent, '/connections/sms77/lookup', {
      number: '+49 176 12345678',
      kind: 'format',
    })
    expect(page).toMatch(/<strong>\+49 176 12345678<\/strong>: a valid number/)
    expect(page).toMatch(/<dt>Country<\/dt><dd>Germany<\/dd>/)
    expect(page).toMatch(/<dt>Network<\/dt><dd>[^<]+<\/dd>/)
    page = await submit(agent, '/connections/sms77/lookup', { number: '0049 176 12345678', kind: 'hlr' })
    expect(page).toMatch(/<dt>Reachable now<\/dt><dd>(yes|no)<\/dd>/)
    expect(page).toMatch(/<dt>Ported<\/dt><dd>(yes|no)<\/dd>/)
    page = await submit(agent, '/connections/sms77/lookup', { number: '+4917612345678', kind: 'mnp' })
    expect(page).toMatch(/<dt>Cost<\/dt><dd>0\.005 EUR<\/dd>/)
    page = await submit(agent, '/connections/sms77/lookup', { number: '+4917612345678', kind: 'cnam' })
    expect(page).toMatch(/<dt>Caller name<\/dt><dd>[A-Z]+ [A-Z]+<\/dd>/)
    expect(calls('lookup')).toBe(before + 4)
    // Shown once: the next page has the empty form again.
    expect((await agent.get('/dashboard').expect(200)).text).not.toContain('Caller name</dt>')
  })

  it('keeps an impossible number beside the form with the reason, and asks sms77 nothing', async () => {
    const agent = await connected()
    const before = calls('lookup')
    const page = unescape(await submit(agent, '/connections/sms77/lookup', { number: '+49 17', kind: 'hlr' }))
    expect(page).toContain('Not looked up: +49 17 is not a valid phone number')
    expect(page).toMatch(/name="number"[^>]*value="\+49 17"/)
    expect(page).toMatch(/<option value="hlr" selected>/)
    expect(calls('lookup')).toBe(before)
  })

  it('reports delivery of a sent message by id, and lists the latest messages with their status', async () => {
    const agent = await connected()
    await agent
      .post('/connections/sms77/sms')
      .type('form')
      .send({ _csrf: await csrfOf(agent), to: '+4917612345678', text: 'status test' })
      .expect(303)
    const sent = (await agent.get('/dashboard').expect(200)).text
    const id = /Message sent to \+4917612345678 with sms77 \(id ([^)]+)\)/.exec(sent)?.[1]
    expect(id).toBeTruthy()
    // The status panel's table lists it (journal granted too).
    expect(sent).toContain(`<td data-label="Message id">${id}</td>`)
    const page = await submit(agent, '/connections/sms77/status', { id: id! })
    expect(page).toMatch(new RegExp(`Message ${id}: <strong>[A-Z]+</strong>`))
    const unknown = unescape(await submit(agent, '/connections/sms77/status', { id: 'nosuchmessage42' }))
    expect(unknown).toContain('No report: sms77 knows no message with this id.')
    expect(unknown).toMatch(/name="id"[^>]*value="nosuchmessage42"/)
    const bad = unescape(await submit(agent, '/connections/sms77/status', { id: 'not an id; drop' }))
    expect(bad).toMatch(/No report: A message id has letters and digits only/)
  })

  it('sends a voice message and states its id, its cost and the balance after it', async () => {
    const agent = await connected()
    const before = calls('voice')
    const page = await submit(agent, '/connections/sms77/voice', {
      to: '+49 176 12345678',
      from: '',
      text: 'Your table is ready.',
    })
    expect(page).toMatch(
      /Voice message sent to \+4917612345678 \(id [^)]+\), cost 0\.045 EUR\. Balance now [\d,]+\.\d{2} EUR\./,
    )
    expect(calls('voice')).toBe(before + 1)
  })

  it('keeps a failed voice message as typed and names sms77 when it refuses', async () => {
    const agent = await connected()
    const empty = unescape(
      await submit(agent, '/connections/sms77/voice', { to: '+4917612345678', text: ' ' }),
    )
    expect(empty).toContain('Not sent: Enter the text to be read out.')
    expect(empty).toMatch(/name="to"[^>]*value="\+4917612345678"/)
    t.sandbox.control.setFaults({ apiFails: true })
    try {
      const down = unescape(
        await submit(agent, '/connections/sms77/voice', {
          to: '+4917612345678',
          from: '',
          text: 'Hello there',
        }),
      )
      expect(down).toMatch(/Not sent: sms77 [^<]+/)
      expect(down).toContain('>Hello there</textarea>')
    } finally {
      t.sandbox.control.setFaults({ apiFails: false })
    }
  })

  it('starts a caller ID validation and shows the code to enter', async () => {
    const agent = await connected()
    const page = await submit(agent, '/connections/sms77/caller-id', { number: '+49 176 12345678' })
    expect(page).toMatch(
      /Validation of \+4917612345678 started: sms77 is calling that number now\. When asked, enter the code <strong class="code">\d{6}<\/strong>/,
    )
  })

  it('says clearly when the account was disconnected between page and submit, and calls nothing', async () => {
    const agent = await connected()
    const csrf = await csrfOf(agent)
    await agent.post('/disconnect/sms77').type('form').send({ _csrf: csrf }).expect(303)
    const before = calls('voice')
    await agent
      .post('/connections/sms77/voice')
      .type('form')
      .send({ _csrf: csrf, to: '+4917612345678', text: 'late' })
      .expect(303)
    const page = unescape((await agent.get('/dashboard').expect(200)).text)
    expect(page).toContain(
      'Not sent: Your sms77 account is no longer connected: connect it again to continue.',
    )
    expect(calls('voice')).toBe(before)
  })

  it('refuses a tool the grant does not allow (fewer scopes, or Nexmo) without calling the provider', async () => {
    const agent = await connected(['balance'])
    await connectNexmo(agent)
    const before = calls('lookup')
    let page = await submit(agent, '/connections/sms77/lookup', { number: '+4917612345678', kind: 'format' })
    expect(unescape(page)).toContain(
      'Not looked up: This sms77 connection does not allow number lookups; ask for more permissions below.',
    )
    page = await submit(agent, '/connections/nexmo/voice', { to: '+4917612345678', text: 'hi' })
    expect(unescape(page)).toContain('Not sent: This Nexmo connection does not allow voice messages')
    expect(calls('lookup')).toBe(before)
  })
})
