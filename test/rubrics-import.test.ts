import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { auditEvents, rubricVersions, rubrics } from '../src/db/schema/index.ts'
import { clearRubricVersionCache, getRubricVersionById } from '../src/modules/rubrics/rubric-cache.ts'
import { RubricFilesInvalid } from '../src/modules/rubrics/rubric-files.ts'
import { importRubricDirectory, importRubricFiles } from '../src/modules/rubrics/rubric-import.ts'
import { testRubric } from './fixtures/rubric.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { copy, rubricDir, rubricYaml, SHIPPED_RUBRICS_DIR } from './helpers/rubrics.ts'

const SHIPPED = readFileSync(join(SHIPPED_RUBRICS_DIR, 'therapeutic-relationships.yaml'), 'utf8')

t.test('importing rubric files', async (t) => {
  // The importer and the cache run on the app's own role (on a server, the runtime role), as at start and in the CLI.
  const { app, db, database, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const versionsOf = async (key: string) => (await db.select({ version: rubricVersions.version, status: rubricVersions.status })
    .from(rubricVersions).innerJoin(rubrics, eq(rubrics.id, rubricVersions.rubricId)).where(eq(rubrics.key, key))
    .orderBy(rubricVersions.version))

  t.test('the shipped directory imports as published version 1, then is unchanged; an edit publishes version 2', async (t) => {
    t.same(await importRubricDirectory(database.db, SHIPPED_RUBRICS_DIR), [{ key: 'therapeutic-relationships', version: 1, outcome: 'created' }])
    t.same(await importRubricDirectory(database.db, SHIPPED_RUBRICS_DIR), [{ key: 'therapeutic-relationships', version: 1, outcome: 'unchanged' }], 'idempotent')
    t.same(await versionsOf('therapeutic-relationships'), [{ version: 1, status: 'published' }])

    const dir = rubricDir(t, { 'therapeutic-relationships.yaml': SHIPPED.replace('Scores one observed session', 'Scores a single observed session') })
    t.same(await importRubricDirectory(database.db, dir), [{ key: 'therapeutic-relationships', version: 2, outcome: 'created' }])
    t.same(await importRubricDirectory(database.db, dir), [{ key: 'therapeutic-relationships', version: 2, outcome: 'unchanged' }])
    t.same(await versionsOf('therapeutic-relationships'), [{ version: 1, status: 'published' }, { version: 2, status: 'published' }])

    const latest = await admin.get('/v1/rubrics/therapeutic-relationships/versions/latest')
    t.match(latest.json(), { version: 2, definition: { description: /^Scores a single observed session/ } }, 'served through the API')
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.objectId, latest.json().id))
    t.match(audit, [{ action: 'rubric_version.create', actorAccountId: null, changes: { source: 'import', version: 2, status: 'published' } }], 'audited')
  })

  t.test('one bad file among two: nothing is imported, every problem is reported', async (t) => {
    const bad = copy(testRubric)
    bad.areas[0]!.criteria[1]!.levels.splice(1, 1)
    bad.areas[1]!.key = 'safety'
    const dir = rubricDir(t, { 'a-good.yaml': rubricYaml('good-one', testRubric), 'b-bad.yml': rubricYaml('bad-one', bad) })
    const err = await importRubricDirectory(database.db, dir).catch((e: unknown) => e)
    t.ok(err instanceof RubricFilesInvalid)
    t.same((err as RubricFilesInvalid).problems.map((p) => `${p.file.replace(`${dir}/`, '')}: ${p.pointer}: ${p.detail}`), [
      'b-bad.yml: /areas/0/criteria/1/levels: expected 4 descriptors, one per scale level (1, 2, 3, 4)',
      'b-bad.yml: /areas/1/key: "safety" is already the key of /areas/0'
    ])
    t.same(await versionsOf('good-one'), [], 'the good file was not imported either')
  })

  t.test('an admin\'s open draft is not overwritten by a different file', async (t) => {
    const dir = rubricDir(t, { 'r.json': JSON.stringify({ key: 'drafted', ...testRubric }) })
    await importRubricFiles(database.db, [join(dir, 'r.json')])
    const changed = copy(testRubric)
    changed.title = 'Drafted through the API'
    t.equal((await admin.post('/v1/rubrics/drafted/versions', { body: { definition: changed } })).statusCode, 201)

    const fileChange = copy(testRubric)
    fileChange.title = 'Changed in the file'
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ key: 'drafted', ...fileChange }))
    const err = await importRubricDirectory(database.db, dir).catch((e: unknown) => e)
    t.ok(err instanceof RubricFilesInvalid)
    t.match((err as Error).message, /r\.json: \/key: rubric "drafted" has an unpublished draft \(version 2\)/)
    t.same(await versionsOf('drafted'), [{ version: 1, status: 'published' }, { version: 2, status: 'draft' }], 'nothing changed')

    writeFileSync(join(dir, 'r.json'), JSON.stringify({ key: 'drafted', ...changed }))
    t.same(await importRubricDirectory(database.db, dir), [{ key: 'drafted', version: 2, outcome: 'created' }], 'a file equal to the draft publishes it')
    t.same(await versionsOf('drafted'), [{ version: 1, status: 'published' }, { version: 2, status: 'published' }])
  })

  t.test('getRubricVersionById: correct data, published versions served from memory', async (t) => {
    clearRubricVersionCache()
    const [row] = await db.select().from(rubricVersions).innerJoin(rubrics, eq(rubrics.id, rubricVersions.rubricId))
      .where(eq(rubrics.key, 'drafted')).orderBy(rubricVersions.version).limit(1)
    const v = row!.rubric_versions
    const first = await getRubricVersionById(database.db, v.id)
    t.same(first, { id: v.id, rubricId: v.rubricId, key: 'drafted', version: 1, status: 'published', title: 'Test rubric', definition: testRubric })
    t.equal(await getRubricVersionById(database.db, v.id), first, 'the second read is the cached record')
    t.ok(Object.isFrozen(first!.definition.areas[0]!.criteria[0]), 'shared and frozen')
    await database.db.transaction(async (tx) => {
      t.equal(await getRubricVersionById(tx, v.id), first, 'inside a transaction too')
    })

    const draft = await admin.post('/v1/rubrics', { body: { key: 'cached-draft', definition: testRubric } })
    const draftId = draft.json().versions[0].id as string
    t.match(await getRubricVersionById(database.db, draftId), { status: 'draft', title: 'Test rubric' })
    const edited = copy(testRubric)
    edited.title = 'Edited draft'
    await admin.patch('/v1/rubrics/cached-draft/versions/1', { body: { definition: edited } })
    t.match(await getRubricVersionById(database.db, draftId), { status: 'draft', title: 'Edited draft', definition: { title: 'Edited draft' } }, 'drafts are read fresh')
    await admin.post('/v1/rubrics/cached-draft/versions/1/publish')
    t.match(await getRubricVersionById(database.db, draftId), { status: 'published', key: 'cached-draft' })

    t.equal(await getRubricVersionById(database.db, '00000000-0000-4000-8000-000000000000'), undefined, 'unknown id')
    t.equal(await getRubricVersionById(database.db, 'not-a-uuid'), undefined, 'malformed id')
  })
})
