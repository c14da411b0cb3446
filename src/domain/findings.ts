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

/** The most of a finding's text shown: a value quoted from a file can be megabytes long. */
const MAX_SHOWN = 300

/**
 * A finding's words as shown: on one line, since a control character quoted from a file (a CR in
 * a host name, a DEL in a key) would break the table or move the terminal's cursor, and short.
 */
export const oneLine = (text: string) => {
  const escaped = text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`)
  return escaped.length > MAX_SHOWN ? `${escaped.slice(0, MAX_SHOWN)}…` : escaped
}

export const shownFinding = <F extends Finding>(finding: F): F => ({ ...finding, field: oneLine(finding.field), problem: oneLine(finding.problem), hint: oneLine(finding.hint) })
