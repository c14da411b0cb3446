import type { State } from "../../src/domain/instances.js"
import { reconcile } from "../../src/domain/supervise.js"
import { platform } from "../../src/runtime/platform/current.js"

const { findMarked, isAlive } = platform

/**
 * Issue 15's promise, as the chaos bench and the crash-point tests check it after a daemon
 * settles. No vitest here: the bench runs it outside the test runner.
 */

/** Settled: nothing left to do for any instance, and every recorded process is alive. */
export const settled = (state: State, now = Date.now()) =>
  Object.values(state.instances).every(
    (instance) => reconcile(instance, now) === "none" && (instance.pid === null || (instance.start_time !== null && isAlive(instance.pid, instance.start_time)))
  )

/**
 * What breaks the promise: an instance with two servers, a live marked server that is not wanted
 * up or that the journal does not name, a server the journal names that is not alive. Each
 * violation names its instance, so its history can be shown beside it.
 */
export const violations = (home: string, state: State): ReadonlyArray<{ readonly instance: string; readonly problem: string }> => {
  const found: Array<{ instance: string; problem: string }> = []
  const live = findMarked(home)
  const names = new Set([...Object.keys(state.instances), ...live.map((marked) => marked.instance)])
  for (const name of names) {
    const mine = live.filter((marked) => marked.instance === name)
    const instance = state.instances[name]
    if (mine.length > 1) found.push({ instance: name, problem: `${name} has ${mine.length} servers (${mine.map((marked) => marked.pid).join(", ")})` })
    for (const server of mine) {
      if (instance?.desired !== "up") found.push({ instance: name, problem: `${name} runs pid ${server.pid} but is wanted down` })
      if (instance?.pid !== server.pid) found.push({ instance: name, problem: `${name} runs pid ${server.pid}, the journal says ${instance?.pid ?? null}` })
    }
    if (instance?.pid !== null && instance?.pid !== undefined && (instance.start_time === null || !isAlive(instance.pid, instance.start_time))) {
      found.push({ instance: name, problem: `${name}: the journal names pid ${instance.pid}, which is not running` })
    }
  }
  return found
}
