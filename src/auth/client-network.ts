import { isIP } from 'node:net'

/**
 * The address the per-address counter is kept for: an IPv4 address as it is (IPv4-mapped
 * IPv6 too), and for IPv6 its /64, since one host may use any address in its /64.
 */
export function clientAddress(ip: string): string {
  const v4 = ipv4Of(ip)
  if (v4) return v4
  return isIP(ip) === 6 ? `${ipv6Groups(ip).slice(0, 4).join(':')}::/64` : ip
}

/**
 * The network the per-account counter is kept for: IPv4 /24, IPv6 /56 (what providers hand
 * one customer, so a guesser cannot step to a fresh /64 of their own for each round).
 */
export function clientNetwork(ip: string): string {
  const v4 = ipv4Of(ip)
  if (v4) return `${v4.split('.').slice(0, 3).join('.')}.0/24`
  if (isIP(ip) !== 6) return ip
  const groups = ipv6Groups(ip)
  return `${groups.slice(0, 3).join(':')}:${groups[3]!.slice(0, 2)}00::/56`
}

function ipv4Of(ip: string): string | undefined {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)?.[1] ?? ip
  return isIP(mapped) === 4 ? mapped : undefined
}

/** The eight 16-bit groups of an IPv6 address, zero-padded, lower case ("::" expanded). */
function ipv6Groups(ip: string): string[] {
  const bare = ip.split('%')[0]!.toLowerCase()
  const toGroups = (part: string): string[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [g]
          const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number]
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
        })
  const [head = '', tail] = bare.split('::')
  const left = toGroups(head)
  const right = tail === undefined ? [] : toGroups(tail)
  const zeros = Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, '0'))
}
