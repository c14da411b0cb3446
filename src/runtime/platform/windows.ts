import type { Platform } from "./platform.js"
import { posix } from "./posix.js"

export const windows: Platform = posix
