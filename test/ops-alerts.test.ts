import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/**
 * ops/prometheus/alerts.yml, checked and unit-tested by Prometheus's own `promtool` (Debian
 * package `prometheus`; .ci/run installs it), so the rules are the ones Prometheus will load.
 */
const run = promisify(execFile)
const DIR = path.resolve('ops/prometheus')
const RULES = path.join(DIR, 'alerts.yml')

interface Rule {
  alert: string
  expr: string
  annotations?: Record<string, string>
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
)

describe('Prometheus alert rules', () => {
  it('pass `promtool check rules`', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES])
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`)
  })

  it('pass their `promtool test rules` unit tests', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR })
    expect(stdout).toContain('SUCCESS')
  })

  it('cover what operators asked for, each tested, with a summary, description and runbook', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'SwitchboardDeadLetters',
        'SwitchboardHigh5xxRatio',
        'SwitchboardInstanceDown',
        'SwitchboardKeepaliveLagging',
        'SwitchboardNotReady',
        'SwitchboardQueueBacklog',
        'SwitchboardRedisCommandTimeouts',
        'SwitchboardRefreshFailures',
        'SwitchboardWebhookFailures',
      ].sort(),
    )
    const tests = readFileSync(path.join(DIR, 'alerts.test.yml'), 'utf8')
    const runbook = readFileSync('docs/operations.md', 'utf8')
    for (const rule of rules) {
      expect(rule.annotations?.summary, rule.alert).toBeTruthy()
      expect(rule.annotations?.description, rule.alert).toBeTruthy()
      // Each alert fires at least once in the unit tests (an `exp_labels` under its name).
      expect(tests, rule.alert).toMatch(
        new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`),
      )
      expect(rule.annotations?.runbook).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`)
      expect(runbook, `a runbook heading for ${rule.alert}`).toContain(`\n#### ${rule.alert}\n`)
    }
  })
})
