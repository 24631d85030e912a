import http from 'node:http'
import express from 'express'
import { loadConfig } from '../config/config.js'
import { createSandbox, SANDBOX_PATHS } from './index.js'
import { sandboxOptionsFor } from './options.js'

/**
 * `npm run sandbox`: the provider emulators alone on their own port, for tests and
 * benchmarks that want the provider in another process, as it would be in production.
 */
const config = loadConfig()
const port = config.sandbox.port
const sandbox = createSandbox(sandboxOptionsFor(config))
const app = express()
app.disable('x-powered-by')
app.use('/sandbox', sandbox.router)
const server = http.createServer(app)
server.listen(port, '127.0.0.1', () => {
  const base = `http://127.0.0.1:${port}/sandbox`
  console.log(`sandbox listening on ${base}`)
  console.log(`  SMS77_OAUTH_URL=${base}${SANDBOX_PATHS.sms77OAuth}`)
  console.log(`  SMS77_API_URL=${base}${SANDBOX_PATHS.sms77Api}`)
  console.log(`  NEXMO_OAUTH_URL=${base}${SANDBOX_PATHS.nexmoOAuth}`)
  console.log(`  NEXMO_API_URL=${base}${SANDBOX_PATHS.nexmoRest}`)
  console.log(`  control: ${base}/_control`)
})
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => server.close(() => process.exit(0)))
