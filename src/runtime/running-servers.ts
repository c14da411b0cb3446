import { platform } from "./platform/current.js"

/**
 * The servers of this home that run, by instance, as the processes themselves show them: each
 * recorded one (a journal's pid and start time) that still runs, and every one found by its
 * markers (on Windows, its command line), recorded or not. For checking what a journal says,
 * which may not be so.
 */
export const runningServers = (
  home: string,
  recorded: ReadonlyArray<{ readonly instance: string; readonly pid: number; readonly startTime: string }>
): ReadonlyMap<string, ReadonlyArray<number>> => {
  const found = new Map<string, Set<number>>()
  const add = (instance: string, pid: number) => {
    const pids = found.get(instance) ?? new Set<number>()
    found.set(instance, pids.add(pid))
  }
  for (const server of recorded) if (platform.isAlive(server.pid, server.startTime)) add(server.instance, server.pid)
  for (const marked of platform.findMarked(home)) add(marked.instance, marked.pid)
  return new Map([...found].map(([instance, pids]) => [instance, [...pids].sort((a, b) => a - b)]))
}
