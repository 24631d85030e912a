import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createMetrics } from '../src/ops/metrics.js'
import { startTestApp, type TestApp } from './helpers/app.js'

/**
 * ops/grafana/switchboard.json and ops/prometheus/alerts.yml may only ask for metrics the
 * app really exports: every name in every query is looked up in a real app's `/metrics`.
 */
const run = promisify(execFile)

interface Panel {
  title: string
  type: string
  targets?: { expr: string }[]
}
const dashboard = JSON.parse(readFileSync('ops/grafana/switchboard.json', 'utf8')) as {
  uid: string
  panels: Panel[]
}
const dashboardQueries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))
const alertQueries = (
  parse(readFileSync('ops/prometheus/alerts.yml', 'utf8')) as { groups: { rules: { expr: string }[] }[] }
).groups.flatMap((g) => g.rules.map((r) => r.expr))

/** Prometheus's own series, not the app's. */
const FROM_PROMETHEUS = new Set(['up'])
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN'])

/** The metric names a PromQL expression selects (functions, labels, ranges and keywords left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const m of bare.matchAll(/(?<![\w.$])[A-Za-z_:][\w:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart()
    if (after.startsWith('(') || KEYWORDS.has(m[0])) continue
    names.add(m[0])
  }
  return [...names]
}

/** Every series name /metrics can carry: counters and gauges as named, histograms' three. */
function exported(text: string): Set<string> {
  const names = new Set<string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string]
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s)
    else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s)
    else names.add(name)
  }
  return names
}

let t: TestApp
let metricsText: string
beforeAll(async () => {
  t = await startTestApp({ name: 'ops-dashboard', deps: { metrics: createMetrics() } })
  metricsText = (await supertest(t.app).get('/metrics').expect(200)).text
})
afterAll(() => t.close())

describe('PromQL names', () => {
  it('reads metric names out of an expression, and only those', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{job="$job",x=~"5.."}[$__rate_interval]))) / ignoring(x) b_total > 1.25 * max by (job) (c:d) and on() up',
      ).sort(),
    ).toEqual(['a_bucket', 'b_total', 'c:d', 'up'])
    expect(metricNames('sum(rate(token_refreshes_total{outcome="error"}[5m])) > bool 0.1')).toEqual([
      'token_refreshes_total',
    ])
  })
})

describe('the Grafana dashboard', () => {
  it('is importable JSON with a query in every panel', () => {
    expect(dashboard.uid).toBe('switchboard')
    const graphs = dashboard.panels.filter((p) => p.type !== 'row')
    expect(graphs.length).toBeGreaterThan(15)
    for (const p of graphs) expect(p.targets?.length, p.title).toBeGreaterThan(0)
  })

  it('shows what operators asked for', () => {
    const titles = dashboard.panels.map((p) => p.title).join('\n')
    for (const want of [
      /Requests by route/,
      /Latency p95 by route/,
      /Token refreshes/,
      /Refresh failure ratio/,
      /Connections by status/,
      /Jobs by queue/,
      /Queue depth/,
      /Keep-alive lag/,
      /Webhook deliveries/,
    ])
      expect(titles).toMatch(want)
  })

  it('every query (and every alert rule) names only metrics the app exports', () => {
    const names = exported(metricsText)
    expect(names).toContain('http_request_duration_seconds_bucket')
    const queries = [...dashboardQueries, ...alertQueries]
    const used = new Set(queries.flatMap(metricNames))
    expect(used.size).toBeGreaterThan(12)
    const unknown = [...used].filter((n) => !names.has(n) && !FROM_PROMETHEUS.has(n))
    expect(unknown).toEqual([])
  })

  it('every query is valid PromQL (as promtool parses rules)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-dash-'))
    try {
      const rules = dashboardQueries.map((expr, i) => ({
        record: `dashboard:query_${i}`,
        expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', 'switchboard'),
      }))
      const file = path.join(dir, 'dashboard-rules.yml')
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }))
      const { stdout } = await run('promtool', ['check', 'rules', file])
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
