/**
 * The argv of `powershell` running `script`. The script goes base64-encoded (-EncodedCommand,
 * UTF-16LE as PowerShell reads it), so no quoting between Node's command line and PowerShell's
 * parser can change it, and a look's own command line never holds what the look searches for.
 */
export const powershellArgv = (script: string): ReadonlyArray<string> => [
  "-NoProfile",
  "-NonInteractive",
  "-EncodedCommand",
  Buffer.from(script, "utf16le").toString("base64")
]

/** taskkill's argv that ends `pid` and every process it started, whatever they are doing. */
export const killTreeArgv = (pid: number): ReadonlyArray<string> => ["/PID", String(pid), "/T", "/F"]

/** taskkill's argv that ends these processes alone, in one call. */
export const killArgv = (pids: ReadonlyArray<number>): ReadonlyArray<string> => [...pids.flatMap((pid) => ["/PID", String(pid)]), "/F"]
