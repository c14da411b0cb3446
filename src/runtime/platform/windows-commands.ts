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

/**
 * The PowerShell that sends Ctrl-C to the console of process `pid`: it leaves its own console,
 * joins that one, ignores Ctrl-C itself (it is on that console too now) and generates the event,
 * which every process on the console receives (CTRL_C_EVENT is 0; group 0 is the whole console).
 */
export const ctrlCScript = (pid: number): string =>
  [
    "$ErrorActionPreference = 'Stop'",
    "Add-Type -Namespace Orch -Name CtrlC -MemberDefinition @'",
    '[DllImport("kernel32.dll", SetLastError = true)] public static extern bool FreeConsole();',
    '[DllImport("kernel32.dll", SetLastError = true)] public static extern bool AttachConsole(uint processId);',
    '[DllImport("kernel32.dll", SetLastError = true)] public static extern bool SetConsoleCtrlHandler(IntPtr handler, bool add);',
    '[DllImport("kernel32.dll", SetLastError = true)] public static extern bool GenerateConsoleCtrlEvent(uint ctrlEvent, uint processGroupId);',
    "'@",
    "[void][Orch.CtrlC]::SetConsoleCtrlHandler([IntPtr]::Zero, $true)",
    "[void][Orch.CtrlC]::FreeConsole()",
    `if ([Orch.CtrlC]::AttachConsole(${pid})) {`,
    "  [void][Orch.CtrlC]::GenerateConsoleCtrlEvent(0, 0)",
    "  [void][Orch.CtrlC]::FreeConsole()",
    "}"
  ].join("\n")

/** taskkill's argv that ends `pid` and every process it started, whatever they are doing. */
export const killTreeArgv = (pid: number): ReadonlyArray<string> => ["/PID", String(pid), "/T", "/F"]

/** taskkill's argv that ends these processes alone, in one call. */
export const killArgv = (pids: ReadonlyArray<number>): ReadonlyArray<string> => [...pids.flatMap((pid) => ["/PID", String(pid)]), "/F"]
