import { z } from 'zod'

/**
 * One rule for every name people type that others will see (organisation, connection, API
 * key): no control or format characters. Format characters include the bidi overrides
 * (U+202E turns "gpj.exe" around on screen) and zero-width ones that make two names look
 * alike; control characters break lines, CSV cells and logs.
 */
const SHOWN_AS_TYPED = /^[^\p{Cc}\p{Cf}]*$/u

/** True when `text` has no character that changes how other text is shown. */
export function isDisplayText(text: string): boolean {
  return SHOWN_AS_TYPED.test(text)
}

/** A trimmed name between `min` and `max` characters that obeys the display rule. */
export function displayText(
  max: number,
  messages: { chars: string; long?: string; short?: string },
  min = 0,
): z.ZodString {
  const base = z.string().trim()
  const sized = min > 0 ? base.min(min, messages.short) : base
  return sized.max(max, messages.long).regex(SHOWN_AS_TYPED, messages.chars)
}
