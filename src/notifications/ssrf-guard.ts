import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { AppError } from '../errors/app-error.js'

/**
 * Webhook URLs are set by tenant admins, so Switchboard must not become their way into
 * the operator's network: loopback, private, link-local, CGNAT, unique-local, multicast
 * and unspecified addresses are refused unless the operator allows them. The check runs
 * on the resolved address at delivery time, and the connection is pinned to the address
 * that passed, so DNS cannot answer differently between the check and the connect.
 */
const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  blocked.addSubnet(net, bits, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family !== 6) return true
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  return mapped ? blocked.check(mapped, 'ipv4') : blocked.check(address, 'ipv6')
}

export function ssrfRefused(detail: string): AppError {
  return new AppError('validation_failed', `This webhook address is not allowed: ${detail}.`, { status: 400 })
}

/** Syntax only (at save time): an absolute http(s) URL without credentials. */
export function checkWebhookUrl(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw ssrfRefused('it is not an absolute URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw ssrfRefused('only http and https are supported')
  if (url.username || url.password) throw ssrfRefused('it must not contain a user name or password')
  return url
}

/**
 * At save time, whether deliveries to `url` will be refused: its host is (or resolves within
 * `timeoutMs` only to) a loopback or private address. A name that cannot be resolved now is
 * not judged: it may exist by the time an event is sent.
 */
export async function reachesPrivateNetwork(url: URL, timeoutMs = 1_500): Promise<boolean> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) return isPrivateAddress(host)
  const answers = await new Promise<LookupAddress[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), timeoutMs)
    dnsLookup(host, { all: true }, (err, list) => {
      clearTimeout(timer)
      resolve(err ? [] : list)
    })
  })
  return answers.length > 0 && answers.every((a) => isPrivateAddress(a.address))
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/** A `lookup` for undici's connector that resolves, refuses private answers, and pins the first good one. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean } & object, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, [])
      const list = addresses as LookupAddress[]
      const refused = list.find((a) => isPrivateAddress(a.address))
      if (!allowPrivate && refused) {
        const e = Object.assign(new Error(`${hostname} resolves to a private address`), {
          // The message reaches tenant admins (delivery log): it must not map the operator's network.
          address: refused.address,
          code: 'ESSRF',
        })
        return callback(e, [])
      }
      const pinned = list[0]!
      if (options.all) return callback(null, [pinned])
      callback(null, pinned.address, pinned.family)
    })
  }
}
