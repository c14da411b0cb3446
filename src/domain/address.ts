/** `host:port` as a URL writes it: an IPv6 host in brackets. */
export const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)
