import { ConfigError, loadConfig } from '../../src/config/config.js'

/** The lines a bad environment is refused with ([] when it loads). */
export function configErrors(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (e) {
    if (e instanceof ConfigError) return e.lines
    throw e
  }
  return []
}
