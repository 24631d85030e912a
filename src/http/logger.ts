import { pino, type Logger } from 'pino'

export type { Logger } from 'pino'

/**
 * JSON logs with every place a secret could appear redacted: headers that carry
 * cookies or credentials, and any field named like a token, secret or password.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.tokenSecret',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.secret',
  '*.secrets',
  'secrets',
  'password',
]

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'switchboard' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  )
}
