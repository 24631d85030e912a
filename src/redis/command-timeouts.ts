import type { RedisClient } from './client.js'

/** ioredis's own words when `commandTimeout` fires (Command.setTimeout). */
const TIMED_OUT = 'Command timed out'

interface SentCommand {
  promise: Promise<unknown>
}

/**
 * Calls `onTimeout` for every command on `redis` that got no answer within its
 * `commandTimeout`. ioredis announces no event for it, so the client's `sendCommand` (which
 * pipelines, auto-pipelining and a Cluster's routing all go through) is wrapped on this
 * one instance; the caller still gets the command's own rejection.
 */
export function watchCommandTimeouts(redis: RedisClient, onTimeout: () => void): void {
  const client = redis as unknown as { sendCommand(command: SentCommand, ...rest: unknown[]): unknown }
  const send = client.sendCommand.bind(client)
  client.sendCommand = (command, ...rest) => {
    command.promise.catch((err: unknown) => {
      if (err instanceof Error && err.message === TIMED_OUT) onTimeout()
    })
    return send(command, ...rest)
  }
}
