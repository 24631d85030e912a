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

/** Buffered stdout is written at least this often (and at exit: pino flushes it then). */
const FLUSH_EVERY_MS = 1_000

/** The request-line logger of each app logger: same level, destination and base, no redaction. */
const requestLoggers = new WeakMap<Logger, Logger>()

/**
 * The app's logger. Without a destination, stdout is written in 4 kB batches (one syscall
 * for many lines instead of one per line), flushed every second and at exit.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const dest = destination ?? bufferedStdout()
  const common = { level, base: { service: 'switchboard' }, timestamp: pino.stdTimeFunctions.isoTime }
  const logger = pino({ ...common, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest)
  requestLoggers.set(logger, pino(common, dest))
  return logger
}

/**
 * For the request log alone, whose fields are whitelisted (ids, method, path, status, time;
 * never headers, queries or bodies), so redaction has nothing to find there.
 */
export function requestLoggerOf(logger: Logger): Logger {
  return requestLoggers.get(logger) ?? logger
}

/** Writes what is buffered; for shutdown (pino also flushes synchronously at exit). */
export function flushLogs(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()))
}

function bufferedStdout(): pino.DestinationStream {
  const dest = pino.destination({ dest: 1, sync: false, minLength: 4096 })
  setInterval(() => dest.flush(), FLUSH_EVERY_MS).unref()
  return dest
}
