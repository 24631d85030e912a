import type { pino } from 'pino'

/**
 * Human-readable lines for a person watching `npm run dev` in a terminal; JSON everywhere
 * else (production, containers, pipes, tests), where machines read the logs. pino-pretty is
 * a development dependency: loaded only then, and a missing one falls back to JSON.
 */
export async function devLogStream(
  env: string,
  isTTY: boolean | undefined,
  destination: NodeJS.WritableStream = process.stdout,
): Promise<pino.DestinationStream | undefined> {
  if (env !== 'development' || !isTTY) return undefined
  try {
    const { default: pretty } = await import('pino-pretty')
    return pretty({ colorize: destination === process.stdout, destination, sync: true })
  } catch {
    return undefined
  }
}
