/** `host:port` as a URL writes it: an IPv6 host in brackets. */
export const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)

/** A listener on every address is reached, from this machine, on loopback. */
export const reachable = (host: string) => (host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host)
