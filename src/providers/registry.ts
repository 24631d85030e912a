import { NotFoundError } from '../errors/app-error.js'
import { PROVIDER_IDS, type Provider, type ProviderId } from './types.js'

export class ProviderRegistry {
  private readonly byId: Map<ProviderId, Provider>

  constructor(providers: Provider[]) {
    this.byId = new Map(providers.map((p) => [p.id, p]))
  }

  get(id: ProviderId): Provider {
    const p = this.byId.get(id)
    if (!p) throw new NotFoundError(`Unknown provider ${id}.`)
    return p
  }

  /** Resolves a route parameter; unknown names are a 404, never a crash. */
  parse(id: string): Provider {
    if (!(PROVIDER_IDS as readonly string[]).includes(id)) throw new NotFoundError('Unknown provider.')
    return this.get(id as ProviderId)
  }

  all(): Provider[] {
    return [...this.byId.values()]
  }
}
