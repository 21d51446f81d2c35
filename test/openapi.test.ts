import t from 'tap'
import { readFileSync } from 'node:fs'
import { buildTestApp } from './helpers/app.ts'
import { renderOpenApi } from '../src/openapi.ts'

type Operation = {
  operationId?: string
  tags?: string[]
  responses?: Record<string, unknown>
  parameters?: { name: string; in: string; required?: boolean }[]
}

t.test('the committed OpenAPI document matches the routes', async (t) => {
  const { app } = await buildTestApp(t)
  const live = await renderOpenApi(app)
  const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
  t.equal(committed, live, 'openapi/openapi.json is current (run `npm run openapi` after changing routes)')

  const doc = JSON.parse(live) as { openapi: string; paths: Record<string, Record<string, Operation>> }
  t.equal(doc.openapi, '3.1.0')
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })))
  t.ok(operations.length > 10, 'the API has its routes documented')
  const ids = new Set<string>()
  for (const { where, op } of operations) {
    t.ok(op.operationId, `${where} has an operationId`)
    t.ok(op.tags && op.tags.length > 0, `${where} has tags`)
    t.notOk(ids.has(op.operationId ?? ''), `${where} has a unique operationId`)
    ids.add(op.operationId ?? '')
    if (where.includes('/v1/')) t.ok(op.responses?.['401'], `${where} documents 401`)
    const limit = op.parameters?.find((p) => p.in === 'query' && p.name === 'limit')
    if (limit) t.notOk(limit.required, `${where}: limit has a default, so it is optional`)
  }
})

t.test('interactive API docs are served at /docs', async (t) => {
  const { app } = await buildTestApp(t)
  const page = await app.inject({ url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /swagger-ui/i, 'the page loads Swagger UI')
  const css = await app.inject({ url: '/docs/static/swagger-ui.css' })
  t.equal(css.statusCode, 200, 'with its assets')
})
