import { randomUUID } from 'node:crypto'
import t from 'tap'
import { sql } from 'drizzle-orm'
import type { Db } from '../src/db/client.ts'
import { rows } from '../src/db/rows.ts'
import { consumeOnce, type FeedEvent } from '../src/events/consumers.ts'
import { recordEvents } from '../src/events/record.ts'
import { relayOnce } from '../src/events/relay.ts'
import { buildTestApp, client } from './helpers/app.ts'

/**
 * Feed order (src/events/relay.ts): positions are given to committed rows by one relay at a time,
 * so a reader polling with its cursor never skips an event whose transaction committed late, and
 * internal consumers handle each event once, advancing with their writes.
 */
const ORG = randomUUID()

function eventOf(n: number) {
  const id = randomUUID()
  return {
    type: 'trainee.updated' as const, subjectId: id, organizationIds: [ORG], programIds: [],
    data: { traineeId: id, organizationId: ORG, active: true, links: { self: `/v1/trainees/${id}#${n}` } }
  }
}

const write = (db: Db, n: number) => db.transaction((tx) => recordEvents(tx, null, [eventOf(n)]))

t.test('feed order', async (t) => {
  const { app, database, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const db = database.db

  /** Reads the feed from `after` to its end, as a client polls it. */
  async function poll(after: string | undefined): Promise<{ links: string[]; cursor: string }> {
    const links: string[] = []
    let cursor = after
    for (;;) {
      const res = await admin.get('/v1/events', { query: { ...(cursor ? { after: cursor } : {}), limit: '2' } })
      t.equal(res.statusCode, 200, 'the feed answers')
      const page = res.json() as { items: Array<{ data: { links: { self: string } } }>; nextCursor: string }
      links.push(...page.items.map((i) => i.data.links.self.split('#')[1]!))
      cursor = page.nextCursor
      if (page.items.length < 2) return { links, cursor }
    }
  }

  await t.test('an event committed after the relay numbered later ones is read, after them, by a reader already past them', async (t) => {
    if (database.kind === 'pglite') {
      // One connection: transactions never overlap, so "late" is simply "after the relay ran".
      await write(db, 1)
      await relayOnce(db)
      const first = await poll(undefined)
      await write(db, 2)
      t.same(first.links, ['1'], 'the reader saw the first event')
      await relayOnce(db)
      t.same((await poll(first.cursor)).links, ['2'], 'and reads the later one after its cursor')
      return
    }
    // Two connections: A opens first and commits last; B commits while A is open.
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    let inserted!: () => void
    const wrote = new Promise<void>((resolve) => { inserted = resolve })
    const late = db.transaction(async (tx) => {
      await recordEvents(tx, null, [eventOf(1)])
      inserted()
      await held
    })
    await wrote
    await write(db, 2)
    await relayOnce(db)
    const before = await poll(undefined)
    t.same(before.links, ['2'], 'while A is open, the feed shows only B, which committed')
    release()
    await late
    const order = await rows<{ link: string }>(db, sql`select data->'links'->>'self' as link from events order by id`)
    t.same(order.map((r) => r.link.split('#')[1]), ['1', '2'], 'A\'s row has the lower id: an "id > cursor" reader would have skipped it for good')
    await relayOnce(db)
    const after = await poll(before.cursor)
    t.same(after.links, ['1'], 'once A commits, the reader past B still gets A')
  })

  await t.test('two relays: the later one numbers above the earlier one; at once, one waits its turn or skips', async (t) => {
    const numberedNow = async () => new Set((await rows<{ s: string }>(db, sql`select feed_seq as s from events where feed_seq is not null`)).map((r) => Number(r.s)))
    for (let n = 10; n < 15; n++) await write(db, n)
    const before = await numberedNow()
    t.equal(await relayOnce(db, 2), 2, 'the first relay numbers a batch')
    const first = [...await numberedNow()].filter((s) => !before.has(s))
    t.equal(await relayOnce(db, 2), 2, 'the second relay the next batch')
    const second = [...await numberedNow()].filter((s) => !before.has(s) && !first.includes(s))
    t.ok(Math.min(...second) > Math.max(...first), `every position of the second (${second.join(',')}) is above the first's (${first.join(',')})`)
    for (let n = 15; n < 20; n++) await write(db, n)
    const [a, b] = await Promise.all([relayOnce(db, 3), relayOnce(db, 3)])
    t.ok(a + b >= 1 && a + b <= 6, `two relays at once numbered ${a} and ${b} (one skips while the other holds the lock, or they run in turn)`)
    while (await relayOnce(db, 2) > 0) { /* drain */ }
    const numbered = (await rows<{ s: string }>(db, sql`select feed_seq as s from events where feed_seq is not null`)).map((r) => Number(r.s))
    t.equal(new Set(numbered).size, numbered.length, 'no position is given twice')
    const unnumbered = await rows<{ n: number }>(db, sql`select count(*)::int as n from events where feed_seq is null`)
    t.equal(unnumbered[0]!.n, 0, 'every committed event is numbered')
  })

  await t.test('a feed consumer handles each event once, its position advancing with its writes', async (t) => {
    const seen: FeedEvent[] = []
    let fail = false
    const consumer = {
      name: `test-${randomUUID()}`, types: ['trainee.updated'] as const, batchSize: 3,
      async handle(_tx: Db, events: FeedEvent[]) {
        if (fail) throw new Error('handler failed')
        seen.push(...events)
      }
    }
    const total = (await rows<{ n: number }>(db, sql`select count(*)::int as n from events where feed_seq is not null`))[0]!.n
    fail = true
    await t.rejects(consumeOnce(db, consumer), /handler failed/, 'a failing handler throws')
    const [stuck] = await rows<{ last_seq: string }>(db, sql`select last_seq from event_consumers where name = ${consumer.name}`)
    t.equal(Number(stuck!.last_seq), 0, 'and its position stays where it was')
    fail = false
    while (await consumeOnce(db, consumer)) { /* full batches */ }
    t.equal(seen.length, total, 'every event reached the handler')
    t.equal(new Set(seen.map((e) => e.eventId)).size, total, 'each once')
    t.same(seen.map((e) => e.seq), [...seen.map((e) => e.seq)].sort((x, y) => x - y), 'in feed order')
    t.notOk(await consumeOnce(db, consumer), 'nothing is left')
    t.equal(seen.length, total, 'and nothing comes again')
    await write(db, 20)
    await relayOnce(db)
    await consumeOnce(db, consumer)
    t.equal(seen.length, total + 1, 'a new event is handled next')
    const [pos] = await rows<{ last_seq: string }>(db, sql`select last_seq from event_consumers where name = ${consumer.name}`)
    t.equal(Number(pos!.last_seq), seen[seen.length - 1]!.seq, 'the position is the last event handled')
  })
})
