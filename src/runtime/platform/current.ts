import { linux } from "./linux.js"
import type { Platform } from "./platform.js"
import { posix } from "./posix.js"
import { windows } from "./windows.js"

/** This machine's platform, chosen once at start. */
export const platform: Platform = process.platform === "linux" ? linux : process.platform === "win32" ? windows : posix
