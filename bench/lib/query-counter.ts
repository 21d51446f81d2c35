import pg from 'pg'

/**
 * Counts every statement sent through node-postgres in this process (pools, drizzle, BEGIN and
 * COMMIT included) while `fn` runs. Used for a short sequential probe, never during timed load.
 */
export async function countQueries(fn: () => Promise<void>): Promise<{ queries: number; statements: Map<string, number> }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }
  const original = proto.query
  const statements = new Map<string, number>()
  let queries = 0
  proto.query = function (this: unknown, ...args: unknown[]) {
    queries++
    const first = args[0]
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text ?? '?'
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 60)
    statements.set(key, (statements.get(key) ?? 0) + 1)
    return original.apply(this, args)
  }
  try {
    await fn()
  } finally {
    proto.query = original
  }
  return { queries, statements }
}
