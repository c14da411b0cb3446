import { age } from "../format.js"

export interface ProbePoint {
  readonly at: number
  readonly latency_ms: number
  readonly result: string
}

const WIDTH = 720
const HEIGHT = 160
const PAD = { left: 44, right: 8, top: 8, bottom: 22 }
const HOUR_MS = 60 * 60 * 1000

/**
 * Probe latency over the last hour, each probe a dot coloured by its result (ok, loading, or a
 * failure) and listed in the legend with its count, so the chart says it in words too.
 */
export const ProbeChart = ({ probes, now }: { readonly probes: ReadonlyArray<ProbePoint>; readonly now: number }) => {
  const from = now - HOUR_MS
  const shown = probes.filter((probe) => probe.at >= from)
  if (shown.length === 0) return <p className="muted">No probes in the last hour.</p>
  const top = Math.max(10, ...shown.map((probe) => probe.latency_ms))
  const x = (at: number) => PAD.left + ((at - from) / HOUR_MS) * (WIDTH - PAD.left - PAD.right)
  const y = (ms: number) => PAD.top + (1 - ms / top) * (HEIGHT - PAD.top - PAD.bottom)
  const counts = new Map<string, number>()
  for (const probe of shown) counts.set(probe.result, (counts.get(probe.result) ?? 0) + 1)
  const line = shown.map((probe) => `${x(probe.at).toFixed(1)},${y(probe.latency_ms).toFixed(1)}`).join(" ")
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`probe latency over the last hour: ${shown.length} probes, the slowest ${top} ms`}>
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} className="axis" />
        <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={y(0)} className="axis" />
        <text x={PAD.left - 4} y={PAD.top + 8} className="tick" textAnchor="end">
          {top} ms
        </text>
        <text x={PAD.left - 4} y={y(0)} className="tick" textAnchor="end">
          0
        </text>
        <text x={PAD.left} y={HEIGHT - 6} className="tick">
          {age(HOUR_MS)} ago
        </text>
        <text x={WIDTH - PAD.right} y={HEIGHT - 6} className="tick" textAnchor="end">
          now
        </text>
        <polyline points={line} className="latency" />
        {shown.map((probe) => (
          <circle key={probe.at} cx={x(probe.at)} cy={y(probe.latency_ms)} r={2.5} className={`probe probe-${probe.result}`} />
        ))}
      </svg>
      <figcaption>
        {[...counts].map(([result, count]) => (
          <span key={result} className={`legend probe-${result}`}>
            {result}: {count}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}
