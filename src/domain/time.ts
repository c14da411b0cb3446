/** The range a JavaScript Date can show: ±100 million days around 1970. */
const MAX_TIME_MS = 8.64e15

/** Whether `ms` is a time a Date can show: a broken row's may not be. */
export const isShowableTime = (ms: number) => Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS
