/**
 * Whether a request the gateway served went wrong: no answer, an error status, or an answer that
 * broke off after it began (the server ended mid-answer, the client left), which keeps its 200.
 */
export const servedFailed = (request: { readonly status: number; readonly error?: string }) =>
  request.status === 0 || request.status >= 400 || request.error !== undefined
