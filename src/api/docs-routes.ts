import { createRequire } from 'node:module'
import path from 'node:path'
import { Router } from 'express'
import { openApiDocument } from './openapi.js'
import { PROBLEMS, problemType } from './problem.js'

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

interface Operation {
  method: string
  path: string
  op: Record<string, unknown>
}

/** The document's operations in order, for the page. */
function operationsOf(doc: ReturnType<typeof openApiDocument>): Operation[] {
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m]! })),
  )
}

/**
 * Swagger UI's prebuilt bundle (swagger-ui-dist), served from this app: no CDN. It renders
 * OpenAPI 3.1, and it runs under the strict CSP as it is (scripts from our origin started by
 * our own file, styles from its stylesheet, inline styles set through the DOM only).
 */
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
const ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'application/javascript',
  'swagger-ui.css': 'text/css',
}

/**
 * `GET /api/v1/openapi.json` and `GET /api/docs`: the same document, for machines and for
 * people. The page shows it with Swagger UI (its bundle served from `/api/docs/assets/`,
 * started by /public/api-docs.js), so it cannot disagree with the JSON; without script the
 * same reference is rendered on the server, and the problem types always are (their
 * `type` URIs point at them).
 */
export function docsRoutes(baseUrl: string): Router {
  const doc = openApiDocument(baseUrl)
  const body = JSON.stringify(doc, null, 2)
  const r = Router()
  r.get('/v1/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'public, max-age=300').send(body)
  })
  r.get('/docs/assets/:file', (req, res, next) => {
    // An own key only: `__proto__` or `constructor` must not look like a file.
    const type = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined
    if (!type) return next()
    res
      .type(type)
      .set('Cache-Control', 'public, max-age=86400')
      .sendFile(path.join(SWAGGER_UI_DIR, req.params.file))
  })
  r.get('/docs', (_req, res) => {
    const problems = Object.entries(PROBLEMS).map(([name, p]) => ({
      name,
      ...p,
      type: problemType(baseUrl, name as keyof typeof PROBLEMS),
    }))
    res.render('api-docs', {
      title: 'API',
      doc,
      operations: operationsOf(doc),
      mcpUrl: new URL('/mcp', baseUrl).toString(),
      problems,
      schemaJson: (v: unknown) => JSON.stringify(v, null, 2),
    })
  })
  return r
}
