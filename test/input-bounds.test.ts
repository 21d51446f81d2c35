import t, { type Test } from 'tap'
import { buildTestApp, client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'
import { completeScores, countRows, pointers, session } from './helpers/observations.ts'

const NUL = '\u0000'

t.test('every input is bounded and text Postgres cannot store is refused, naming the field', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const supervisor = client(app, w.keys.supervisor)
  const admin = client(app, adminKey)
  const refused = async (t: Test, res: Awaited<ReturnType<typeof admin.get>>, pointer: string, detail?: RegExp) => {
    t.equal(res.statusCode, 400, `${pointer}: 400`)
    t.match(res.json(), { type: '/problems/validation', code: 'validation' })
    t.same(pointers(res), [pointer], `the problem points at ${pointer}`)
    if (detail) t.match(res.json().errors[0].detail, detail)
  }

  await t.test('a supervisor\'s observation: NUL in a field, in a nested score, and an unpaired surrogate', async (t) => {
    const before = await countRows(db)
    await refused(t, await supervisor.post('/v1/observations', { body: session(w.trainee.id, { setting: `hospice${NUL}room` }) }), '/setting', /NUL/)
    const scores = completeScores().map((s, i) => (i === 2 ? { ...s, evidence: `said ${NUL}` } : s))
    await refused(t, await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores, submit: true }) }), '/scores/2/evidence')
    // The JSON escape of half a surrogate pair parses to a string that UTF-8 cannot encode.
    const payload = JSON.stringify(session(w.trainee.id, { strengths: 'PLACEHOLDER' })).replace('PLACEHOLDER', '\\ud83d alone')
    const lone = await app.inject({ method: 'POST', url: '/v1/observations', payload, headers: { authorization: `Bearer ${w.keys.supervisor}`, 'content-type': 'application/json' } })
    await refused(t, lone, '/strengths', /surrogate/)
    t.same(await countRows(db), before, 'nothing was written')
    const paired = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { strengths: 'Warm 😀 and steady' }) })
    t.equal(paired.statusCode, 201, 'a character outside the BMP (a proper pair) is fine')
  })

  await t.test('NUL in free-form JSON, in a property name, in the query and in the path', async (t) => {
    const definition = { title: 'T', scale: [{ value: 1, label: 'a' }, { value: 2, label: `b${NUL}` }], areas: [] }
    await refused(t, await admin.post('/v1/rubrics', { body: { key: 'nul-rubric', definition } }), '/definition/scale/1/label')
    await refused(t, await admin.post('/v1/organizations', { body: { name: 'Org', [`x${NUL}`]: 1 } }), '/x\u0000', /name/)
    await refused(t, await admin.get('/v1/trainees', { query: { q: `ann${NUL}` } }), '/query/q')
    await refused(t, await admin.get('/v1/rubrics/ab%00cd'), '/params/key')
    await refused(t, await admin.get('/v1/audit-events?objectType=%00'), '/query/objectType')
    const verify = await app.inject({ url: '/verify/RAP%00-1', headers: { accept: 'application/json' } })
    await refused(t, verify, '/params/code')
  })

  await t.test('a NUL in a web form is refused before it reaches the database', async (t) => {
    const res = await app.inject({
      method: 'POST', url: '/sign-in', payload: `email=a%00%40example.org&password=x`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
    t.equal(res.statusCode, 400)
    t.match(res.body, /NUL/, 'the page says why')
    const long = await app.inject({
      method: 'POST', url: '/sign-in', payload: `email=${'a'.repeat(70_000)}&password=x`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
    t.equal(long.statusCode, 400, 'a 70 KB form field is refused')
  })

  await t.test('oversized strings, arrays and out-of-range integers are refused with pointers', async (t) => {
    const long = 'x'.repeat(70_000)
    await refused(t, await supervisor.post('/v1/observations', { body: session(w.trainee.id, { contextNote: long }) }), '/contextNote', /must NOT have more than 2000 characters/)
    await refused(t, await supervisor.post('/v1/observations', { body: session(w.trainee.id, { strengths: long }) }), '/strengths')
    await refused(t, await admin.post('/v1/organizations', { body: { name: long } }), '/name')
    const many = Array.from({ length: 1001 }, (_, i) => ({ criterionKey: `c${i}`, level: 1 }))
    await refused(t, await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: many }) }), '/scores', /must NOT have more than 200 items/)
    await refused(t, await supervisor.post('/v1/observations', { body: session(w.trainee.id, { durationMinutes: 2 ** 40 }) }), '/durationMinutes')
    await refused(t, await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: [{ criterionKey: 'eye-contact', level: 1e9 }] }) }), '/scores/0/level')
    await refused(t, await admin.get('/v1/trainees', { query: { limit: '100000' } }), '/query/limit')
    await refused(t, await admin.get(`/v1/observations/${w.trainee.id}/revisions/99999999999`), '/params/revision')
    await refused(t, await admin.patch(`/v1/organizations/${w.org.id}`, { body: { name: 'New' }, headers: { 'if-match': 'x'.repeat(300) } }), '/headers/if-match')
  })
})
