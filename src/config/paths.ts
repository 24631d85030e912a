import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// Code runs from src/ under tsx and from dist/src/ once built; walk up to the folder
// holding package.json so views/ and public/ resolve the same way in both.
function findProjectRoot(start: string): string {
  let dir = start
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`package.json not found above ${start}`)
    dir = parent
  }
  return dir
}

export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)))
export const VIEWS_DIR = path.join(PROJECT_ROOT, 'views')
export const PUBLIC_DIR = path.join(PROJECT_ROOT, 'public')
/** The translation catalogues: locales/<language>/<namespace>.json (issue 18). */
export const LOCALES_DIR = path.join(PROJECT_ROOT, 'locales')
