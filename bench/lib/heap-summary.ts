import { readFileSync } from 'node:fs'

/** One kind of thing on the V8 heap: its type and constructor (or string/code kind), and its bytes. */
export interface HeapKind {
  kind: string
  count: number
  bytes: number
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

/**
 * What a heap snapshot (v8.writeHeapSnapshot) holds, by kind, largest first: each node's own
 * (shallow) size summed per type and name, so what fills the heap is named without a browser.
 */
export function summarizeHeap(file: string, top = 12): { totalBytes: number; kinds: HeapKind[] } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const [TYPE, NAME, SIZE] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ]
  const width = fields.length
  const kinds = new Map<string, HeapKind>()
  let totalBytes = 0
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + TYPE]!]!
    const bytes = snap.nodes[i + SIZE]!
    // Strings and code are many small things with many names: counted by type only.
    const named = type === 'object' || type === 'native' || type === 'closure'
    const kind = named ? `${type} ${snap.strings[snap.nodes[i + NAME]!]!.slice(0, 60)}` : type
    const k = kinds.get(kind) ?? { kind, count: 0, bytes: 0 }
    k.count++
    k.bytes += bytes
    kinds.set(kind, k)
    totalBytes += bytes
  }
  return { totalBytes, kinds: [...kinds.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top) }
}
