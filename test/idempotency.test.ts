import { createHash } from 'node:crypto'
import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client, type Client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { makeAccount, makeOrganization, makeSupervisor } from './helpers/factories.ts'
import { rows } from '../src/db/rows.ts'
import { pruneExpired } from '../src/db/idempotency.ts'
import type { Db } from '../src/db/client.ts'

const onServer = Boolean(process.env.DATABASE_URL)
let n = 0
const person = (orgId: string) => ({ organizationId: orgId, name: `Retry Person ${++n}`, email: `retry${n}@example.org` })
const withKey = (key: string) => ({ 'idempotency-key': key })
const countTrainees = async (db: Db, email: string) =>
  (await rows<{ n: number }>(db, sql`select count(*)::int as n from trainees where email = ${email}`))[0]!.n
const storedFor = (db: Db, key: string) =>
  rows<{ status: number | null; body: string | null; created: unknown; lock_token: string | null }>(db, sql`select status, body, created, lock_token from idempotency_keys where key = ${key}`)

t.test('Idempotency-Key on POSTs under /v1', async (t) => {
  const { app, db, database, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const org = await makeOrganization(db)

  await t.test('a retried create replays the 201: same id, created once, audited once', async (t) => {
    const body = person(org.id)
    const first = await admin.post('/v1/trainees', { body, headers: withKey('create-1') })
    t.equal(first.statusCode, 201, first.body)
    t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay')
    const again = await admin.post('/v1/trainees', { body, headers: withKey('create-1') })
    t.equal(again.statusCode, 201)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.same(again.json(), first.json(), 'the same body, the same id')
    for (const h of ['content-type', 'location', 'etag']) t.equal(again.headers[h], first.headers[h], `the same ${h}`)
    t.not(again.headers['x-request-id'], first.headers['x-request-id'], 'the request id is the retry\'s own')
    t.equal(await countTrainees(db, body.email), 1, 'one trainee')
    t.equal((await auditRowsFor(db, 'trainee', first.json().id)).length, 1, 'one audit event')
    const quoted = await admin.post('/v1/trainees', { body, headers: withKey('"create-1"') })
    t.equal(quoted.headers['idempotent-replayed'], 'true', 'the draft\'s quoted form names the same key')
  })

  await t.test('a 4xx is stored and replayed', async (t) => {
    const body = { ...person(org.id), organizationId: '00000000-0000-4000-8000-000000000000' }
    const first = await admin.post('/v1/trainees', { body, headers: withKey('refused-1') })
    t.ok(first.statusCode >= 400 && first.statusCode < 500, first.body)
    const again = await admin.post('/v1/trainees', { body, headers: withKey('refused-1') })
    t.equal(again.statusCode, first.statusCode)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.headers['content-type'], first.headers['content-type'], 'still application/problem+json')
    t.same(again.json(), first.json())
  })

  await t.test('a 5xx or 503 is not stored: the retry executes again', async (t) => {
    for (const [errcode, status] of [['XX001', 500], ['57014', 503]] as const) {
      const body = person(org.id)
      await db.execute(sql.raw(`create or replace function idem_fail() returns trigger language plpgsql as $$ begin raise exception 'injected' using errcode = '${errcode}'; end $$`))
      await db.execute(sql`create trigger idem_fail before insert on trainees for each row execute function idem_fail()`)
      const failed = await admin.post('/v1/trainees', { body, headers: withKey(`fails-${status}`) })
      await db.execute(sql`drop trigger idem_fail on trainees`)
      t.equal(failed.statusCode, status, failed.body)
      t.same(await storedFor(db, `fails-${status}`), [], 'nothing kept')
      const retried = await admin.post('/v1/trainees', { body, headers: withKey(`fails-${status}`) })
      t.equal(retried.statusCode, 201, `after a ${status} the retry creates`)
      t.notOk(retried.headers['idempotent-replayed'])
      t.equal(await countTrainees(db, body.email), 1)
    }
  })

  await t.test('the same key with another body or path gets 422 idempotency-key-reused', async (t) => {
    const body = person(org.id)
    t.equal((await admin.post('/v1/trainees', { body, headers: withKey('reuse-1') })).statusCode, 201)
    const other = await admin.post('/v1/trainees', { body: { ...body, name: 'Someone Else' }, headers: withKey('reuse-1') })
    t.match(other.json(), { status: 422, code: 'idempotency-key-reused', errors: [{ pointer: '/headers/idempotency-key' }] })
    const elsewhere = await admin.post('/v1/supervisors', { body, headers: withKey('reuse-1') })
    t.match(elsewhere.json(), { status: 422, code: 'idempotency-key-reused' })
    t.equal(await countTrainees(db, body.email), 1)
  })

  await t.test('concurrent requests with one key: exactly one executes, the other gets 409', async (t) => {
    const body = person(org.id)
    const answers = await Promise.all([1, 2, 3].map(() => admin.post('/v1/trainees', { body, headers: withKey('race-1') })))
    const executed = answers.filter((a) => a.statusCode === 201 && !a.headers['idempotent-replayed'])
    t.equal(executed.length, 1, 'one executed')
    for (const a of answers.filter((x) => !executed.includes(x))) {
      if (a.statusCode === 409) t.match(a.json(), { code: 'idempotency-key-in-use' })
      else t.same(a.json(), executed[0]!.json(), 'or replayed its answer')
    }
    t.equal(await countTrainees(db, body.email), 1)
    if (!onServer) return
    // On a server, deterministically: the first request is held inside its write (the audit table
    // is locked), so the second surely arrives while it is in flight.
    const held = person(org.id)
    let second: Awaited<ReturnType<Client['post']>> | undefined
    let first: Promise<Awaited<ReturnType<Client['post']>>> | undefined
    await db.transaction(async (tx) => {
      await tx.execute(sql`lock table audit_events in exclusive mode`)
      first = admin.post('/v1/trainees', { body: held, headers: withKey('race-2') })
      for (let i = 0; i < 200 && (await storedFor(db, 'race-2')).length === 0; i++) await new Promise((r) => setTimeout(r, 10))
      second = await admin.post('/v1/trainees', { body: held, headers: withKey('race-2') })
    })
    t.match(second?.json(), { status: 409, code: 'idempotency-key-in-use' })
    t.ok(second?.headers['retry-after'], 'with Retry-After')
    t.equal((await first!).statusCode, 201)
    t.equal(await countTrainees(db, held.email), 1)
  })

  await t.test('an in-flight marker left by a crash blocks until it expires, then the key is usable', async (t) => {
    const body = person(org.id)
    const [keyRow] = await rows<{ id: string }>(db, sql`select id from api_keys order by created_at limit 1`)
    const digest = createHash('sha256').update(`POST /v1/trainees\n${JSON.stringify(body)}`).digest('hex')
    await db.execute(sql`insert into idempotency_keys (api_key_id, key, request_digest, lock_token, locked_until, expires_at)
      values (${keyRow!.id}, 'crashed-1', ${digest}, gen_random_uuid(), now() + interval '1 minute', now() + interval '1 day')`)
    const blocked = await admin.post('/v1/trainees', { body, headers: withKey('crashed-1') })
    t.match(blocked.json(), { status: 409, code: 'idempotency-key-in-use' }, 'the marker holds while it lasts')
    await db.execute(sql`update idempotency_keys set locked_until = now() - interval '1 second' where key = 'crashed-1'`)
    const after = await admin.post('/v1/trainees', { body, headers: withKey('crashed-1') })
    t.equal(after.statusCode, 201, after.body)
    t.equal(await countTrainees(db, body.email), 1)
    t.equal((await admin.post('/v1/trainees', { body, headers: withKey('crashed-1') })).headers['idempotent-replayed'], 'true', 'and its answer is kept')
  })

  await t.test('a stored answer past its retention is pruned, and its key is new again', async (t) => {
    const body = person(org.id)
    t.equal((await admin.post('/v1/trainees', { body, headers: withKey('retained-1') })).statusCode, 201)
    await db.execute(sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = 'retained-1'`)
    const fresh = await admin.post('/v1/trainees', { body: person(org.id), headers: withKey('retained-1') })
    t.equal(fresh.statusCode, 201, 'another body is not refused: the old answer is gone')
    t.notOk(fresh.headers['idempotent-replayed'])
    const [keyRow] = await rows<{ id: string }>(db, sql`select id from api_keys order by created_at limit 1`)
    for (const k of ['old-1', 'old-2', 'old-3']) {
      await db.execute(sql`insert into idempotency_keys (api_key_id, key, request_digest, status, headers, body, expires_at)
        values (${keyRow!.id}, ${k}, 'x', 201, '{}', '', now() - interval '1 hour')`)
    }
    t.equal(await pruneExpired(database.db, 2), 2, 'at most the batch at a time')
    t.equal(await pruneExpired(database.db, 2), 1)
    t.same((await rows<{ key: string }>(db, sql`select key from idempotency_keys where key like 'old-%'`)), [], 'all gone')
    t.equal((await storedFor(db, 'retained-1')).length, 1, 'a live answer stays')
  })

  await t.test('keys are per API key: another key\'s same Idempotency-Key is its own', async (t) => {
    const other = client(app, (await makeAccount(db, 'admin')).key)
    const body = person(org.id)
    const mine = await admin.post('/v1/trainees', { body, headers: withKey('shared-1') })
    const theirs = await other.post('/v1/trainees', { body, headers: withKey('shared-1') })
    t.equal(theirs.statusCode, 201, theirs.body)
    t.notOk(theirs.headers['idempotent-replayed'], 'it executes: the first key\'s stored answer is not theirs to read')
    t.not(theirs.json().id, mine.json().id)
    t.equal(await countTrainees(db, body.email), 2, 'one per key')
    const theirsOther = await other.post('/v1/trainees', { body: person(org.id), headers: withKey('create-1') })
    t.equal(theirsOther.statusCode, 201, 'another body under a key the first used is not refused as reused')
  })

  await t.test('an answer that showed a secret is not stored: its replay names the object, not the secret', async (t) => {
    const issued = await admin.post('/v1/me/api-keys', { body: { name: 'rotated' }, headers: withKey('secret-1') })
    t.equal(issued.statusCode, 201, issued.body)
    const replay = await admin.post('/v1/me/api-keys', { body: { name: 'rotated' }, headers: withKey('secret-1') })
    t.match(replay.json(), { status: 409, code: 'idempotency-secret-not-replayed', created: { kind: 'api-key', id: issued.json().id, url: `/v1/accounts/${issued.json().accountId}/api-keys` } })
    t.notOk(replay.body.includes(issued.json().key), 'the key is not in the replay')
    const [row] = await storedFor(db, 'secret-1')
    t.equal(row?.body, null, 'nor in the database')
    t.notOk(JSON.stringify(row).includes(issued.json().key))

    const supervisor = await makeSupervisor(db, org.id)
    const account = (await admin.post('/v1/accounts', { body: { role: 'supervisor', name: 'Invited Person', email: `invited${n}@example.org`, supervisorId: supervisor.id } })).json()
    const invited = await admin.post(`/v1/accounts/${account.id}/invitations`, { headers: withKey('invite-1') })
    t.equal(invited.statusCode, 201, invited.body)
    const again = await admin.post(`/v1/accounts/${account.id}/invitations`, { headers: withKey('invite-1') })
    t.match(again.json(), { status: 409, code: 'idempotency-secret-not-replayed', created: { id: account.id, url: `/v1/accounts/${account.id}` } })
    t.notOk(again.body.includes(invited.json().url), 'the link is not in the replay')
  })

  await t.test('a streamed CSV import: replayed by its bytes, another file is 422', async (t) => {
    const csv = (hrId: string) => `externalHrId,name,email,role\n${hrId},Csv Person,csv${hrId}@example.org,trainee\n`
    const importing = (body: string) => app.inject({
      method: 'POST', url: `/v1/organizations/${org.id}/people/imports`, payload: body,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv', ...withKey('import-1') }
    })
    const first = await importing(csv('900001'))
    t.equal(first.statusCode, 200, first.body)
    const again = await importing(csv('900001'))
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.body, first.body)
    t.equal((await rows<{ n: number }>(db, sql`select count(*)::int as n from trainees where external_hr_id = '900001'`))[0]!.n, 1, 'imported once')
    const other = await importing(csv('900002'))
    t.match(other.json(), { status: 422, code: 'idempotency-key-reused' }, 'the digest covers the streamed body')
  })

  await t.test('GET ignores the header; a bad key on a POST is a 400 pointing at it', async (t) => {
    for (const key of ['list-1', 'not a valid key', 'x'.repeat(300)]) {
      const list = await admin.get('/v1/trainees', { headers: withKey(key) })
      t.equal(list.statusCode, 200)
      t.notOk(list.headers['idempotent-replayed'])
    }
    t.same(await storedFor(db, 'list-1'), [], 'nothing stored for a GET')
    for (const key of ['has space', 'x'.repeat(256), '"unterminated', 'ünïcode', '""']) {
      const bad = await admin.post('/v1/trainees', { body: person(org.id), headers: withKey(key) })
      t.match(bad.json(), { status: 400, code: 'idempotency-key-invalid', errors: [{ pointer: '/headers/idempotency-key' }] }, JSON.stringify(key))
    }
    t.equal((await admin.post('/v1/trainees', { body: person(org.id), headers: withKey('x'.repeat(255)) })).statusCode, 201, '255 characters are fine')
  })

  await t.test('the OpenAPI document shows the header on every POST under /v1, and only there', async (t) => {
    const doc = app.swagger() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>> }
    const has = (op: { parameters?: Array<{ in: string; name: string }> }) => op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key') ?? false
    const posts = Object.entries(doc.paths).filter(([path]) => path.startsWith('/v1/')).flatMap(([path, ops]) => (ops.post ? [[path, ops.post] as const] : []))
    t.ok(posts.length > 10)
    t.same(posts.filter(([, op]) => !has(op)).map(([path]) => path), [], 'every POST documents it')
    t.notOk(has(doc.paths['/v1/trainees']!.get!), 'a GET does not')
    t.ok(has(doc.paths['/v1/accounts/{id}/deactivate']!.post!), 'beside If-Match')
  })
})
