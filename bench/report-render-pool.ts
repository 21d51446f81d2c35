import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import type { FeedbackReportData } from '../src/reports/feedback-report.ts'
import type * as RenderPoolModule from '../src/reports/render-pool.ts'
import { ROOT } from './lib/service.ts'

/**
 * Rapport's side of the like-for-like comparison: the built render pool (`dist/reports/render-pool.js`,
 * the module the deployed service renders with: worker threads at a lower CPU priority, as many as
 * the service starts) laying out the feedback report from the same data the Chromium side is given.
 */
export interface PoolPrinter {
  size: number
  render(): Promise<Buffer>
  close(): Promise<void>
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Needs `npm run build` first (the benchmark builds before it starts). */
export async function startBuiltPool(data: FeedbackReportData): Promise<PoolPrinter> {
  const built = pathToFileURL(join(ROOT, 'dist/reports/render-pool.js')).href
  const { createRenderPool } = await import(built) as typeof RenderPoolModule
  const pool = createRenderPool()
  pool.warm()
  return {
    size: pool.size,
    render: () => collect(pool.render({ kind: 'feedback', data })),
    close: () => pool.close()
  }
}
