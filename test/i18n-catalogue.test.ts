import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { LANGUAGES, loadResources, missingKeys, plainTranslator, translator } from '../src/i18n/catalogue.js'

// Issue 18: a key missing in either language, or asked for and in neither, fails here,
// before any page can show a raw key.
const ROOT = path.resolve(import.meta.dirname, '..')
const resources = loadResources()
const PLURAL = /_(zero|one|two|few|many|other)$/

/** Each text's path in a catalogue (a flat namespace's keys may hold dots: paths, not strings). */
function paths(obj: unknown, prefix: string[] = []): string[][] {
  if (typeof obj !== 'object' || obj === null) return [prefix]
  return Object.entries(obj).flatMap(([k, v]) => paths(v, [...prefix, k]))
}
const flatten = (obj: unknown) => paths(obj).map((p) => p.join('.'))
const at = (tree: unknown, path: string[]) =>
  path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], tree)

function keySet(lang: string): Set<string> {
  const keys = new Set<string>()
  for (const [ns, tree] of Object.entries(resources[lang] ?? {}))
    for (const key of flatten(tree)) keys.add(`${ns}:${key.replace(PLURAL, '')}`)
  return keys
}

function files(dir: string, ext: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = path.join(dir, name)
    if (statSync(path.join(ROOT, rel)).isDirectory()) return files(rel, ext)
    return name.endsWith(ext) ? [rel] : []
  })
}

