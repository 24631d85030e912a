import { gatewayTimestamp } from '../data/prng.js'
import { HOOK_EVENT_TYPES, HOOK_REQUEST_METHODS } from '../data/hooks.js'
import type { GatewayContext, GatewayRoute } from './context.js'
import { sendJson } from './negotiate.js'

function isHttpUrl(value: string | undefined): boolean {
  if (!value) return false
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

function subscribeError(ctx: GatewayContext): string | null {
  const { target_url, event_type, request_method } = ctx.params
  if (!isHttpUrl(target_url)) return 'Invalid target_url'
  if (!HOOK_EVENT_TYPES.includes(event_type as (typeof HOOK_EVENT_TYPES)[number])) return 'Invalid event_type'
  const method = request_method ?? 'POST'
  if (!HOOK_REQUEST_METHODS.includes(method as (typeof HOOK_REQUEST_METHODS)[number]))
    return 'Invalid request_method'
  const duplicate = ctx.account.hooks.some((h) => h.target_url === target_url && h.event_type === event_type)
  return duplicate ? 'Target URL already subscribed for this event' : null
}

/** Subscribe: `{"success":true,"id":12345}` or `{"success":false,"error_message":…}`. */
function subscribe(ctx: GatewayContext): void {
  const error = subscribeError(ctx)
  if (error) return sendJson(ctx.res, { success: false, error_message: error })
  const id = ctx.accounts.newObjectId()
  ctx.account.hooks.push({
    id: String(id),
    target_url: ctx.params.target_url ?? '',
    event_type: ctx.params.event_type ?? 'all',
    request_method: ctx.params.request_method ?? 'POST',
    event_filter: ctx.params.event_filter ?? null,
    enabled: true,
    created: gatewayTimestamp(new Date()),
    headers: ctx.params.headers ?? '',
  })
  sendJson(ctx.res, { success: true, id })
}

function unsubscribe(ctx: GatewayContext): void {
  const index = ctx.account.hooks.findIndex((h) => h.id === ctx.params.id)
  if (index >= 0) ctx.account.hooks.splice(index, 1)
  sendJson(ctx.res, { success: index >= 0 })
}

function read(ctx: GatewayContext): void {
  sendJson(ctx.res, { success: true, hooks: ctx.account.hooks })
}

/**
 * Legacy `GET|POST /hooks?action=read|subscribe|unsubscribe` and the current
 * `GET /hooks` (read), `POST /hooks` (subscribe), `DELETE /hooks` `id` (unsubscribe).
 */
function hooks(ctx: GatewayContext): void {
  const action =
    ctx.params.action ?? { GET: 'read', POST: 'subscribe', DELETE: 'unsubscribe' }[ctx.req.method]
  if (action === 'subscribe') return subscribe(ctx)
  if (action === 'unsubscribe') return unsubscribe(ctx)
  read(ctx)
}

export const hooksRoutes: GatewayRoute[] = [
  { methods: ['get', 'post', 'delete'], path: '/hooks', scope: 'hooks', handler: hooks },
]
