import { randomUUID } from 'node:crypto'
import t from 'tap'
import { sql } from 'drizzle-orm'
import { rows } from '../src/db/rows.ts'
import { recordEvents } from '../src/events/record.ts'
import { relayOnce } from '../src/events/relay.ts'
import { runRetention } from '../src/events/events-plugin.ts'
import { buildTestApp, client } from './helpers/app.ts'

/**
 * GET /v1/events as a client uses it: pages in feed order, a cursor on every page, filters, the
 * problems a client branches on (400 cursor-invalid and event-type-unknown, 410 cursor-expired),
 * and retention, which deletes old events with their deliveries and attempts, once a day.
 */
interface Page { items: Array<{ id: string; type: string; subject: { type: string; id: string }; data: Record<string, unknown> }>; nextCursor: string }

const ORG = randomUUID()
const person = (type: 'trainee.updated' | 'supervisor.updated') => {
  const id = randomUUID()
  return type === 'trainee.updated'
    ? { type, subjectId: id, organizationIds: [ORG], programIds: [], data: { traineeId: id, organizationId: ORG, active: true, links: { self: `/v1/trainees/${id}` } } }
    : { type, subjectId: id, organizationIds: [ORG], programIds: [], data: { supervisorId: id, organizationId: ORG, active: true, links: { self: `/v1/supervisors/${id}` } } }
}

t.test('the events feed', async (t) => {
  const { app, db, database, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const read = async (query: Record<string, string>) => {
    const res = await admin.get('/v1/events', { query })
    t.equal(res.statusCode, 200, `GET /v1/events ${JSON.stringify(query)}`)
    return res.json() as Page
  }
  const write = (...types: Array<'trainee.updated' | 'supervisor.updated'>) =>
    database.db.transaction((tx) => recordEvents(tx, null, types.map(person)))

  await t.test('an empty feed still answers a cursor to poll with', async (t) => {
    const page = await read({})
    t.same(page.items, [])
    t.type(page.nextCursor, 'string')
    await write('trainee.updated')
    t.same((await read({ after: page.nextCursor })).items, [], 'an event not yet numbered by the relay is not in the feed')
    await relayOnce(database.db)
    t.equal((await read({ after: page.nextCursor })).items.length, 1, 'once numbered, it is read with the cursor of the empty page')
  })

  await t.test('pages in feed order; types filter; the cursor moves past what the filter skipped', async (t) => {
    await write('supervisor.updated', 'trainee.updated', 'supervisor.updated', 'trainee.updated')
    await relayOnce(database.db)
    const all = await read({ limit: '200' })
    t.equal(all.items.length, 5)
    const first = await read({ limit: '2' })
    const second = await read({ limit: '2', after: first.nextCursor })
    const third = await read({ limit: '2', after: second.nextCursor })
    t.same([...first.items, ...second.items, ...third.items].map((i) => i.id), all.items.map((i) => i.id), 'pages follow one another without gap or repeat')
    const trainees = await read({ types: 'trainee.updated', limit: '200' })
    t.same(trainees.items.map((i) => i.type), ['trainee.updated', 'trainee.updated', 'trainee.updated'])
    await write('supervisor.updated')
    await relayOnce(database.db)
    const none = await read({ types: 'trainee.updated', after: trainees.nextCursor })
    t.same(none.items, [], 'a filtered-out event is not returned')
    t.not(none.nextCursor, trainees.nextCursor, 'but the cursor moves past it, so the next poll does not scan it again')
    t.same((await read({ after: none.nextCursor })).items, [], 'and nothing is skipped: the cursor stopped at the feed\'s end')
    const both = await read({ types: 'trainee.updated,supervisor.updated', limit: '200' })
    t.equal(both.items.length, 6, 'several types, comma-separated')
  })

  await t.test('bad input is a 400 with a stable code', async (t) => {
    for (const after of ['nope', Buffer.from('["audit",3]').toString('base64url'), Buffer.from('["ev",-1]').toString('base64url')]) {
      const res = await admin.get('/v1/events', { query: { after } })
      t.equal(res.statusCode, 400, after)
      t.equal(res.json().code, 'cursor-invalid')
      t.same(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/query/after'])
    }
    const unknown = await admin.get('/v1/events', { query: { types: 'trainee.updated,trainee.exploded' } })
    t.equal(unknown.statusCode, 400)
    t.equal(unknown.json().code, 'event-type-unknown')
    t.match(unknown.json().detail, /trainee\.exploded/)
    t.equal((await admin.get('/v1/events', { query: { limit: '201' } })).statusCode, 400, 'at most 200 a page')
  })

  await t.test('retention: old events go with their deliveries and attempts, once a day; an older cursor is 410', async (t) => {
    const old = await read({})
    const midway = await read({ limit: '1' })
    const firstCursor = Buffer.from(JSON.stringify(['ev', 0])).toString('base64url')
    const [me] = await rows<{ id: string }>(db, sql`select id from accounts where role = 'admin' limit 1`)
    const [endpoint] = await rows<{ id: string }>(db, sql`
      insert into webhook_endpoints (owner_account_id, url, event_types, secret_sealed) values (${me!.id}, 'https://example.org/hook', '{trainee.updated}', 'sealed')
      returning id`)
    const eventId = old.items[0]!.id
    const [delivery] = await rows<{ id: string }>(db, sql`
      insert into webhook_deliveries (endpoint_id, event_id, state) values (${endpoint!.id}, ${eventId}, 'succeeded') returning id`)
    await db.execute(sql`insert into webhook_attempts (delivery_id, attempt, started_at, status) values (${delivery!.id}, 1, now(), 204)`)
    // Backdated past retention by the superuser, the guard trigger (which refuses any UPDATE but the relay's) set aside for it.
    await db.execute(sql`alter table events disable trigger events_guard`)
    await db.execute(sql`update events set occurred_at = now() - interval '31 days'`)
    await db.execute(sql`alter table events enable trigger events_guard`)
    await write('trainee.updated')
    await relayOnce(database.db)

    t.ok(await runRetention(app, 30), 'retention runs today')
    t.notOk(await runRetention(app, 30), 'and not again today')
    t.ok(await runRetention(app, 30, new Date(Date.now() + 86_400_000)), 'tomorrow it runs again')
    const [left] = await rows<{ events: number; deliveries: number; attempts: number }>(db, sql`
      select (select count(*)::int from events) as events, (select count(*)::int from webhook_deliveries) as deliveries,
        (select count(*)::int from webhook_attempts) as attempts`)
    t.same(left, { events: 1, deliveries: 0, attempts: 0 }, 'only the recent event is left; the old ones\' deliveries and attempts went with them')

    for (const after of [firstCursor, midway.nextCursor]) {
      const gone = await admin.get('/v1/events', { query: { after } })
      t.equal(gone.statusCode, 410, 'a cursor from before what retention deleted')
      t.equal(gone.json().code, 'cursor-expired')
    }
    t.equal((await read({ after: old.nextCursor })).items.length, 1, 'a reader that had read every deleted event missed nothing: it goes on')
    const fresh = await read({})
    t.equal(fresh.items.length, 1, 'without after, the feed starts at the oldest event it keeps')
    t.same((await read({ after: fresh.nextCursor })).items, [], 'and its cursor goes on')
  })
})
