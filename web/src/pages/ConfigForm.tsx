import { useEffect, useState } from "react"
import { ApiError, api, type FindingJson } from "../api.js"
import { Failed } from "../parts.js"

type Config = Record<string, unknown>

/** The fields most configs set, by their path in the config; the rest is edited as JSON. */
const FIELDS = [
  { path: "model.path", label: "model file", type: "text", hint: "a GGUF file; a relative path starts at the home folder" },
  { path: "model.context_size", label: "context size", type: "number", hint: "tokens; empty: llama-server's default" },
  { path: "server.host", label: "host", type: "text", hint: "default 127.0.0.1" },
  { path: "server.port", label: "port", type: "number", hint: "the port llama-server listens on" },
  { path: "gpu.backend", label: "backend", type: "select", options: ["", "cpu", "vulkan", "cuda"], hint: "default cpu" },
  { path: "gpu.device_id", label: "GPU index", type: "number", hint: "the number in `orch devices` (Vulkan1 is 1)" }
] as const

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

const get = (config: Config, path: string): unknown =>
  path.split(".").reduce<unknown>((at, key) => (typeof at === "object" && at !== null ? (at as Config)[key] : undefined), config)

/** The config with `path` set to `value` (a section made where missing, a field removed for undefined). */
const set = (config: Config, path: string, value: unknown): Config => {
  const [key, ...rest] = path.split(".") as [string, ...Array<string>]
  if (rest.length === 0) {
    const { [key]: _, ...others } = config
    return value === undefined ? others : { ...config, [key]: value }
  }
  const inner = config[key]
  const section = set(typeof inner === "object" && inner !== null && !Array.isArray(inner) ? (inner as Config) : {}, rest.join("."), value)
  if (Object.keys(section).length === 0) {
    const { [key]: _, ...others } = config
    return others
  }
  return { ...config, [key]: section }
}

const fieldValue = (value: unknown) => (value === undefined || value === null ? "" : String(value))

/**
 * An instance's config, created or replaced through the API, which checks it exactly as `orch
 * config validate` does: each problem is shown beside its field (those of fields not in the form
 * beside the JSON).
 */
