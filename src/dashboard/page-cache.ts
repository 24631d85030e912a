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
  private used = 0

  constructor(readonly maxBytes = PAGE_CACHE_BYTES) {}

  get bytes(): number {
    return this.used
  }

  get size(): number {
    return this.pages.size
  }

  take(key: string, facts: PageFacts): Buffer[] | undefined {
    const page = this.pages.get(key)
    if (!page) return undefined
    this.pages.delete(key)
    if (page.role !== facts.role || page.email !== facts.email || page.versions !== facts.versions) {
      this.used -= page.bytes
      return undefined
    }
    this.pages.set(key, page) // most recently used last
    return page.parts
  }

  keep(key: string, facts: PageFacts, parts: Buffer[]): void {
    this.drop(key)
    const bytes =
      parts.reduce((n, p) => n + p.length, 0) + key.length + facts.versions.length + OVERHEAD_BYTES
    if (bytes > this.maxBytes) return
    for (const [oldest, page] of this.pages) {
      if (this.used + bytes <= this.maxBytes) break
      this.pages.delete(oldest)
      this.used -= page.bytes
    }
    this.pages.set(key, { ...facts, parts, bytes })
    this.used += bytes
  }

  drop(key: string): void {
    const page = this.pages.get(key)
    if (!page) return
    this.pages.delete(key)
    this.used -= page.bytes
  }
}
