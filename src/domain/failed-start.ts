/**
 * Whether a server that did not start may start if tried again. A GPU driver not ready at boot,
 * memory held for a moment, a port briefly taken: those pass, so a failed start is retried under
 * the restart policy like any crash (systemd, docker and kubernetes do the same). A mistake in
 * the command line or the model does not pass, and retrying it only fills the journal: these are
 * llama-server's own words for such mistakes (common/arg.cpp, ggml/src/gguf.cpp, src/llama.cpp).
 */
const CONFIG_ERRORS: ReadonlyArray<RegExp> = [
  /error: invalid argument: /,
  /error while handling (argument|environment variable) /,
  /error: unknown value for /,
  /invalid device: /,
  /error: --model is required/,
  /failed to open GGUF file .*\((No such file or directory|Permission denied|Is a directory)\)/,
  /gguf_init_from_file_impl: (invalid magic characters|failed to read magic|bad GGUF version|failed to read header)/,
  /error loading model (hyperparameters|vocabulary|architecture)/,
  /unknown model architecture/
]

/** The line of a failed start's output that shows a configuration error, if one does. */
export const configErrorIn = (lines: ReadonlyArray<string>): string | undefined =>
  lines.find((line) => CONFIG_ERRORS.some((pattern) => pattern.test(line)))

/** llama.cpp's logger starts a line with the time since start and a level ("0.00.010.574 E "). */
const LOG_PREFIX = /^\d+\.\d{2}\.\d{3}\.\d{3} [A-Z] /

/** A line of llama-server's output as a person wants to read it in a reason: without that prefix. */
export const plainLine = (line: string): string => line.replace(LOG_PREFIX, "")
