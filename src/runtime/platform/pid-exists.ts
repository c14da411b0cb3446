/**
 * Whether some process has this pid, on any platform: kill(pid, 0) sends nothing and asks only
 * whether the pid is taken (EPERM: taken, by a process of another user). Not by whom: callers
 * that must know check an identity too, or trust only what that process says of itself.
 * Plain code: the thin launcher uses it before anything else is loaded.
 */
export const pidExists = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}