export const ConfigForm = ({ name: editing }: { readonly name?: string }) => {
  const [name, setName] = useState(editing ?? "")
  const [config, setConfig] = useState<Config>({ model: { path: "" }, server: { port: 8081 } })
  const [json, setJson] = useState(JSON.stringify(config, null, 2))
  const [jsonProblem, setJsonProblem] = useState<string | undefined>()
  const [findings, setFindings] = useState<ReadonlyArray<FindingJson>>([])
  const [error, setError] = useState<ApiError | undefined>()
  const [saved, setSaved] = useState<string | undefined>()
  useEffect(() => {
    if (editing === undefined) return
    api.config(editing).then((doc) => {
      setConfig(doc.config)
      setJson(JSON.stringify(doc.config, null, 2))
    }, setError)
  }, [editing])
  const change = (next: Config) => {
    setConfig(next)
    setJson(JSON.stringify(next, null, 2))
    setSaved(undefined)
  }
  const editJson = (text: string) => {
    setJson(text)
    setSaved(undefined)
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("a config is a JSON object")
      setConfig(parsed as Config)
      setJsonProblem(undefined)
    } catch (problem) {
      setJsonProblem(problem instanceof Error ? problem.message : String(problem))
    }
  }
  const nameProblem = editing === undefined && name !== "" && !NAME.test(name) ? "lowercase letters, digits, - and _, up to 64, starting with a letter or digit" : undefined
  const save = () => {
    setError(undefined)
    setFindings([])
    api.putConfig(name, config).then(
      (doc) => {
        setSaved(doc.file)
        if (editing === undefined) window.location.hash = `#/i/${encodeURIComponent(name)}`
      },
      (failure: unknown) => {
        if (failure instanceof ApiError && failure.findings.length > 0) setFindings(failure.findings)
        else if (failure instanceof ApiError) setError(failure)
      }
    )
  }
  const inForm = new Set<string>(FIELDS.map((field) => field.path))
  const beside = (path: string) => findings.filter((finding) => finding.field === path || finding.field.startsWith(`${path}.`))
  const elsewhere = findings.filter((finding) => ![...inForm].some((path) => finding.field === path || finding.field.startsWith(`${path}.`)))
  return (
    <section>
      <header className="page-head">
        <h1>{editing === undefined ? "New instance" : `Edit ${editing}`}</h1>
      </header>
      {error === undefined ? null : <Failed error={error} onClose={() => setError(undefined)} />}
      <form
        className="config-form"
        onSubmit={(event) => {
          event.preventDefault()
          save()
        }}
        noValidate
      >
        {editing === undefined ? (
          <div className="field">
            <label htmlFor="field-name">name</label>
            <input id="field-name" name="name" value={name} onChange={(event) => setName(event.target.value)} aria-invalid={nameProblem !== undefined} aria-describedby="hint-name" required />
            <small id="hint-name" className={nameProblem === undefined ? "muted" : "bad"}>
              {nameProblem ?? "its folder under instances/"}
            </small>
          </div>
        ) : null}
        {FIELDS.map((field) => {
          const id = `field-${field.path.replace(".", "-")}`
          const problems = beside(field.path)
          const value = fieldValue(get(config, field.path))
          const update = (text: string) => change(set(config, field.path, text === "" ? undefined : field.type === "number" && /^-?\d+$/.test(text) ? Number(text) : text))
          return (
            <div className="field" key={field.path}>
              <label htmlFor={id}>{field.label}</label>
              {field.type === "select" ? (
                <select id={id} name={field.path} value={value} onChange={(event) => update(event.target.value)} aria-describedby={`${id}-hint`}>
                  {field.options.map((option) => (
                    <option key={option} value={option}>
                      {option === "" ? "(default)" : option}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={id}
                  name={field.path}
                  inputMode={field.type === "number" ? "numeric" : undefined}
                  value={value}
                  onChange={(event) => update(event.target.value)}
                  aria-invalid={problems.length > 0}
                  aria-describedby={`${id}-hint`}
                />
              )}
              <small id={`${id}-hint`} className={problems.length > 0 ? "bad" : "muted"} data-field={field.path}>
                {problems.length > 0 ? problems.map((problem) => `${problem.problem}${problem.hint === "" ? "" : ` (${problem.hint})`}`).join("; ") : field.hint}
              </small>
            </div>
          )
        })}
        <div className="field wide">
          <label htmlFor="field-json">the whole config (JSON)</label>
          <textarea id="field-json" name="json" rows={14} value={json} onChange={(event) => editJson(event.target.value)} spellCheck={false} aria-invalid={jsonProblem !== undefined} aria-describedby="hint-json" />
          <small id="hint-json" className={jsonProblem === undefined ? "muted" : "bad"}>
            {jsonProblem ?? "every field; secrets show as *** and stay as they are unless replaced"}
          </small>
          {elsewhere.length === 0 ? null : (
            <ul className="findings" aria-label="other problems">
              {elsewhere.map((finding) => (
                <li key={`${finding.field}:${finding.problem}`} className="bad">
                  <code>{finding.field === "" ? "(file)" : finding.field}</code>: {finding.problem}
                  {finding.hint === "" ? "" : ` (${finding.hint})`}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="field wide">
          <button type="submit" className="primary" disabled={jsonProblem !== undefined || name === "" || nameProblem !== undefined}>
            {editing === undefined ? "Create" : "Save"}
          </button>
          {saved === undefined ? null : (
            <span role="status" className="muted">
              {" "}
              Saved to {saved}. It takes effect at the next start (or restart).
            </span>
          )}
        </div>
      </form>
    </section>
  )
}
