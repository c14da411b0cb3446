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
