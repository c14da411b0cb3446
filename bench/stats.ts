/** Small helpers every benchmark prints with. */
export const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export const report = (name: string, figure: string, goal: string, met: boolean | undefined) =>
  console.log(`${name.padEnd(58)} ${figure.padEnd(28)} goal ${goal.padEnd(16)} ${met === undefined ? "" : met ? "met" : "NOT MET"}`)
