/**
 * What the support search matches: the start of any word of an account's email, account
 * name and company, case-insensitively. Each word start becomes one index entry holding the
 * text from there on (so "gmbh 3" and "00042@acme.test" match as typed), cut short so an
 * index page stays within Redis's compact listpack encoding (64-byte members).
 */

/**
 * Bytes of text an index entry keeps (an email's: enough to order by email; a later word's:
 * enough to narrow a search); longer queries are checked against the stored text.
 */
export const MAX_EMAIL_BYTES = 32
export const MAX_WORD_BYTES = 20

/** Namespaces of the index: `e` is an email from its start (also the email sort), `w` a later word. */
export type EntryNamespace = 'e' | 'w'

const WORD_CHAR = /[\p{L}\p{N}]/u

/** Lower case, one space for any run of white space, no NUL (the index's separator). */
export function normaliseText(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\0/g, '').replace(/\s+/g, ' ').trim()
}

/** `s` without accents ("bäckerei" → "backerei", "straße" → "strasse"), for people who type none. */
export function foldAccents(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss').normalize('NFC')
}

/**
 * The words as stored beside the index (tab-separated), empty ones and repeats dropped; a
 * word with accents is also kept without them, so "back" finds "Bäckerei" and "bäck" still
 * does (as it did in entries stored before folding).
 */
export function storedText(words: string[]): string {
  const seen = new Set<string>()
  const normal = words.map(normaliseText)
  return [...normal, ...normal.map(foldAccents)].filter((w) => w && !seen.has(w) && seen.add(w)).join('\t')
}

/** `s` cut to at most `max` UTF-8 bytes, never inside a character. */
export function cutToBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s
  let out = ''
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max) break
    out += ch
  }
  return out
}

/**
 * The index entries (namespace + cut text, without the member) of a stored text whose first
 * word is the email. A text that starts another of the same account's entries is dropped:
 * every query it answers, the longer one answers too.
 */
export function entriesOf(text: string): string[] {
  if (!text) return []
  const found: Array<{ ns: EntryNamespace; text: string }> = []
  text.split('\t').forEach((word, w) => {
    const chars = [...word]
    chars.forEach((ch, i) => {
      const start = i === 0 || (WORD_CHAR.test(ch) && !WORD_CHAR.test(chars[i - 1]!))
      if (!start) return
      const ns = w === 0 && i === 0 ? 'e' : 'w'
      const cut = cutToBytes(chars.slice(i).join(''), ns === 'e' ? MAX_EMAIL_BYTES : MAX_WORD_BYTES)
      found.push({ ns, text: cut })
    })
  })
  const kept = found.filter(
    (a, i) =>
      a.ns === 'e' ||
      !found.some(
        (b, j) => j !== i && b.text.startsWith(a.text) && (b.text !== a.text || j < i || b.ns === 'e'),
      ),
  )
  return [...new Set(kept.map((e) => e.ns + e.text))]
}
