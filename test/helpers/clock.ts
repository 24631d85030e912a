/**
 * A clock a test moves on by hand (the connections' back-off is measured by it), so waiting
 * out a back-off step is one call instead of a sleep.
 */
export function steppedClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0
  return {
    now: () => Date.now() + offset,
    advance: (ms: number) => void (offset += ms),
  }
}
