import type { Request, Response } from 'express'
import type { AccountState, AccountStore } from '../account-store.js'
import type { Scope } from '../scopes.js'
import type { Params } from './negotiate.js'

/** What an endpoint handler gets once the bearer token and its scope have been checked. */
export interface GatewayContext {
  req: Request
  res: Response
  params: Params
  /** The negotiated answer format (see negotiate.ts). */
  json: boolean
  account: AccountState
  accounts: AccountStore
}

export type GatewayHandler = (ctx: GatewayContext) => void

export type HttpMethod = 'get' | 'post' | 'delete' | 'patch'

/** One gateway route; `scope` both guards it and names it in `stats.apiCalls`. */
export interface GatewayRoute {
  methods: readonly HttpMethod[]
  path: string
  scope: Scope
  handler: GatewayHandler
}

/** Legacy endpoints take GET or POST alike (sms77-client POSTs /pricing, /lookup, /hooks). */
export const GET_OR_POST: readonly HttpMethod[] = ['get', 'post']

/** A named path segment (`/journal/:type`); Express 5 types them as string or string[]. */
export function pathParam(ctx: GatewayContext, name: string): string | undefined {
  const value = ctx.req.params[name]
  return typeof value === 'string' ? value : undefined
}
