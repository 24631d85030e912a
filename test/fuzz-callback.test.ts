/**
 * The two OAuth callbacks under random query strings: known and unknown keys, repeated
 * keys, bracketed keys, prototype names, any Unicode, bytes that are not UTF-8, huge
 * values, and sometimes the session's live state with a random code. The answer is
 * always one of the expected statuses with a known error code, never a 500, never an
 * unhandled rejection; and a random query never stores a connection.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ErrorCode } from '../src/errors/app-error.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { keysUnder } from './helpers/redis.js'

let t: TestApp
let agent: Agent
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled)
  t = await startTestApp({ name: 'fuzz-callback' })
  agent = (await signUp(t.app)).agent
})
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  await t.close()
})

const CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'bad_request',
  'validation_failed',
  'state_mismatch',
  'csrf_failed',
  'not_found',
  'provider_unavailable',
  'provider_bad_response',
  'provider_rejected',
  'token_rejected',
  'invalid_grant',
  'needs_reconnect',
])
// 303 back to the dashboard (a denial); 400 for anything malformed or not this session's;
// 414/431 when Node refuses the URL itself; 502 when the provider refused a random code.
const STATUSES = new Set([303, 400, 414, 431, 502])

const KEYS = {
  sms77: ['state', 'code', 'error', 'error_description', 'error_uri', 'scope'],
  nexmo: ['oauth_token', 'oauth_verifier', 'denied'],
}
const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'state[]',
  'state[a]',
  'code[]',
  'oauth_token[x]',
  'a[b][c]',
  '',
  '%00',
  '&',
  '=',
]

/** One query parameter's key or value, as it appears in the URL. */
const encoded = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }).map(encodeURIComponent) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent) },
  // Raw percent-escapes: invalid UTF-8, overlong forms, lone surrogates, NUL.
  {
    weight: 2,
    arbitrary: fc
      .array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 })
      .map((b) => b.map((x) => `%${x.toString(16).padStart(2, '0').toUpperCase()}`).join('')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '%',
      '%G0',
      '%E0%A4%A',
      '+',
      '++',
      '%2B',
      '%26',
      '%3D',
      'access_denied',
      'A'.repeat(43),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 4000 }).map((n) => 'x'.repeat(n)) },
)

function query(provider: 'sms77' | 'nexmo') {
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...KEYS[provider]) },
    { weight: 1, arbitrary: fc.constantFrom(...KEYS[provider === 'sms77' ? 'nexmo' : 'sms77']) },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_KEYS).map(encodeURIComponent) },
    { weight: 1, arbitrary: encoded },
  )
  return fc
    .array(fc.tuple(key, encoded, fc.boolean()), { maxLength: 8 })
    .map((pairs) => pairs.map(([k, v, bare]) => (bare && !v ? k : `${k}=${v}`)).join('&'))
}

async function connections(): Promise<number> {
  return (await keysUnder(t.prefix)).filter((k) => k.includes(':conn:')).length
}

async function expectTyped(path: string): Promise<number> {
  const res = await agent.get(path).set('Accept', 'application/json')
  expect(STATUSES.has(res.status), `${res.status} for ${path.slice(0, 200)}`).toBe(true)
  if (res.status === 303) expect(res.headers.location).toBe('/dashboard')
  if (res.status === 400 || res.status === 502) {
    expect(CODES.has(res.body.error), `${res.body.error} for ${path.slice(0, 200)}`).toBe(true)
    expect(typeof res.body.message).toBe('string')
  }
  return res.status
}

describe('random query strings at the OAuth callbacks', () => {
  for (const [provider, path] of [
    ['sms77', '/oauth_redirect'],
    ['nexmo', '/connect/nexmo/callback'],
  ] as const) {
    it(`${path}: an expected status with a known error code, never a 500, and nothing stored`, async () => {
      const before = await connections()
      await fc.assert(
        fc.asyncProperty(query(provider), async (q) => {
          await expectTyped(`${path}?${q}`)
        }),
        { numRuns: 150 },
      )
      expect(await connections()).toBe(before)
      expect(unhandled).toEqual([])
    })
  }

  it('/oauth_redirect with this session’s live state and random other parameters: typed answers only', async () => {
    const statuses = new Set<number>()
    await fc.assert(
      fc.asyncProperty(
        query('sms77'),
        fc.constantFrom('code', 'error', 'both', 'neither'),
        async (extra, shape) => {
          const begun = await agent
            .post('/connect/sms77')
            .type('form')
            .send({ _csrf: await csrfOf(agent), scope: 'balance' })
            .expect(303)
          const state = new URL(begun.headers.location!).searchParams.get('state')!
          const parts = [`state=${state}`, extra]
          if (shape === 'code' || shape === 'both')
            parts.push(`code=${encodeURIComponent(Math.random().toString(36))}`)
          if (shape === 'error' || shape === 'both') parts.push('error=access_denied')
          statuses.add(await expectTyped(`/oauth_redirect?${parts.filter(Boolean).join('&')}`))
        },
      ),
      // Besides the random runs, one of each shape, so the deep paths always run.
      {
        numRuns: 40,
        examples: [
          ['', 'code'],
          ['', 'error'],
          ['', 'neither'],
          ['state=x', 'code'],
        ],
      },
    )
    // The deep paths ran too: a denial, a refused exchange, a malformed answer.
    expect([...statuses]).toEqual(expect.arrayContaining([303, 400, 502]))
    expect(unhandled).toEqual([])
  })

  it('/connect/nexmo/callback with this session’s live request token and random other parameters: typed answers only', async () => {
    const statuses = new Set<number>()
    await fc.assert(
      fc.asyncProperty(
        query('nexmo'),
        fc.constantFrom('verifier', 'denied', 'none'),
        async (extra, shape) => {
          const begun = await agent
            .post('/connect/nexmo')
            .type('form')
            .send({ _csrf: await csrfOf(agent) })
            .expect(303)
          const token = new URL(begun.headers.location!).searchParams.get('oauth_token')!
          const parts = [shape === 'denied' ? `denied=${token}` : `oauth_token=${token}`, extra]
          if (shape === 'verifier')
            parts.push(`oauth_verifier=${encodeURIComponent(Math.random().toString(36))}`)
          statuses.add(await expectTyped(`/connect/nexmo/callback?${parts.filter(Boolean).join('&')}`))
        },
      ),
      {
        numRuns: 30,
        examples: [
          ['', 'verifier'],
          ['', 'denied'],
          ['', 'none'],
          ['oauth_token=x', 'verifier'],
        ],
      },
    )
    expect([...statuses]).toEqual(expect.arrayContaining([303, 400, 502]))
    expect(unhandled).toEqual([])
  })
})
