/**
 * One side of the cohort-csv benchmark in a process of its own, so that its peak RSS is the
 * server's alone (not the seeding's, nor the downloading client's). argv: <real|plain> <database url> <pool max> <cohort id>.
 * Tells its parent { url (of the export), rssMb } when listening; answers 'report' with its lifetime peak RSS.
 */
import type { AddressInfo } from 'node:net'
import { Transform } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import QueryStream from 'pg-query-stream'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { CSV_BOM, CSV_CONTENT_TYPE, csvRow, type CsvCell } from '../src/lib/csv.ts'

const PLAIN_PATH = '/plain'

/**
 * The baseline the issue names, "a plain row stream": every score row of the cohort straight from a
 * server-side cursor (pg-query-stream) to CSV with the same writer, no aggregation.
 */
function buildPlainStream(pool: pg.Pool): FastifyInstance {
  const app = Fastify({ logger: false })
  app.get<{ Params: { id: string } }>(`${PLAIN_PATH}/:id`, async (request, reply) => {
    const client = await pool.connect()
    const rows = client.query(new QueryStream(`
      select s.* from observation_scores s join observations o on o.id = s.observation_id
      join trainees t on t.id = o.trainee_id where t.cohort_id = $1`, [request.params.id], { batchSize: 1000 }))
    let first = true
    const csv = new Transform({
      writableObjectMode: true,
      transform(row: Record<string, CsvCell>, _enc, done) {
        const line = csvRow(Object.values(row))
        done(null, first ? CSV_BOM + csvRow(Object.keys(row)) + line : line)
        first = false
      }
    })
    const release = () => client.release()
    rows.once('end', release).once('error', release)
    return reply.type(CSV_CONTENT_TYPE).send(rows.pipe(csv))
  })
  return app
}

async function main([mode, url, poolMax, cohortId]: string[]) {
  if (!process.send || !url || !poolMax || !cohortId || (mode !== 'real' && mode !== 'plain')) throw new Error('usage: fork with <real|plain> <url> <poolMax> <cohortId>')
  let app: FastifyInstance
  let closeExtra = async () => {}
  if (mode === 'real') {
    app = await buildApp({ config: loadConfig({ DATABASE_URL: url, DB_POOL_MAX: poolMax, LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false' }), logger: false })
  } else {
    const pool = new pg.Pool({ connectionString: url, max: Number(poolMax) })
    pool.on('error', () => {})
    app = buildPlainStream(pool)
    closeExtra = () => pool.end()
  }
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.on('message', (message) => {
    if (message === 'report') process.send!({ maxRssMb: process.resourceUsage().maxRSS / 1024, rssMb: process.memoryUsage.rss() / 2 ** 20 })
    if (message === 'stop') void app.close().then(closeExtra).then(() => process.exit(0))
  })
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const path = mode === 'real' ? `/v1/cohorts/${cohortId}/report.csv` : `${PLAIN_PATH}/${cohortId}`
  process.send({ url: origin + path, rssMb: process.memoryUsage.rss() / 2 ** 20 })
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
