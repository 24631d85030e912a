import type { Request, Response, Router } from 'express'
import type { TFunction } from 'i18next'
import { tOf } from '../i18n/localize.js'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { AppError, isAppError } from '../errors/app-error.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type {
  CallContext,
  CallerIdValidation,
  DeliveryStatus,
  LookupResult,
  Provider,
  ProviderTools,
  VoiceResult,
} from '../providers/types.js'
import type { PanelCache } from './panel-cache.js'
import type { SharedCards } from './shared-cards.js'
import { parseCallerId, parseLookup, parseStatus, parseVoice, type Parsed } from './tool-forms.js'

/**
 * The forms behind scopes that do something (number lookup, delivery reports, voice
 * messages, caller IDs): POST, then back to the dashboard with the result or the error
 * shown once beside the form, and what was typed kept on any failure.
 */
export type ToolForm = 'lookup' | 'status' | 'voice' | 'caller_id'

export interface ToolOutcome {
  provider: string
  /** A tool's form, or the connection's name form (connection-name.ts). */
  tool: ToolForm | 'name'
  typed: Record<string, string>
  error?: string
  lookup?: LookupResult
  statuses?: DeliveryStatus[]
  voice?: VoiceResult & { to: string }
  callerId?: CallerIdValidation
}

declare module 'express-session' {
  interface SessionData {
    toolOutcome?: ToolOutcome
  }
}

/** The outcome shown once on the next dashboard page, beside the form it belongs to. */
export function takeToolOutcome(req: Request): ToolOutcome | undefined {
  const outcome = req.session.toolOutcome
  if (outcome) delete req.session.toolOutcome
  return outcome
}

type Result = Omit<ToolOutcome, 'provider' | 'tool' | 'typed' | 'error'>

interface ToolSpec<T> {
  path: string
  fields: string[]
  /** What the provider's tool is called (its words are `dashboard:tools.what.<form>` and `.failed.<form>`). */
  tool: keyof ProviderTools
  parse(typed: Record<string, string>, t: TFunction): Parsed<T>
  run(tools: ProviderTools, ctx: CallContext, input: T): Promise<Result> | undefined
  /** True when the call may cost money or change what the card shows (balance, journal). */
  clearsCache: boolean
  /** A message that went out leaves an empty form (a lookup keeps its number to try another kind). */
  emptiesForm?: boolean
}

// Repeated or nested fields (number[]=…) are not text: keep nothing of them.
const asText = (v: unknown) => (typeof v === 'string' ? v.slice(0, 2000) : '')

const SPECS: Record<ToolForm, ToolSpec<never>> = {
  lookup: {
    path: 'lookup',
    fields: ['number', 'kind'],
    tool: 'lookup',
    parse: parseLookup,
    run: (t, ctx, i: { kind: never; number: string }) =>
      t.lookup?.(ctx, i.kind, i.number).then((lookup) => ({ lookup })),
    clearsCache: true,
  },
  status: {
    path: 'status',
    fields: ['id'],
    tool: 'deliveryStatus',
    parse: parseStatus,
    run: (t, ctx, ids: string[]) => t.deliveryStatus?.(ctx, ids).then((statuses) => ({ statuses })),
    clearsCache: false,
  },
  voice: {
    path: 'voice',
    fields: ['to', 'from', 'text'],
    tool: 'sendVoice',
    parse: parseVoice,
    run: (t, ctx, m: { to: string; text: string }) =>
      t.sendVoice?.(ctx, m).then((sent) => ({ voice: { ...sent, to: m.to } })),
    clearsCache: true,
    emptiesForm: true,
  },
  caller_id: {
    path: 'caller-id',
    fields: ['number'],
    tool: 'validateCallerId',
    parse: parseCallerId,
    run: (t, ctx, n: string) => t.validateCallerId?.(ctx, n).then((callerId) => ({ callerId })),
    clearsCache: false,
  },
} as Record<ToolForm, ToolSpec<never>>

