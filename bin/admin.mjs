#!/usr/bin/env node
// `npm run admin -- <command>`: runs the TypeScript source where tsx is installed (a
// checkout), and the built CLI where it is not (the production image).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const fromSource =
  existsSync(join(root, 'node_modules/tsx')) && existsSync(join(root, 'src/boot/admin-cli.ts'))
const args = fromSource
  ? ['--import', 'tsx', join(root, 'src/boot/admin-cli.ts')]
  : [join(root, 'dist/src/boot/admin-cli.js')]
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(result.status ?? 1)
