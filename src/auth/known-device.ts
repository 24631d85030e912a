import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Request, Response } from 'express'

export const KNOWN_DEVICE_COOKIE = 'sb.kd'
const LIFETIME_MS = 180 * 24 * 3600 * 1000
/** A browser shared by a few people remembers each of them. */
const MAX_ACCOUNTS = 5

/**
 * "This browser signed in to this account before": a cookie of signed entries (expiry and
 * an HMAC of account and expiry under the session secret), set on each successful sign-in.
 * The sign-in limit lets such a browser past the gate a botnet holds shut, so guessing from
 * everywhere never keeps the person out; it proves nothing else and opens nothing by itself
 * (the password is still checked, and the per-network limit still counts).
 */
export class KnownDevices {
  constructor(
    private readonly secret: string,
    private readonly secure: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the request's cookie holds a live entry for `email` (normalised). */
  isKnown(req: Request, email: string): boolean {
    return this.entries(req).some((e) => this.valid(e, email))
  }

  /** Adds (or renews) `email`'s entry after a successful sign-in. */
  remember(req: Request, res: Response, email: string): void {
    const others = this.entries(req).filter((e) => this.live(e) && !this.valid(e, email))
    const expires = this.now() + LIFETIME_MS
    const value = [`${expires}.${this.mac(email, expires)}`, ...others].slice(0, MAX_ACCOUNTS).join('~')
    res.cookie(KNOWN_DEVICE_COOKIE, value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      maxAge: LIFETIME_MS,
      path: '/',
    })
  }

  private entries(req: Request): string[] {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=')
      if (k === KNOWN_DEVICE_COOKIE) return v.join('=').split('~').slice(0, MAX_ACCOUNTS)
    }
    return []
  }

  private live(entry: string): boolean {
    return Number(entry.split('.')[0]) > this.now()
  }

  private valid(entry: string, email: string): boolean {
    const [expires, mac] = entry.split('.')
    if (!mac || !/^\d{1,15}$/.test(expires ?? '') || !this.live(entry)) return false
    const want = Buffer.from(this.mac(email, Number(expires)))
    const got = Buffer.from(mac)
    return got.length === want.length && timingSafeEqual(got, want)
  }

  private mac(email: string, expires: number): string {
    return createHmac('sha256', this.secret)
      .update(`known-device\n${email}\n${expires}`)
      .digest('base64url')
      .slice(0, 32)
  }
}
