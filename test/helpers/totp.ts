import { createHmac } from 'node:crypto'

/**
 * RFC 6238 / RFC 4226 written out with node:crypto alone, so tests compute codes
 * independently of the otpauth library the app uses.
 */
export function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const clean = text.replace(/[\s=]/g, '').toUpperCase()
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch)
    if (idx < 0) throw new Error(`not base32: ${ch}`)
    value = (value << 5) | idx
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

export function hotp(key: Buffer, counter: number): string {
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', key).update(msg).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
  return String(bin).padStart(6, '0')
}

/** The code of the 30-second step `nowMs` falls in, shifted by `steps`. */
export function totpAt(secretBase32: string, nowMs: number, steps = 0): string {
  return hotp(base32Decode(secretBase32), Math.floor(nowMs / 30_000) + steps)
}

/** The Secret key as the set-up page shows it. */
export function secretFrom(html: string): string {
  const m = /class="secret-key"[^>]*>([^<]+)</.exec(html)
  if (!m) throw new Error('no secret key on the page')
  return m[1]!.replace(/\s/g, '')
}
