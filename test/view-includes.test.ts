/**
 * Templates compiled once render without file-system look-ups (issue 13): includes are
 * resolved when a template is read, to the file EJS itself would have picked.
 */
import fs from 'node:fs'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'view-includes' })
})
afterAll(() => t.close())

describe('view includes', () => {
  it('renders cached templates, includes and all, without asking the file system', async () => {
    const cached = await startTestApp({ name: 'view-includes-cached', sandbox: t.sandbox })
    try {
      cached.app.enable('view cache') // as in production
      const { agent, email } = await signUp(cached.app)
      await connectSms77(cached, agent, ['balance', 'sms'])
      const first = await agent.get('/dashboard').expect(200) // the normal path (a flash)
      await agent.get('/dashboard').expect(200) // the warm path, built
      await supertest(cached.app).get('/login').expect(200)
      // Not the page kept in memory: a role change makes the next one be assembled again.
      const { user } = (await cached.services.users.findForLogin(email))!
      await cached.services.users.setRole(user.tenantId, user.id, 'member')
      const exists = vi.spyOn(fs, 'existsSync')
      const stat = vi.spyOn(fs, 'statSync')
      try {
        const again = await agent.get('/dashboard').expect(200)
        const login = await supertest(cached.app).get('/login').expect(200)
        expect(again.text).toContain('<span class="role badge">member</span>')
        expect(login.text).toContain('</footer>')
        expect(first.text).toContain('card-sms77')
        expect(exists).not.toHaveBeenCalled()
        expect(stat).not.toHaveBeenCalled()
      } finally {
        exists.mockRestore()
        stat.mockRestore()
      }
    } finally {
      await cached.close()
    }
  })

  it('renders the same pages as EJS’s own look-up: every card partial and form is there', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['balance', 'sms'])
    const page = (await agent.get('/dashboard').expect(200)).text
    expect(page).toContain('action="/disconnect/sms77"')
    expect(page).toContain('action="/connect/nexmo"')
    expect(page).toContain('action="/connections/sms77/sms"')
  })
})
