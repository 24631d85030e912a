/**
 * Remembers `oauth_nonce` values so a captured request cannot be replayed (RFC 5849
 * §3.3). A nonce only needs remembering while its timestamp is still acceptable: once
 * it falls out of the window the timestamp check refuses the replay anyway, so entries
 * are dropped then and memory stays bounded by the request rate times the window.
 */
export class NonceStore {
  private readonly seen = new Map<string, number>()
  private insertsSincePrune = 0

  /**
   * Records the nonce and answers whether it was fresh. §3.3 scopes uniqueness to
   * timestamp + client credentials + token; this store leaves the token out, which is
   * stricter and catches clients that reuse one nonce across their tokens.
   */
  claim(consumerKey: string, timestamp: number, nonce: string, nowSec: number, windowSec: number): boolean {
    this.maybePrune(nowSec, windowSec)
    // JSON keeps the parts apart even if a nonce contains the separator.
    const key = JSON.stringify([consumerKey, timestamp, nonce])
    if (this.seen.has(key)) return false
    this.seen.set(key, timestamp)
    return true
  }

  get size(): number {
    return this.seen.size
  }

  private maybePrune(nowSec: number, windowSec: number): void {
    if (++this.insertsSincePrune < 256) return
    this.insertsSincePrune = 0
    for (const [key, timestamp] of this.seen) {
      if (timestamp < nowSec - windowSec) this.seen.delete(key)
    }
  }
}
