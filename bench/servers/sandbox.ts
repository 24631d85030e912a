import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createSandbox } from '../../src/sandbox/index.js'
import { serveParent } from '../lib/ipc.js'
import { Timings } from '../lib/timings.js'

/**
 * The provider sandbox in its own process, as `npm run sandbox` runs it, with the bench's
 * client credentials, authorization codes that live 5 minutes (flows are prepared before
 * the callbacks are replayed) and a timer of how long it takes to answer each path.
 */
const env = process.env
const sandbox = createSandbox({
  sms77: {
    clients: [{ id: env.SMS77_CLIENT_ID ?? '', secret: env.SMS77_CLIENT_SECRET ?? '' }],
    accessTokenTtlSec: 3600,
    codeTtlSec: 300,
    refreshGraceSec: 0,
  },
  nexmo: {
    consumers: [{ key: env.NEXMO_CONSUMER_KEY ?? '', secret: env.NEXMO_CONSUMER_SECRET ?? '' }],
    timestampWindowSec: 300,
  },
})
const served = new Timings()
const app = express()
app.disable('x-powered-by')
app.use((req, res, next) => {
  const started = performance.now()
  const path = req.path
  res.once('finish', () => served.add(`${req.method} ${path}`, performance.now() - started))
  next()
})
app.use('/sandbox', sandbox.router)

const server = http.createServer(app)
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
serveParent((server.address() as AddressInfo).port, { served: () => served.take() }, async () => {
  server.close()
  server.closeAllConnections()
})
