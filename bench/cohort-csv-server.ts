/**
 * The baseline side of the cohort-csv benchmark, a plain row stream, in a process of its own so that
 * its peak RSS is its own (not the seeding's, nor the downloading client's). The real side is the
 * service itself, started as deployed (see cohort-csv.ts). argv: <database url> <pool max> <cohort id>.
 * Tells its parent { url } (of the export) when listening; 'stop' closes it.
 */
import type { AddressInfo } from 'node:net'
import { Transform } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import QueryStream from 'pg-query-stream'
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

async function main([url, poolMax, cohortId]: string[]) {
  if (!process.send || !url || !poolMax || !cohortId) throw new Error('usage: fork with <url> <poolMax> <cohortId>')
  const pool = new pg.Pool({ connectionString: url, max: Number(poolMax) })
  pool.on('error', () => {})
  const app = buildPlainStream(pool)
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.on('message', (message) => {
    if (message === 'stop') void app.close().then(() => pool.end()).then(() => process.exit(0))
  })
  process.send({ url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${PLAIN_PATH}/${cohortId}` })
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
