import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import ejs from 'ejs'

// Express loads view engines with require(): EJS's CommonJS build, a module apart from the
// ES build this file imports (which src/dashboard/page-render.ts uses). Both read templates.
const ejsForExpress = createRequire(import.meta.url)('ejs') as typeof ejs

/** `include('name'` or `include("name"` with a relative name (the views' own form). */
const RELATIVE_INCLUDE = /\binclude\(\s*(['"])([^'"/][^'"]*)\1/g

let installed: string | undefined

/**
 * EJS looks up every relative include on disk (`fs.existsSync`) each time a page renders,
 * even with its template cache on (about 1 % of a page per include). Resolved here once,
 * when a template is read, to the absolute path EJS would have found (beside the including
 * file first, then in the views folder), so rendering touches no file system. The views
 * themselves stay as they are.
 */
export function resolveIncludesOnLoad(viewsDir: string): void {
  // Absolute include names must be plain `/…` paths for EJS to take them as they are.
  if (installed === viewsDir || path.sep !== '/') return
  installed = viewsDir
  const load = (filePath: string) =>
    fs.readFileSync(filePath, 'utf8').replace(RELATIVE_INCLUDE, (whole, quote: string, name: string) => {
      const found = find(filePath, name, viewsDir)
      return found ? `include(${quote}${found}${quote}` : whole
    })
  ejs.fileLoader = load
  ejsForExpress.fileLoader = load
}

function find(from: string, name: string, viewsDir: string): string | undefined {
  const file = path.extname(name) ? name : `${name}.ejs`
  for (const dir of [path.dirname(from), viewsDir]) {
    const candidate = path.resolve(dir, file)
    if (!/['"\\]/.test(candidate) && fs.existsSync(candidate)) return candidate
  }
  return undefined
}
