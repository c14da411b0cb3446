import * as fs from "node:fs"
import * as path from "node:path"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { NO_SNIFF } from "./auth.js"

/**
 * The web console (web/, built by Vite into dist/web beside the bundle), served at / on the API's
 * listener. Its files are code, not data: they need no token (the API they call does), and a page
 * without the token says how to get one.
 */
const webDir = () => path.join(typeof __dirname === "string" ? __dirname : path.resolve("dist"), "web")

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2"
}

/**
 * Only this daemon's own scripts, styles and API: nothing from elsewhere can load (the console
 * works offline, and an injected script could not phone out), and no page may frame it.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

const notBuilt = HttpServerResponse.text("The web console was not built: run `npm run build` in orch's folder, then reload.", { status: 404 })

export const ConsoleLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const dir = webDir()
    yield* router.get(
      "/",
      Effect.sync(() => {
        const file = path.join(dir, "index.html")
        if (!fs.existsSync(file)) return notBuilt
        return HttpServerResponse.text(fs.readFileSync(file, "utf8"), {
          contentType: "text/html; charset=utf-8",
          headers: { "cache-control": "no-cache", "content-security-policy": CSP, "x-frame-options": "DENY", "referrer-policy": "no-referrer", ...NO_SNIFF }
        })
      })
    )
    yield* router.get(
      "/assets/:file",
      Effect.gen(function* () {
        const name = (yield* HttpServerRequest.HttpServerRequest).url.replace(/^\/assets\//, "").replace(/\?.*$/, "")
        // Vite's names: a word, a hash and an extension; nothing else is looked up on disk.
        const type = TYPES[path.extname(name)]
        const file = path.join(dir, "assets", name)
        if (!/^[\w.-]+$/.test(name) || type === undefined || !fs.existsSync(file)) return HttpServerResponse.empty({ status: 404 })
        // Each name carries its content's hash: a new build is a new name, so a copy may be kept for ever.
        return yield* HttpServerResponse.file(file, { contentType: type, headers: { "cache-control": "public, max-age=31536000, immutable", ...NO_SNIFF } }).pipe(Effect.orDie)
      })
    )
  })
)
