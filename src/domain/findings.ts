/** One problem with a config, in the words an operator needs to fix it. */
export interface Finding {
  /** JSON path inside the file ("server.port", "args[2]"), or "" for the file as a whole. */
  readonly field: string
  readonly problem: string
  readonly hint: string
}

/** A finding located in a file (and, under a home, an instance). */
export interface FileFinding extends Finding {
  readonly file: string
  readonly instance?: string
}
