import { Schema } from "effect"

/** A process as one look at Win32_Process shows it; startTime as startTimeFrom gives it. */
export interface CimProcess {
  readonly pid: number
  readonly parentPid: number
  readonly startTime: string | undefined
  readonly commandLine: string | null
}

/** A string of PowerShell's single quotes, where only a quote itself needs escaping (doubled). */
const quoted = (text: string) => `'${text.replaceAll("'", "''")}'`

/**
 * The PowerShell that lists processes (those of a WQL `filter`, else all) as JSON. The start time
 * is made a UTC ISO string here, so no version's own way of writing a DateTime (Windows PowerShell
 * 5.1's "\/Date(ms)\/", PowerShell 7's local ISO) or a console's code page gets between it and
 * us. Command lines only when asked: a look at every process with its command line can be large.
 */
export const lookScript = (look: { readonly filter?: string; readonly commandLines: boolean }): string =>
  [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false",
    `$found = @(Get-CimInstance -ClassName Win32_Process${look.filter === undefined ? "" : ` -Filter ${quoted(look.filter)}`} | ForEach-Object {`,
    "  [pscustomobject]@{",
    "    ProcessId = $_.ProcessId",
    "    ParentProcessId = $_.ParentProcessId",
    // The System Idle Process has none.
    "    CreationDate = $(if ($_.CreationDate) { $_.CreationDate.ToUniversalTime().ToString('o') })",
    ...(look.commandLines ? ["    CommandLine = $_.CommandLine"] : []),
    "  }",
    "})",
    "ConvertTo-Json -InputObject $found -Compress"
  ].join("\n")

/** Milliseconds from a fraction of a second's digits: cut, never rounded, as .NET does. */
const millis = (digits: string) => Number(digits.slice(0, 3).padEnd(3, "0"))

/**
 * A process's start time, however a PowerShell printed it, as milliseconds since the epoch (a
 * decimal string), so that one instant compares equal in any of its forms: ms is what all of
 * them hold (DMTF and .NET hold more).
 *   "/Date(1796270400123)/"              ConvertTo-Json of a DateTime in Windows PowerShell 5.1 (UTC; an offset after the ms only names the zone)
 *   "2026-12-03T05:00:00.1234567+01:00"  ISO 8601 as PowerShell 7 prints it and lookScript asks for; with no zone, this machine's local time
 *   "20261203050000.123456+060"          CIM's own DMTF form, its offset in minutes
 */
export const startTimeFrom = (text: string): string | undefined => {
  const ms = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(text)
  if (ms !== null) return String(Number(ms[1]))
  const dmtf = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-]\d{3})$/.exec(text)
  if (dmtf !== null) {
    const [year, month, day, hour, minute, second, micro, offset] = dmtf.slice(1).map(Number) as [number, number, number, number, number, number, number, number]
    return String(Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(micro / 1000)) - offset * 60_000)
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))?$/.exec(text)
  if (iso === null) return undefined
  const [year, month, day, hour, minute, second] = iso.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const fraction = millis(iso[7] ?? "")
  if (iso[8] === undefined) return String(new Date(year, month - 1, day, hour, minute, second, fraction).getTime())
  const offset = iso[8] === "Z" ? 0 : (iso[9] === "-" ? -1 : 1) * (Number(iso[10]) * 60 + Number(iso[11]))
  return String(Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offset * 60_000)
}

const Row = Schema.Struct({
  ProcessId: Schema.Number,
  ParentProcessId: Schema.Number,
  CreationDate: Schema.NullOr(Schema.String),
  CommandLine: Schema.optional(Schema.NullOr(Schema.String))
})
// ConvertTo-Json prints one result as an object, not an array of one (and none as nothing at all).
const decodeRows = Schema.decodeUnknownSync(Schema.Union(Schema.Array(Row), Row))

/** What a look printed, as processes; throws on anything that is not such output. */
export const parseProcesses = (stdout: string): ReadonlyArray<CimProcess> => {
  const text = stdout.replace(/^\uFEFF/, "").trim()
  if (text === "") return []
  const rows = decodeRows(JSON.parse(text))
  return (Array.isArray(rows) ? rows : [rows]).map((row: typeof Row.Type) => ({
    pid: row.ProcessId,
    parentPid: row.ParentProcessId,
    startTime: row.CreationDate === null ? undefined : startTimeFrom(row.CreationDate),
    commandLine: row.CommandLine ?? null
  }))
}

/**
 * Every descendant of `pid` in one look, nearest first. A parent's pid may have been reused since
 * it died, so a process counts as a child only if it is known to have started no earlier than its
 * parent; [] when `pid` itself is not in the look.
 */
export const descendantsIn = (processes: ReadonlyArray<CimProcess>, pid: number): ReadonlyArray<number> => {
  const root = processes.find((process) => process.pid === pid)
  if (root === undefined) return []
  const startOf = (process: CimProcess) => (process.startTime === undefined ? Number.NaN : Number(process.startTime))
  const found: Array<CimProcess> = []
  const seen = new Set([pid])
  const queue = [root]
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for (const child of processes) {
      if (child.parentPid !== parent.pid || seen.has(child.pid) || !(startOf(child) >= startOf(parent))) continue
      seen.add(child.pid)
      found.push(child)
      queue.push(child)
    }
  }
  return found.map((process) => process.pid)
}
