/**
 * Server-side SVG geometry for the analytics chart: bars for messages, a line for cost.
 * Computed here so the template only places shapes and the page needs no script.
 */
export interface ChartPoint {
  label: string
  messages: number
  cost: number
}

export interface ChartGeometry {
  width: number
  height: number
  bars: Array<{ x: number; y: number; w: number; h: number; label: string; messages: number; cost: number }>
  costLine: string
  maxMessages: number
  maxCost: number
  /** Axis ticks with the point's whole label; the page shortens it for the reader (fmt.shortDay). */
  ticks: Array<{ x: number; label: string }>
  totalMessages: number
  totalCost: number
}

const W = 640
const H = 200
const PAD = { left: 36, right: 36, top: 12, bottom: 28 }

export function chartGeometry(points: ChartPoint[]): ChartGeometry {
  const maxMessages = Math.max(1, ...points.map((p) => p.messages))
  const maxCost = Math.max(0.0001, ...points.map((p) => p.cost))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const step = plotW / Math.max(1, points.length)
  const bars = points.map((p, i) => {
    const h = (p.messages / maxMessages) * plotH
    return {
      x: PAD.left + i * step + step * 0.15,
      y: PAD.top + plotH - h,
      w: step * 0.7,
      h,
      label: p.label,
      messages: p.messages,
      cost: p.cost,
    }
  })
  const costLine = points
    .map(
      (p, i) =>
        `${(PAD.left + i * step + step / 2).toFixed(1)},${(PAD.top + plotH - (p.cost / maxCost) * plotH).toFixed(1)}`,
    )
    .join(' ')
  const every = Math.max(1, Math.ceil(points.length / 6))
  const ticks = points.flatMap((p, i) =>
    i % every === 0 ? [{ x: PAD.left + i * step + step / 2, label: p.label }] : [],
  )
  return {
    width: W,
    height: H,
    bars,
    costLine,
    maxMessages,
    maxCost,
    ticks,
    totalMessages: points.reduce((s, p) => s + p.messages, 0),
    totalCost: points.reduce((s, p) => s + p.cost, 0),
  }
}
