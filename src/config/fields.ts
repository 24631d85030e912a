import { z } from 'zod'

/** Value shapes shared by the environment schema (config.ts stays the only reader of process.env). */

export const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], {
    message: 'expected 1/0, true/false, yes/no or on/off',
  })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v))

export const httpUrl = z
  .url({ protocol: /^https?$/, message: 'expected an absolute http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''))

export const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(v), {
    message: 'expected 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)',
  })

/** Comma-separated base64 keys (previous token keys): an empty list when unset. */
export const base64KeyList = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean)
      : [],
  )
  .pipe(z.array(base64Key))

/** The environment without its empty values: an empty variable counts as unset. */
export function withoutEmpty(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
}