/** The phone number a tool was used for (E.164, as parsed), if any. */
function numberOf(data: unknown): string | undefined {
  if (typeof data === 'string') return data
  const d = data as { number?: unknown; to?: unknown } | null
  const n = d?.number ?? d?.to
  return typeof n === 'string' ? n : undefined
}

/** The reason in words that name the provider; null when the card itself will say it. */
function reasonOf(err: unknown, p: Provider, t: TFunction): { text: string; onCard: boolean } | null {
  if (!isAppError(err) || !err.expose) return null
  if (err.code === 'not_found')
    return { text: t('dashboard:tools.gone', { provider: p.label }), onCard: false }
  if (err.code === 'needs_reconnect' || err.code === 'insufficient_scope')
    return { text: err.message, onCard: false }
  const text = err.message.includes(p.label)
    ? err.message
    : t('dashboard:sms.answered', { provider: p.label, message: err.message })
  return { text, onCard: true }
}

/**
 * POST /connections/:provider/<tool> (the person's own connection) and POST
 * /shared/:provider/<tool> (the organisation's, as far as the person's access allows it,
 * read on each request: shared-cards.ts).
 */
export function scopeActionRoutes(
  r: Router,
  deps: {
    connections: ConnectionLifecycle
    providers: ProviderRegistry
    cache: PanelCache
    shared: Pick<SharedCards, 'toolRef' | 'toolUsed'>
  },
): void {
  for (const [tool, spec] of Object.entries(SPECS) as Array<[ToolForm, ToolSpec<never>]>) {
    for (const shared of [false, true])
      r.post(
        `/${shared ? 'shared' : 'connections'}/:provider/${spec.path}`,
        async (req: Request, res: Response) => {
          const user = requireUser(req)
          const provider = deps.providers.parse(String(req.params.provider))
          const body = (req.body ?? {}) as Record<string, unknown>
          const typed = Object.fromEntries(spec.fields.map((f) => [f, asText(body[f])]))
          const formId = shared ? `shared-${provider.id}` : provider.id
          const done = (outcome: Partial<ToolOutcome>) => {
            req.session.toolOutcome = { provider: formId, tool, typed, ...outcome }
            res.redirect(303, `/dashboard#tool-${formId}-${tool}`)
          }
          const t = tOf(req)
          const failed = (text: string) => t(`dashboard:tools.failed.${tool}`, { reason: text })
          // Without access (any more), or beyond it: the error page, never a form message.
          const ref = shared
            ? await deps.shared.toolRef(user, provider.id, spec.tool)
            : { tenantId: user.tenantId, userId: user.id, provider: provider.id }
          const input = spec.parse(typed, t)
          if (!input.ok) return done({ error: failed(input.message) })
          try {
            const result = await deps.connections.use(ref, (ctx, p) => {
              // The grant read now, not the one the page was drawn from: it may have changed since.
              const work = p.tools ? spec.run(p.tools(ctx.grant), ctx, input.data) : undefined
              if (!work)
                throw new AppError(
                  'insufficient_scope',
                  t('dashboard:tools.notAllowed', {
                    provider: p.label,
                    what: t(`dashboard:tools.what.${tool}`),
                  }),
                  { status: 403, localized: true },
                )
              return work
            })
            if (spec.clearsCache) await deps.cache.clear(user.tenantId, ref.userId, [provider.id])
            if (shared) await deps.shared.toolUsed(user, provider.id, spec.tool, numberOf(input.data))
            done(spec.emptiesForm ? { ...result, typed: {} } : result)
          } catch (err) {
            const reason = reasonOf(err, provider, t)
            if (!reason) throw err
            if (reason.onCard) return done({ error: failed(reason.text) })
            flash(req, 'error', failed(reason.text))
            res.redirect(303, '/dashboard')
          }
        },
      )
  }
}
