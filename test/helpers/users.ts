import supertest from 'supertest'
import type { Express } from 'express'
import { csrfFrom, csrfOf, uniqueEmail, type Agent } from './app.js'

/** An admin adds a user through /admin/users; returns that user's signed-in agent. */
export async function addUserAndSignIn(
  app: Express,
  admin: Agent,
  role: 'member' | 'support' | 'admin',
  email = uniqueEmail(role),
): Promise<{ agent: Agent; email: string }> {
  const password = 'a long enough password'
  await admin
    .post('/admin/users')
    .type('form')
    .send({ _csrf: await csrfOf(admin, '/admin/users'), email, password, role })
    .expect(303)
  const agent = supertest.agent(app)
  const page = await agent.get('/login')
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
    .expect(303)
  return { agent, email }
}
