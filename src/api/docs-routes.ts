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
 * `GET /api/v1/openapi.json` and `GET /api/docs`: the same document, for machines and for
 * people. The page is rendered on the server from the document (no script, no external
 * viewer), so it works under the strict CSP and cannot disagree with the JSON.
 */
export function docsRoutes(baseUrl: string): Router {
  const doc = openApiDocument(baseUrl)
  const body = JSON.stringify(doc, null, 2)
  const r = Router()
  r.get('/v1/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'public, max-age=300').send(body)
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
      problems,
      schemaJson: (v: unknown) => JSON.stringify(v, null, 2),
    })
  })
  return r
}
