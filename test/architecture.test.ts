import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'

// The same rules as `npm run check:imports` (.dependency-cruiser.js), run inside the suite.
const ROOT = path.resolve(import.meta.dirname, '..')
const MAX_LINES = 220
// Generated-looking tables of believable provider data, not code to read.
const LINE_LIMIT_EXEMPT = /^src\/sandbox\/(.+\/)?data\//

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { withFileTypes: true })
  const nested = await Promise.all(
    entries.map((e) => {
      const rel = `${dir}/${e.name}`
      if (e.isDirectory()) return sourceFiles(rel)
      return Promise.resolve(e.name.endsWith('.ts') ? [rel] : [])
    }),
  )
  return nested.flat()
}

describe('architecture', () => {
  it('keeps every import rule of .dependency-cruiser.js over src/', { timeout: 120_000 }, async () => {
    // Paths in the rules are relative to the project root, which vitest runs in.
    const options = await extractDepcruiseOptions(path.join(ROOT, '.dependency-cruiser.js'))
    const tsConfig = extractTSConfig(path.join(ROOT, 'tsconfig.json'))
    const { output } = await cruise(['src'], { ...options, validate: true }, undefined, { tsConfig })
    const result = output as ICruiseResult
    // A cruise that found nothing would pass every rule: make sure it saw the app.
    expect(result.summary.totalCruised).toBeGreaterThan(100)
    const violations = result.summary.violations.map((v) =>
      [v.rule.name + ':', v.from, ...(v.cycle ? v.cycle.map((c) => c.name) : [v.to])].join(' → '),
    )
    expect(violations).toEqual([])
  })

  it('keeps only main.ts at the top of src/: wiring in boot/, configuration in config/ (issue 28)', async () => {
    const top = await readdir(path.join(ROOT, 'src'), { withFileTypes: true })
    expect(top.filter((e) => e.isFile()).map((e) => e.name)).toEqual(['main.ts'])
    const rooms = top.filter((e) => e.isDirectory()).map((e) => e.name)
    expect(rooms).toEqual(expect.arrayContaining(['boot', 'config', 'audit', 'logging', 'errors']))
    // The entry point only starts: every wire is in boot/.
    const main = await readFile(path.join(ROOT, 'src/main.ts'), 'utf8')
    expect(main.match(/from '[^']+'/g)).toEqual(["from './boot/start.js'"])
  })

  it(`keeps every source file under src/ at ${MAX_LINES} lines or fewer (sandbox data tables aside)`, async () => {
    const files = (await sourceFiles('src')).filter((f) => !LINE_LIMIT_EXEMPT.test(f))
    expect(files.length).toBeGreaterThan(100)
    const long: string[] = []
    for (const file of files) {
      const lines = (await readFile(path.join(ROOT, file), 'utf8')).split('\n')
      if (lines.at(-1) === '') lines.pop()
      if (lines.length > MAX_LINES) long.push(`${file}: ${lines.length} lines`)
    }
    expect(long).toEqual([])
  })
})
