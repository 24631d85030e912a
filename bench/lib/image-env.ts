import { readFileSync } from 'node:fs'

/**
 * The C library settings the image runs the app with (`ENV MALLOC_…` in the Dockerfile), so
 * the benchmarks measure the app's memory as it runs in production, from the one place that
 * sets them.
 */
export function imageMallocEnv(
  dockerfile = new URL('../../Dockerfile', import.meta.url),
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const m of readFileSync(dockerfile, 'utf8').matchAll(/^ENV (MALLOC_\w+)=(\S+)$/gm)) env[m[1]!] = m[2]!
  return env
}
