import { Agent, request } from 'undici'

/** One keep-alive pool for every set-up request the bench makes (not the measured load). */
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 })

export interface Page {
  status: number
  location: string
  body: string
}

export type Form = Record<string, string | string[]>

/** A cookie-keeping HTTP client for one person's session, following no redirect. */
export class Browser {
  private readonly jar = new Map<string, string>()
  /** The session's CSRF token, once read from a page. */
  csrf = ''

  constructor(
    readonly origin: string,
    cookie = '',
  ) {
    for (const pair of cookie.split('; ').filter(Boolean)) this.remember(pair)
  }

  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  get(path: string): Promise<Page> {
    return this.send('GET', path)
  }

  post(path: string, form: Form): Promise<Page> {
    const body = new URLSearchParams()
    for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one)
    return this.send('POST', path, body.toString())
  }

  /** Reads the CSRF token from a page of this session. */
  async readCsrf(path: string): Promise<string> {
    const page = await this.get(path)
    const m = /name="_csrf" value="([^"]+)"/.exec(page.body)
    if (!m) throw new Error(`no CSRF token on ${path} (HTTP ${page.status})`)
    this.csrf = m[1]!
    return this.csrf
  }

  private remember(pair: string): void {
    const eq = pair.indexOf('=')
    if (eq > 0) this.jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
  }

  private async send(method: 'GET' | 'POST', path: string, body?: string): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html' }
    if (this.jar.size) headers.cookie = this.cookie
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await request(new URL(path, this.origin), {
      method,
      headers,
      body,
      dispatcher: agent,
      signal: AbortSignal.timeout(30_000),
    })
    for (const line of [res.headers['set-cookie'] ?? []].flat()) this.remember(line.split(';')[0] ?? '')
    const location = res.headers.location
    return {
      status: res.statusCode,
      location: typeof location === 'string' ? location : '',
      body: await res.body.text(),
    }
  }
}

/** Runs `fn` over `items` with at most `size` at once; results in input order. */
export async function pool<T, R>(
  items: T[],
  size: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
  return out
}