// The sandbox's pages are the providers' stand-ins, with a catalogue of their own.
const defaultNs = (file: string) => (/sandbox\//.test(file) ? 'sandbox' : 'common')

/** Keys named literally: `t('ns:key')`, `t('key')` (common) and schema messages `'ns:key'`. */
function usedKeys(): Array<{ file: string; key: string }> {
  const namespaces = Object.keys(resources.en ?? {}).join('|')
  const found: Array<{ file: string; key: string }> = []
  for (const file of [...files('views', '.ejs'), ...files('src', '.ts')]) {
    const text = readFileSync(path.join(ROOT, file), 'utf8')
    for (const m of text.matchAll(/\bt\(\s*'([\w.:]*\w)'/g))
      found.push({ file, key: m[1]!.includes(':') ? m[1]! : `${defaultNs(file)}:${m[1]}` })
    for (const m of text.matchAll(new RegExp(`'((?:${namespaces}):\\w+\\.[\\w.]*\\w)'`, 'g')))
      found.push({ file, key: m[1]! })
  }
  return found
}

describe('translation catalogues (issue 18)', () => {
  it('has one file per room in each language, every one valid JSON with the same namespaces', () => {
    const en = Object.keys(resources.en ?? {}).sort()
    expect(en).toEqual(
      expect.arrayContaining(['common', 'auth', 'admin', 'support', 'dashboard', 'mail', 'sandbox']),
    )
    for (const lang of LANGUAGES) expect(Object.keys(resources[lang] ?? {}).sort()).toEqual(en)
  })

  it('has every key in both languages, and no empty text', () => {
    const [en, de] = [keySet('en'), keySet('de')]
    expect([...en].filter((k) => !de.has(k))).toEqual([])
    expect([...de].filter((k) => !en.has(k))).toEqual([])
    for (const lang of LANGUAGES)
      for (const [ns, tree] of Object.entries(resources[lang] ?? {})) {
        const empty = paths(tree)
          .filter((p) => {
            const v = at(tree, p)
            return typeof v !== 'string' || !v.trim()
          })
          .map((p) => p.join('.'))
        expect(empty.map((k) => `${lang}/${ns}:${k}`)).toEqual([])
      }
  })

  it('keeps each interpolation of a text in its translation', () => {
    const vars = (s: string) =>
      [...s.matchAll(/\{\{(\w+)\}\}/g)]
        .map((m) => m[1])
        .filter((v) => v !== 'count')
        .sort()
    const mismatched: string[] = []
    for (const [ns, tree] of Object.entries(resources.en ?? {}))
      for (const path of paths(tree)) {
        const en = at(tree, path) as string
        const de = at(resources.de?.[ns], path)
        // Plural forms may differ in words but not in what they interpolate.
        if (typeof de === 'string' && JSON.stringify(vars(en)) !== JSON.stringify(vars(de)))
          mismatched.push(`${ns}:${path.join('.')}`)
      }
    expect(mismatched).toEqual([])
  })

  it('keys the provider phrases by their own English', () => {
    const phrases = Object.entries(resources.en?.providers ?? {})
    expect(phrases.length).toBeGreaterThan(20)
    expect(phrases.filter(([k, v]) => k !== v)).toEqual([])
  })

  it('knows every key that a view or a source file names', () => {
    const keys = keySet('en')
    const used = usedKeys()
    expect(used.length).toBeGreaterThan(100)
    expect(used.filter((u) => !keys.has(u.key)).map((u) => `${u.file}: ${u.key}`)).toEqual([])
  })

  it('leaves no English text between tags of a translated view', () => {
    // Every text node of every view is an EJS output (or a product name, code, or sign).
    const translated = files('views', '.ejs')
    const leftovers: string[] = []
    for (const file of translated) {
      const text = readFileSync(path.join(ROOT, file), 'utf8')
        .replace(/<%[\s\S]*?%>/g, ' ')
        .replace(/<(script|style|code|pre)[\s\S]*?<\/\1>/g, ' ')
        .replace(/<[^>]+>/g, '\n')
      for (const line of text.split('\n')) {
        const words = line.replace(/&[a-z]+;|[·–—→←↑↓.,:;()!?"'“”’…/@+-]|\d/g, ' ').trim()
        if (
          /[A-Za-z]{3,}/.test(words) &&
          !/^(Switchboard|SMTP_URL|sms\s+io|sms77|nexmo|CSV|API)$/.test(words)
        )
          leftovers.push(`${file}: ${words}`)
      }
    }
    expect(leftovers).toEqual([])
  })
})

describe('texts with values, kept per language', () => {
  it('fills in every text with values exactly as i18next does, in both languages', () => {
    // Values that would show a second interpolation or nesting if anything ran twice.
    // Replacement patterns ($&, $1) would show if a value went through String.replace raw.
    const tricky = ['Anna <b>&amp; "Co"</b>', '{{other}}', '$t(common:appName)', '1.234,56 €', '$& $1 $$ $`']
    let compared = 0
    for (const lang of LANGUAGES) {
      const [kept, plain] = [translator(lang), plainTranslator(lang)]
      for (const [ns, tree] of Object.entries(resources[lang] ?? {})) {
        if (ns === 'providers') continue // keyed by English phrases, with their own separators
        for (const p of paths(tree)) {
          const text = at(tree, p)
          if (typeof text !== 'string' || !text.includes('{{')) continue
          const key = `${ns}:${p.join('.').replace(PLURAL, '')}`
          const names = [...text.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]!).filter((n) => n !== 'count')
          for (const [i, value] of tricky.entries()) {
            const values: Record<string, string | number> = Object.fromEntries(names.map((n) => [n, value]))
            if (PLURAL.test(p.join('.'))) values.count = i + 1
            expect(kept(key, values), `${lang} ${key}`).toBe(plain(key, values))
            // A default only matters for a key the catalogue lacks.
            const withDefault = { ...values, defaultValue: 'Default {{other}}' }
            expect(kept(key, withDefault), `${lang} ${key} with a default`).toBe(plain(key, withDefault))
            compared++
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(100)
    // Every count a plural text can get (0 has forms of its own in i18next), and a plain
    // text asked with a default (the scopes' meanings).
    for (const lang of LANGUAGES) {
      const [kept, plain] = [translator(lang), plainTranslator(lang)]
      for (const count of [0, 1, 2, 1.5, -1, 21, 1e6]) {
        const values = { messages: '3', cost: '1 €', count }
        expect(kept('dashboard:chart.summary', values), `${lang} ${count}`).toBe(
          plain('dashboard:chart.summary', values),
        )
      }
      const scope = { defaultValue: 'Meaning from the provider' }
      expect(kept('dashboard:scopes.analytics', scope)).toBe(plain('dashboard:scopes.analytics', scope))
      expect(kept('dashboard:scopes.nonesuch', scope)).toBe(plain('dashboard:scopes.nonesuch', scope))
    }
    // A value holding a placeholder of its own text: i18next replaces the first match in the
    // whole string, not the one it found; the kept texts leave that case to it.
    for (const lang of LANGUAGES) {
      const values = { label: '{{messages}}', messages: 5, cost: '1 €' }
      expect(translator(lang)('dashboard:chart.bar', values)).toBe(
        plainTranslator(lang)('dashboard:chart.bar', values),
      )
    }
    // A key the catalogue lacks is still reported as missing, with values too.
    missingKeys.clear()
    expect(translator('de')('dashboard:no.such.key', { name: 'x' })).toBe('no.such.key')
    expect([...missingKeys]).toEqual(['de:dashboard:no.such.key'])
  })
})
