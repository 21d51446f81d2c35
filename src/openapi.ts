import type { App } from './app.ts'

/** The OpenAPI document exactly as /docs/json serves it, formatted for committing. */
export async function renderOpenApi(app: App): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  if (res.statusCode !== 200) throw new Error(`GET /docs/json answered ${res.statusCode}`)
  return `${JSON.stringify(res.json(), null, 2)}\n`
}
