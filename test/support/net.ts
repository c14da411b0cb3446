import * as net from "node:net"
import { afterEach } from "vitest"

const servers: Array<net.Server> = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))))
})

/** A real listener on 127.0.0.1 (on `port`, or one the kernel picks), closed after the test. */
export const listen = (port = 0) =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      servers.push(server)
      resolve((server.address() as net.AddressInfo).port)
    })
  })

const open = () =>
  new Promise<net.Server>((resolve) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => resolve(server))
  })

/** `count` distinct ports that the kernel handed out and that were free a moment ago. */
export const freePorts = async (count: number): Promise<Array<number>> => {
  const held = await Promise.all(Array.from({ length: count }, open))
  const ports = held.map((server) => (server.address() as net.AddressInfo).port)
  await Promise.all(held.map((server) => new Promise((done) => server.close(done))))
  return ports
}

export const freePort = async () => (await freePorts(1))[0]!
