import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { loadConfig } from '../src/config/config.js'
import { configErrors as errorsOf } from './helpers/config.js'
import { csrfFrom, signUp, startTestApp, type TestApp } from './helpers/app.js'

describe('mail configuration (issue 15)', () => {
  it('reads SMTP_URL, MAIL_FROM and SIGNUP, with defaults', () => {
    expect(loadConfig({}).mail).toEqual({ smtpUrl: undefined, from: 'Switchboard <no-reply@localhost>' })
    expect(loadConfig({}).signupOpen).toBe(true)
    const c = loadConfig({
      SMTP_URL: 'smtps://u:p@mail.example.test:465',
      MAIL_FROM: 'Ops <ops@example.test>',
      SIGNUP: 'closed',
    })
    expect(c.mail).toEqual({ smtpUrl: 'smtps://u:p@mail.example.test:465', from: 'Ops <ops@example.test>' })
    expect(c.signupOpen).toBe(false)
  })

  it('takes SMTP_URL from SMTP_URL_FILE (Docker secrets) and names every bad variable', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-mail-'))
    const file = path.join(dir, 'smtp_url')
    await writeFile(file, 'smtp://relay:secret@10.0.0.5:587\n')
    expect(loadConfig({ SMTP_URL_FILE: file }).mail.smtpUrl).toBe('smtp://relay:secret@10.0.0.5:587')
    expect(errorsOf({ SMTP_URL_FILE: path.join(dir, 'missing') })).toEqual([
      `SMTP_URL_FILE: cannot read ${path.join(dir, 'missing')} (ENOENT); is the secret mounted?`,
    ])
    expect(errorsOf({ SMTP_URL: 'http://mail', SIGNUP: 'maybe' })).toEqual([
      'SMTP_URL: expected smtp:// or smtps:// URL (credentials in it)',
      'SIGNUP: expected open or closed',
    ])
  })
})

describe('the sandbox outbox (issue 15)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ name: 'outbox', env: { SANDBOX: '1' } })
  })
  afterAll(() => t.close())

  it('catches every mail with the sandbox on and no SMTP_URL, and shows it newest first at /sandbox/mail', async () => {
    const { email } = await signUp(t.app, 'Outbox Org')
    for (let i = 0; i < 2; i++) {
      const agent = supertest.agent(t.app)
      const page = await agent.get('/forgot')
      await agent
        .post('/forgot')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email })
        .expect(200)
    }
    let html = ''
    for (let i = 0; i < 40 && (html.match(/Reset your Switchboard password/g) ?? []).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50))
      html = (await supertest(t.app).get('/sandbox/mail').expect(200)).text
    }
    const links = [...html.matchAll(/<a href="(http:\/\/switchboard\.test\/reset\/[^"]+)"/g)].map(
      (m) => m[1]!,
    )
    expect(links).toHaveLength(2)
    // Newest first: the first link shown is the one that works (a newer link retires the older).
    expect((await supertest(t.app).get(new URL(links[0]!).pathname)).status).toBe(200)
    expect((await supertest(t.app).get(new URL(links[1]!).pathname)).status).toBe(404)
  })

  it('is not there without the sandbox', async () => {
    const p = await startTestApp({ name: 'no-outbox', sandbox: t.sandbox })
    try {
      await supertest(p.app).get('/sandbox/mail').expect(404)
    } finally {
      await p.close()
    }
  })
})
