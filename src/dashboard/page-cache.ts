/** What a kept page was rendered for; it is served only when all of it matches this request. */
export interface PageFacts {
  role: string
  email: string
  /** `versionsOf` the cards' state the page was rendered from. */
  versions: string
}

interface Entry extends PageFacts {
  /** The page's encoded bytes between the CSRF token placeholders. */
  parts: Buffer[]
  bytes: number
}

/** Each entry's cost beyond its page bytes (the key, the facts, the Map's own slot). */
const OVERHEAD_BYTES = 512

/** Enough for thousands of users' dashboards; beyond it the least recently used go. */
export const PAGE_CACHE_BYTES = 32 * 1024 * 1024

/**
 * Whole dashboard pages kept in this process as pre-encoded buffers, so a warm reload is
 * neither rendered nor encoded again: at most `maxBytes` (least recently used go first).
 * A page is only the rendering of facts read from Redis in the same request, so a stale one
 * is never served: `take` answers only when every fact matches what this request just read.
 */
export class PageCache {
  private readonly pages = new Map<string, Entry>()
  /** How many pages each person has here (a key's part before its variant). */
  private readonly people = new Map<string, number>()
  private used = 0

  constructor(readonly maxBytes = PAGE_CACHE_BYTES) {}

  get bytes(): number {
    return this.used
  }

  get size(): number {
    return this.pages.size
  }

  /** Whether any page of this person (`personKey`) is kept: else there is nothing to take. */
  holdsAny(person: string): boolean {
    return this.people.has(person)
  }

  take(key: string, facts: PageFacts): Buffer[] | undefined {
    const page = this.pages.get(key)
    if (!page) return undefined
    if (page.role !== facts.role || page.email !== facts.email || page.versions !== facts.versions) {
      this.drop(key)
      return undefined
    }
    this.pages.delete(key)
    this.pages.set(key, page) // most recently used last
    return page.parts
  }

  keep(key: string, facts: PageFacts, parts: Buffer[]): void {
    this.drop(key)
    const bytes =
      parts.reduce((n, p) => n + p.length, 0) + key.length + facts.versions.length + OVERHEAD_BYTES
    if (bytes > this.maxBytes) return
    for (const oldest of this.pages.keys()) {
      if (this.used + bytes <= this.maxBytes) break
      this.drop(oldest)
    }
    this.pages.set(key, { ...facts, parts, bytes })
    this.used += bytes
    const person = personOf(key)
    this.people.set(person, (this.people.get(person) ?? 0) + 1)
  }

  drop(key: string): void {
    const page = this.pages.get(key)
    if (!page) return
    this.pages.delete(key)
    this.used -= page.bytes
    const person = personOf(key)
    const left = (this.people.get(person) ?? 1) - 1
    if (left > 0) this.people.set(person, left)
    else this.people.delete(person)
  }
}

/** The person part of a page key (see `pageKey`). */
export const personKey = (tenantId: string, userId: string) => `${tenantId}\n${userId}`
const personOf = (key: string) => key.slice(0, key.indexOf('\n', key.indexOf('\n') + 1))
