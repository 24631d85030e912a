/**
 * A clock a test moves on by hand (the connections' back-off is measured by it), so waiting
 * out a back-off step is one call instead of a sleep. It stands still between calls, so the
 * real time a test takes never counts toward a back-off.
 */
export function steppedClock(): { now: () => number; advance: (ms: number) => void } {
  let at = Date.now()
  return {
    now: () => at,
    advance: (ms: number) => void (at += ms),
  }
}
