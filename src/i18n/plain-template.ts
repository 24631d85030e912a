/** Fills a text's placeholders, or undefined when i18next's own interpolator must do it. */
export type Filler = (values: Record<string, string | number>) => string | undefined

const PLACEHOLDER = /\{\{([^{}]*)\}\}/

/**
 * A text whose placeholders are all plain (`{{name}}`; a text without any is itself), split
 * once into its pieces, so that filling it in is joining strings: i18next's interpolator runs two regular expressions
 * and a string replace per value, per call, and a chart asks for one such text per bar.
 * Null for a text that holds anything else (a format, a nested key, an unescaped value, a
 * path): i18next fills those. The filler gives up (undefined) on a missing value, and on a
 * value that itself holds `{{`, where i18next replaces the first match in the whole string
 * rather than the one it found: with neither, both give the same text.
 */
export function plainTemplate(text: string): Filler | null {
  const pieces = text.split(PLACEHOLDER)
  const names: string[] = []
  const literals: string[] = []
  for (const [i, piece] of pieces.entries()) {
    if (i % 2 === 0) {
      if (piece.includes('{{')) return null
      literals.push(piece)
    } else {
      const name = piece.trim()
      if (!/^\w+$/.test(name)) return null
      names.push(name)
    }
  }
  if (names.length === 0) return () => text
  return (values) => {
    let out = literals[0]!
    for (const [i, name] of names.entries()) {
      const value = values[name]
      if (value === undefined) return undefined
      const s = String(value)
      if (s.includes('{{')) return undefined
      out += s + literals[i + 1]!
    }
    return out
  }
}
