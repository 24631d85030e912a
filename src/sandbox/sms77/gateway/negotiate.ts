import type { Request, Response } from 'express'

/**
 * Text versus JSON, one rule for the whole emulated gateway (PROVIDERS.md §5.3 leaves it
 * open, so the emulator picks one and documents it):
 *
 *   JSON when the request carries `json=1` (query or body; also `true`) OR its `Accept`
 *   header names `application/json`; legacy text otherwise.
 *
 * Only endpoints that have a legacy text form look at it: /balance, /sms, /voice, /status,
 * legacy /contacts read and write, legacy MNP lookups, and the bare error codes (900, 902,
 * 301, …). Everything else is JSON always. sms77-client sends no Accept header, so it gets
 * the legacy text it parses (`parseFloat` on /balance); @seven.io/client always sends
 * `Accept: application/json` and gets JSON.
 */
export function wantsJson(req: Request, params: Params): boolean {
  const flag = params.json
  if (flag === '1' || flag === 'true') return true
  return (req.get('accept') ?? '').toLowerCase().includes('application/json')
}

export type Params = Record<string, string>

function flatten(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (Array.isArray(value))
    return value
      .map(flatten)
      .filter((v) => v !== undefined)
      .join(',')
  return undefined
}

/**
 * Query and body merged (body wins), as the gateway accepts either for every parameter.
 * Empty values and the literal "undefined" are dropped: @seven.io/client serialises an
 * absent optional GET parameter as `date_from=undefined`.
 */
export function readParams(req: Request): Params {
  const out: Params = {}
  const sources = [req.query as Record<string, unknown>, (req.body ?? {}) as Record<string, unknown>]
  for (const source of sources) {
    if (typeof source !== 'object' || source === null) continue
    for (const [key, raw] of Object.entries(source)) {
      const value = flatten(raw)
      if (value !== undefined && value !== '' && value !== 'undefined' && value !== 'null') out[key] = value
    }
  }
  return out
}

export function isTruthy(value: string | undefined): boolean {
  return value === '1' || value === 'true'
}

/** A gateway return code as the body: `900` as text, or `"900"` as JSON (R7 compares '"900"'). */
export function sendCode(res: Response, code: number, json: boolean, status = 200): void {
  res.status(status).set('Cache-Control', 'no-store')
  if (json) res.type('application/json').send(JSON.stringify(String(code)))
  else res.type('text/plain').send(String(code))
}

export function sendText(res: Response, body: string): void {
  res.status(200).type('text/plain').send(body)
}

export function sendJson(res: Response, body: unknown): void {
  res.status(200).json(body)
}

/** Comma-separated list parameter (`to`, `msg_id`, `number`), trimmed and de-emptied. */
export function listParam(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
