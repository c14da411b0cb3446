import * as net from "node:net"
import { Effect } from "effect"

export type PortState =
  | { readonly _tag: "Free" }
  | { readonly _tag: "InUse" }
  | { readonly _tag: "Unusable"; readonly code: string }

/**
 * Whether host:port can be bound right now, by binding it. llama-server itself binds with
 * SO_REUSEPORT and would share a port with another llama-server, so this check is ours to make.
 */
export const probePort = (host: string, port: number): Effect.Effect<PortState> =>
  Effect.async<PortState>((resume) => {
    const server = net.createServer()
    server.unref()
    server.once("error", (error: NodeJS.ErrnoException) => {
      resume(Effect.succeed(error.code === "EADDRINUSE" ? { _tag: "InUse" } : { _tag: "Unusable", code: error.code ?? error.message }))
    })
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resume(Effect.succeed({ _tag: "Free" })))
    })
    return Effect.sync(() => server.close())
  })
