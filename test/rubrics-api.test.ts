import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import { auditEvents, rubricVersions, rubrics } from '../src/db/schema/index.ts'
import { testRubric } from './fixtures/rubric.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeAccount, makeOrganization, makeSupervisor, makeTrainee, type AccountScope } from './helpers/factories.ts'
import { copy } from './helpers/rubrics.ts'

type Problem = { type: string; status: number; detail: string; errors?: { pointer: string; detail: string }[]; draftVersion?: number }

t.test('rubric versions over HTTP', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const coordinator = client(app, (await makeAccount(db, 'coordinator')).key)
  const countRubrics = async () => (await db.select({ id: rubrics.id }).from(rubrics)).length

  t.test('create: version 1 as a draft, audited; a second rubric with the key is a 409', async (t) => {
    const res = await admin.post('/v1/rubrics', { body: { key: 'listening', definition: testRubric } })
    t.equal(res.statusCode, 201)
    t.equal(res.headers.location, '/v1/rubrics/listening')
    t.match(res.json(), {
      key: 'listening', title: 'Test rubric', latestPublishedVersion: null, draftVersion: 1,
      versions: [{ version: 1, status: 'draft', publishedAt: null, contentHash: /^[0-9a-f]{64}$/ }]
    })
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.objectId, res.json().versions[0].id))
    t.match(audit, [{ action: 'rubric_version.create', objectType: 'rubric_version', changes: { rubricKey: 'listening', version: 1, status: 'draft' } }])
    t.equal((await db.select().from(auditEvents).where(eq(auditEvents.action, 'rubric.create'))).length, 1, 'the rubric itself is audited too')

    const again = await admin.post('/v1/rubrics', { body: { key: 'listening', definition: testRubric, publish: true } })
    t.equal(again.statusCode, 409)
    t.equal(again.json().type, '/problems/conflict')
    t.equal(await countRubrics(), 1, 'nothing written')
  })

  t.test('a bad definition is refused with every problem, pointed into the request body', async (t) => {
    const before = await countRubrics()
    const shape = copy(testRubric) as unknown as { areas: { criteria: Record<string, unknown>[] }[] }
    shape.areas[0]!.criteria[0]!.rating = 5
    delete shape.areas[1]!.criteria[1]!.title
    const res = await admin.post('/v1/rubrics', { body: { key: 'bad-shape', definition: shape } })
    t.equal(res.statusCode, 400)
    t.same((res.json() as Problem).errors?.map((e) => e.pointer).sort(), ['/definition/areas/0/criteria/0/rating', '/definition/areas/1/criteria/1/title'])

    const rules = copy(testRubric)
    rules.areas[1]!.criteria[2]!.levels.pop()
    rules.areas[1]!.criteria[0]!.key = 'eye-contact'
    const res2 = await admin.post('/v1/rubrics', { body: { key: 'bad-rules', definition: rules } })
    t.equal(res2.statusCode, 400)
    t.equal(res2.json().type, '/problems/validation')
    t.same((res2.json() as Problem).errors, [
      { pointer: '/definition/areas/1/criteria/0/key', detail: '"eye-contact" is already the key of /areas/0/criteria/0' },
      { pointer: '/definition/areas/1/criteria/2/levels', detail: 'expected 4 descriptors, one per scale level (1, 2, 3, 4)' }
    ])
    t.equal(await countRubrics(), before, 'nothing written')
  })

  t.test('only admins write; every role reads published rubrics only', async (t) => {
    const org = await makeOrganization(db)
    const scopes = {
      coordinator: {},
      supervisor: { supervisorId: (await makeSupervisor(db, org.id)).id },
      trainee: { traineeId: (await makeTrainee(db, org.id, null)).id },
      integrator: { organizationId: org.id }
    }
    for (const [role, scope] of Object.entries(scopes) as [keyof typeof scopes, AccountScope][]) {
      const as = client(app, (await makeAccount(db, role, scope)).key)
      t.equal((await as.post('/v1/rubrics', { body: { key: `by-${role}`, definition: testRubric } })).statusCode, 403, `${role} cannot create`)
      t.equal((await as.post('/v1/rubrics/listening/versions', { body: { definition: testRubric } })).statusCode, 403, `${role} cannot add a version`)
      t.equal((await as.patch('/v1/rubrics/listening/versions/1', { body: { definition: testRubric } })).statusCode, 403, `${role} cannot edit`)
      t.equal((await as.post('/v1/rubrics/listening/versions/1/publish')).statusCode, 403, `${role} cannot publish`)
      t.equal((await as.get('/v1/rubrics/listening')).statusCode, 404, `${role} does not see a rubric that only has a draft`)
      t.equal((await as.get('/v1/rubrics/listening/versions/1')).statusCode, 404, `${role} does not see a draft`)
      t.same((await as.get('/v1/rubrics')).json().items, [], `${role} lists no unpublished rubric`)
    }
    t.equal((await db.select().from(rubricVersions)).length, 1, 'nothing written')
  })

  t.test('drafts change (If-Match honored); publishing freezes them', async (t) => {
    const read = await admin.get('/v1/rubrics/listening/versions/1')
    t.equal(read.statusCode, 200)
    const etag = read.headers.etag as string
    t.ok(etag, 'a version carries an ETag')

    const edited = copy(testRubric)
    edited.title = 'Listening rubric'
    const stale = await admin.patch('/v1/rubrics/listening/versions/1', { body: { definition: edited }, headers: { 'if-match': '"stale"' } })
    t.equal(stale.statusCode, 412, 'a stale If-Match is refused')
    const patched = await admin.patch('/v1/rubrics/listening/versions/1', { body: { definition: edited }, headers: { 'if-match': etag } })
    t.equal(patched.statusCode, 200)
    t.equal(patched.json().title, 'Listening rubric')
    t.not(patched.headers.etag, etag, 'the ETag follows the content')
    t.equal((await db.select().from(auditEvents).where(eq(auditEvents.action, 'rubric_version.update'))).length, 1, 'the edit is audited')

    const published = await admin.post('/v1/rubrics/listening/versions/1/publish')
    t.equal(published.statusCode, 200)
    t.match(published.json(), { version: 1, status: 'published', publishedAt: /^\d{4}-/ })
    t.not(published.headers.etag, patched.headers.etag, 'publishing changes the ETag')

    const twice = await admin.post('/v1/rubrics/listening/versions/1/publish')
    t.equal(twice.statusCode, 409, 'publishing twice is a 409')
    t.equal(twice.json().type, '/problems/record-locked')
    const change = await admin.patch('/v1/rubrics/listening/versions/1', { body: { definition: testRubric } })
    t.equal(change.statusCode, 409, 'a published version cannot be edited')
    t.equal(change.json().type, '/problems/record-locked')
    const [row] = await db.select().from(rubricVersions)
    t.equal(row?.title, 'Listening rubric', 'the stored version is untouched')

    t.match((await coordinator.get('/v1/rubrics/listening/versions/1')).json(), { status: 'published', definition: { title: 'Listening rubric' } }, 'other roles now see it')
  })

  t.test('a published version is immutable even through raw SQL', async (t) => {
    await t.rejects(db.execute(sql`update rubric_versions set title = 'rewritten' where status = 'published'`), 'UPDATE is rejected by the trigger')
    await t.rejects(db.execute(sql`delete from rubric_versions where status = 'published'`), 'DELETE is rejected by the trigger')
    const [row] = await db.select().from(rubricVersions)
    t.equal(row?.title, 'Listening rubric')
  })

  t.test('new versions are numbered, one open draft at a time; `latest` is the latest published', async (t) => {
    const v2 = await admin.post('/v1/rubrics/listening/versions', { body: { definition: testRubric } })
    t.equal(v2.statusCode, 201)
    t.match(v2.json(), { key: 'listening', version: 2, status: 'draft' })
    t.equal(v2.headers.location, '/v1/rubrics/listening/versions/2')

    const v3 = await admin.post('/v1/rubrics/listening/versions', { body: { definition: testRubric, publish: true } })
    t.equal(v3.statusCode, 409, 'a second draft is refused')
    t.equal((v3.json() as Problem).draftVersion, 2, 'naming the open draft')
    t.match(v3.json().detail, 'version 2')

    t.equal((await admin.get('/v1/rubrics/listening/versions/latest')).json().version, 1, 'latest is still version 1')
    t.equal((await coordinator.get('/v1/rubrics/listening/versions/2')).statusCode, 404, 'drafts stay hidden from others')

    const same = copy(testRubric)
    same.title = 'Listening rubric'
    t.equal((await admin.patch('/v1/rubrics/listening/versions/2', { body: { definition: same } })).statusCode, 200)
    const unchanged = await admin.post('/v1/rubrics/listening/versions/2/publish')
    t.equal(unchanged.statusCode, 409, 'publishing what is already in force is refused')
    t.match(unchanged.json().detail, /Nothing changed.*version 1/)

    const changed = copy(same)
    changed.areas[0]!.criteria[0]!.levels[3]!.descriptor = 'Adjusts eye contact to what the client needs.'
    await admin.patch('/v1/rubrics/listening/versions/2', { body: { definition: changed } })
    t.equal((await admin.post('/v1/rubrics/listening/versions/2/publish')).statusCode, 200)
    const latest = await coordinator.get('/v1/rubrics/listening/versions/latest')
    t.equal(latest.statusCode, 200)
    t.match(latest.json(), { version: 2, status: 'published' })
    t.ok(latest.headers.etag)
    t.equal((await admin.get('/v1/rubrics/listening/versions/9')).statusCode, 404)
    t.equal((await admin.get('/v1/rubrics/listening/versions/zero')).statusCode, 400)

    const direct = await admin.post('/v1/rubrics/listening/versions', { body: { definition: testRubric, publish: true } })
    t.match(direct.json(), { version: 3, status: 'published' }, 'a version may be published at once')
    const detail = await coordinator.get('/v1/rubrics/listening')
    t.match(detail.json(), { latestPublishedVersion: 3, draftVersion: null })
    t.same(detail.json().versions.map((v: { version: number }) => v.version), [3, 2, 1], 'versions newest first')
  })

  t.test('the list pages newest first and filters', async (t) => {
    await admin.post('/v1/rubrics', { body: { key: 'second', definition: testRubric } })
    await admin.post('/v1/rubrics', { body: { key: 'third', definition: testRubric, publish: true } })
    const first = await admin.get('/v1/rubrics', { query: { limit: '2' } })
    t.same(first.json().items.map((r: { key: string }) => r.key), ['third', 'second'])
    t.match(first.json().items, [{ latestPublishedVersion: 1, draftVersion: null }, { latestPublishedVersion: null, draftVersion: 1 }])
    const next = await admin.get('/v1/rubrics', { query: { limit: '2', cursor: first.json().nextCursor } })
    t.same(next.json().items.map((r: { key: string }) => r.key), ['listening'])
    t.match(next.json().items[0], { title: 'Test rubric', latestPublishedVersion: 3, draftVersion: null }, 'each with its latest published version')
    t.equal(next.json().nextCursor, null)
    t.same((await admin.get('/v1/rubrics', { query: { published: 'false' } })).json().items.map((r: { key: string }) => r.key), ['second'])
    t.same((await coordinator.get('/v1/rubrics')).json().items.map((r: { key: string; draftVersion: null }) => [r.key, r.draftVersion]),
      [['third', null], ['listening', null]], 'other roles list published rubrics only')
  })
})
