import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

/**
 * `npx tsx bench/profile-top.ts bench/profiles/app.cpuprofile [--top 25] [--match src/]`:
 * the functions with the most self time in a V8 CPU profile (also by package or file), and
 * the most inclusive time among those whose location matches (default: the app's own code
 * and its dependencies). `--requests N` adds CPU µs per request for a process that served N.
 */
interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  children?: number[]
}
interface Profile {
  nodes: Node[]
  startTime: number
  endTime: number
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    match: { type: 'string', default: '' },
    requests: { type: 'string' },
  },
})
const file = positionals[0]
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [--top N] [--match TEXT] [--requests N]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(values.top)
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const total = profile.nodes.reduce((s, n) => s + n.hitCount, 0)

const label = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/')
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`
}
const msPerSample = (profile.endTime - profile.startTime) / 1000 / total
// With --requests N (how many requests the process served), also CPU µs per request.
const requests = values.requests ? Number(values.requests) : 0
const pct = (hits: number) =>
  `${((hits / total) * 100).toFixed(1).padStart(5)}%` +
  (requests
    ? ` ${Math.round((hits * msPerSample * 1000) / requests)
        .toString()
        .padStart(5)} µs/req`
    : '')

const self = new Map<string, number>()
for (const n of profile.nodes) self.set(label(n), (self.get(label(n)) ?? 0) + n.hitCount)

// Self time by owner: a package, a source file, a view, node's internals or V8 itself.
const owner = (n: Node) => {
  const url = n.callFrame.url
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]
  if (pkg) return `pkg ${pkg}`
  const own = /\/work\/[^/]+\/((?:src|bench|views)\/.*)$/.exec(url.replace(/^"|"$/g, ''))?.[1]
  if (own) return own
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/').slice(0, 2).join('/')}`
  return n.callFrame.functionName.startsWith('(')
    ? n.callFrame.functionName
    : `native ${n.callFrame.functionName}`
}
const owners = new Map<string, number>()
for (const n of profile.nodes) owners.set(owner(n), (owners.get(owner(n)) ?? 0) + n.hitCount)

// Inclusive time per label, counting a label once per stack even when it recurses.
const inclusive = new Map<string, number>()
const walk = (id: number, onStack: Set<string>): number => {
  const n = byId.get(id)!
  const l = label(n)
  const here = new Set(onStack).add(l)
  const hits = n.hitCount + (n.children ?? []).reduce((s, c) => s + walk(c, here), 0)
  if (!onStack.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + hits)
  return hits
}
walk(profile.nodes[0]!.id, new Set())

const print = (title: string, m: Map<string, number>, filter: (l: string) => boolean) => {
  console.log(`\n${title}`)
  for (const [l, h] of [...m]
    .filter(([l]) => filter(l))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(`${pct(h)}  ${l}`)
}
console.log(`${file}: ${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`)
print('self time by owner', owners, () => true)
print('self time', self, () => true)
print('inclusive time', inclusive, (l) =>
  values.match ? l.includes(values.match) : /(src|node_modules)\//.test(l),
)
