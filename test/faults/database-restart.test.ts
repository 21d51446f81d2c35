import t from 'tap'
import { openDatabase } from '../../src/db/client.ts'
import { checkRecord, msUntil, privateCluster, seedWriter, sleep, startService, writeLoad } from '../helpers/faults.ts'

// A private cluster (initdb on its own port) stopped with `pg_ctl stop -m immediate` under write
// load, left down a while, and started again: the process stays up, answers 503 fast while the
// database is gone, and serves again on its own.
t.test('stopping and starting the database under write load', async (t) => {
  const cluster = await privateCluster(t)
  const database = await openDatabase({ url: cluster.url(), poolMax: 2 })
  t.teardown(() => database.close())
  await database.migrate()
  const writer = await seedWriter(database.db)
  const service = await startService(t, cluster.url(), { DB_POOL_MAX: '8', DB_CONNECT_TIMEOUT_MS: '1000', DB_ACQUIRE_TIMEOUT_MS: '1000' })
  t.equal((await fetch(`${service.origin}/health/ready`)).status, 200, 'ready before')

  const load = writeLoad(service.origin, writer, 12)
  const outages: Array<{ down: number; up: number; ready: number }> = []
  for (let round = 0; round < 2; round++) {
    await sleep(1500)
    const down = Date.now()
    cluster.stop()
    await sleep(1500)
    const ready = await fetch(`${service.origin}/health/ready`)
    t.equal(ready.status, 503, 'not ready while the database is down')
    t.match(await ready.json(), { code: 'database-unavailable' })
    const up = Date.now()
    cluster.start()
    outages.push({ down, up, ready: await msUntil(`${service.origin}/health/ready`, 200, 15_000) })
  }
  await sleep(1000)
  await load.stop()
  t.ok(service.alive(), 'the process is still up')
  t.ok(outages.every((o) => Number.isFinite(o.ready)), 'ready again after each restart, without a restart of the service')

  // Sent after the stop and answered before the start: a request sent just before the start may
  // wait for a connection until the database is back and then succeed, as it should.
  const during = load.record.answers.filter((a) => outages.some((o) => a.at > o.down + 100 && a.at + a.ms < o.up))
  // The odd ones named, so that a failure says what was answered instead.
  const odd = during.filter((a) => !(a.status === 503 && a.code === 'database-unavailable')).slice(0, 5).map((a) => `${a.status} ${a.code ?? ''} after ${a.ms} ms`)
  t.ok(during.length > 0 && odd.length === 0,
    `requests while the database was down were answered 503 database-unavailable (${during.length}${odd.length ? `; not: ${odd.join(', ')}` : ''})`)
  const firstOk = outages.map((o) => (load.record.answers.find((a) => a.at >= o.up && a.status < 300)?.at ?? Number.NaN) - o.up)
  await checkRecord(t, load.record, database.db)
  const slowest = Math.max(...during.map((a) => a.ms))
  t.comment(`answers ${load.record.answers.length}, 503 ${load.record.answers.filter((a) => a.status === 503).length}, `
    + `acknowledged observations ${load.record.acknowledged.size}; while down: ${during.length} answers, slowest ${slowest} ms; `
    + `after start: ready in ${outages.map((o) => o.ready).join(', ')} ms, first write acknowledged within ${firstOk.join(', ')} ms of pg_ctl start returning`)
})
