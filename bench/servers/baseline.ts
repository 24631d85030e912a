import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import ejs from 'ejs'
import express from 'express'
import session from 'express-session'
import RedisStore from 'connect-redis'
import { Redis } from 'ioredis'
import { serveParent } from '../lib/ipc.js'

declare module 'express-session' {
  interface SessionData {
    benchUser?: string
  }
}

/**
 * The floor of this stack, as issue 13 defines it: Express 5, express-session on
 * connect-redis 7 (ioredis, the same cookie and rolling options as Switchboard) and one EJS
 * page padded to BASELINE_BYTES whose data comes from a 30 s Redis cache (one GET and a
 * JSON.parse per page, refilled with SET EX when it lapses), as the dashboard's panels do.
 * No logging, no helmet, no CSRF, no provider: what any app on this stack pays per page.
 */
const VIEWS = fileURLToPath(new URL('./views', import.meta.url))
const targetBytes = Number(process.env.BASELINE_BYTES ?? 20_000)
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  keyPrefix: process.env.REDIS_KEY_PREFIX ?? 'bench:',
})

interface Row {
  id: number
  label: string
  amount: string
  when: string
}
const row = (id: number): Row => ({
  id,
  label: `Account <${id}> & co`,
  amount: (id * 7.31).toFixed(2),
  when: new Date(1_700_000_000_000 + id * 3_600_000).toISOString(),
})

// Add rows until the rendered page is as large as Switchboard's dashboard.
const rows: Row[] = []
const render = (r: Row[]) =>
  ejs.renderFile(`${VIEWS}/baseline.ejs`, { title: 'Baseline', user: 'bench', rows: r })
while ((await render(rows)).length < targetBytes) rows.push(row(rows.length))

const app = express()
app.disable('x-powered-by')
app.set('views', VIEWS)
app.set('view engine', 'ejs')
app.use(
  session({
    name: 'base.sid',
    store: new RedisStore({ client: redis, prefix: 'base-sess:' }),
    secret: process.env.SESSION_SECRET ?? 'baseline-secret-baseline-secret-0',
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 8 * 3600_000, path: '/' },
  }),
)
app.get('/login', (req, res, next) => {
  req.session.benchUser = 'bench'
  req.session.save((err) => (err ? next(err) : res.redirect(303, '/page')))
})
const CACHE_KEY = 'base-cache:rows'
const CACHE_TTL_SEC = 30
async function cachedRows(): Promise<Row[]> {
  const hit = await redis.get(CACHE_KEY)
  if (hit) return JSON.parse(hit) as Row[]
  await redis.set(CACHE_KEY, JSON.stringify(rows), 'EX', CACHE_TTL_SEC)
  return rows
}
app.get('/page', async (req, res) => {
  if (!req.session.benchUser) return res.redirect(303, '/login')
  res.render('baseline', { title: 'Baseline', user: req.session.benchUser, rows: await cachedRows() })
})

const server = http.createServer(app)
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
serveParent((server.address() as AddressInfo).port, {}, async () => {
  server.close()
  server.closeAllConnections()
  await redis.quit().catch(() => redis.disconnect())
})
