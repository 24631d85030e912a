import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import express from 'express'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/config.js'
import { createLogger, flushLogs } from '../src/logging/logger.js'
import { devLogStream } from '../src/logging/dev-stream.js'
import { createSandbox } from '../src/sandbox/index.js'
import { fromLoopback } from '../src/sandbox/control-routes.js'
import { startAppProcess, type AppProcess } from './helpers/app-process.js'
import { dropPrefix, uniquePrefix } from './helpers/redis.js'
import { TEST_NEXMO_CONSUMER, TEST_SMS77_CLIENT } from './helpers/sandbox-server.js'

/** Issue 29, item 1: what a newcomer meets when running `npm run dev`. */
const prefix = uniquePrefix('dev-server')
const dir = mkdtempSync(path.join(tmpdir(), 'sb-dev-server-'))
const running: AppProcess[] = []

afterAll(async () => {
  for (const app of running) if (app.proc.exitCode === null) app.proc.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
  await dropPrefix(prefix)
})

describe('a second npm run dev on a taken port', () => {
  it('says in one line that the port is taken and how to choose another', { timeout: 60_000 }, async () => {
    const other = net.createServer()
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const port = (other.address() as AddressInfo).port
    try {
      const app = startAppProcess(port, {
        NODE_ENV: 'development',
        REDIS_KEY_PREFIX: prefix,
        DEV_SECRETS_FILE: path.join(dir, 'secrets.json'),
      })
      running.push(app)
      expect(await app.exit).toBe(1)
      const errorLines = app
        .output()
        .split('\n')
        .filter((l) => /error/i.test(l) && !l.startsWith('{'))
      expect(errorLines).toEqual([
        `startup error: port ${port} on 127.0.0.1 is already in use (is Switchboard already running?); ` +
          `stop the other process or choose another port, e.g. PORT=${port + 1} npm run dev`,
      ])
      expect(app.output()).not.toMatch(/\n\s+at /)
    } finally {
      other.close()
    }
  })
})

describe('where the dev server listens', () => {
  it('binds 127.0.0.1 outside production unless HOST says otherwise; production binds all', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).host).toBe('127.0.0.1')
    expect(loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0' }).host).toBe('0.0.0.0')
    const secrets = {
      SESSION_SECRET: 'x'.repeat(32),
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    }
    expect(loadConfig({ NODE_ENV: 'production', ...secrets }).host).toBe('0.0.0.0')
    // A container listens on all its interfaces, also when compose runs it in development.
    expect(readFileSync(path.join(import.meta.dirname, '..', 'Dockerfile'), 'utf8')).toMatch(
      /^ENV HOST=0\.0\.0\.0$/m,
    )
  })
})

/** An address of this machine that is not loopback, as a neighbour on the network would reach it. */
function networkAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address
  return undefined
}

describe("the sandbox's control routes", () => {
  it('answer only on loopback, never to the local network', async () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.3.2.1'].map(fromLoopback)).toEqual([
      true,
      true,
      true,
      true,
    ])
    expect(['192.0.2.7', '::ffff:10.0.0.1', 'fd00::2', '', undefined].map(fromLoopback)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ])
    const sandbox = createSandbox({
      sms77: { clients: [TEST_SMS77_CLIENT], accessTokenTtlSec: 3600, codeTtlSec: 30, refreshGraceSec: 0 },
      nexmo: { consumers: [TEST_NEXMO_CONSUMER], timestampWindowSec: 300 },
    })
    const app = express().use('/sandbox', sandbox.router)
    const server = http.createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve))
    const port = (server.address() as AddressInfo).port
    try {
      const revokeAll = { action: 'revoke_sms77_refresh_tokens' }
      const post = (host: string) =>
        fetch(`http://${host}:${port}/sandbox/_control`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '127.0.0.1' },
          body: JSON.stringify(revokeAll),
        })
      expect((await post('127.0.0.1')).status).toBe(200)
      const outside = networkAddress()
      if (outside) expect((await post(outside)).status).toBe(404)
    } finally {
      server.close()
    }
  })
})

describe('logs during npm run dev', () => {
  it('are human lines in a terminal and JSON everywhere else', async () => {
    expect(await devLogStream('development', false)).toBeUndefined()
    expect(await devLogStream('production', true)).toBeUndefined()
    expect(await devLogStream('test', true)).toBeUndefined()
    let text = ''
    const sink = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk)
        done()
      },
    })
    const logger = createLogger('info', await devLogStream('development', true, sink))
    logger.info({ url: 'http://localhost:3000' }, 'Switchboard listening')
    await flushLogs(logger)
    expect(text).toMatch(/INFO.*Switchboard listening/)
    expect(text).toContain('url: "http://localhost:3000"')
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow()
  })
})
