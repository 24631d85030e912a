/** TRUST_PROXY as Express's `trust proxy` takes it: true/false, a hop count, or addresses. */
export function parseTrustProxy(v: string): boolean | number | string {
  if (v === 'true') return true
  if (v === 'false') return false
  return /^\d+$/.test(v) ? Number(v) : v
}
