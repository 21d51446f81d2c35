import t from 'tap'
import { buildTestApp, client } from './helpers/app.ts'
import { makeRubricVersion } from './helpers/factories.ts'
import { auditTrail, isProblem } from './helpers/structure.ts'

const { app, db, adminKey } = await buildTestApp(t)
const admin = client(app, adminKey)
const { rubric } = await makeRubricVersion(db)

t.test('an organization\'s time zone: UTC unless set, an IANA name both the service and the database know', async (t) => {
  const plain = await admin.post('/v1/organizations', { body: { name: 'Hospice' } })
  t.equal(plain.statusCode, 201)
  t.equal(plain.json().timeZone, 'UTC')

  const created = await admin.post('/v1/organizations', { body: { name: 'Atoll clinic', timeZone: 'Pacific/Kiritimati' } })
  t.equal(created.statusCode, 201)
  t.equal(created.json().timeZone, 'Pacific/Kiritimati')
  const id = created.json().id as string
  t.equal((await admin.get(`/v1/organizations/${id}`)).json().timeZone, 'Pacific/Kiritimati', 'shown in reads')

  for (const timeZone of ['Mars/Olympus_Mons', 'pacific/kiritimati', 'UTC+3']) {
    isProblem(t, await admin.post('/v1/organizations', { body: { name: 'X', timeZone } }), 422, 'unprocessable', ['/timeZone'], `create with ${timeZone}`)
  }
  const refused = await admin.post('/v1/organizations', { body: { name: 'X', timeZone: 'Mars/Olympus_Mons' } })
  t.equal(refused.json().code, 'time-zone-unknown')

  const etag = String(created.headers.etag)
  isProblem(t, await admin.patch(`/v1/organizations/${id}`, { headers: { 'if-match': etag }, body: { timeZone: 'Nowhere/Land' } }), 422, 'unprocessable', ['/timeZone'], 'update')
  const moved = await admin.patch(`/v1/organizations/${id}`, { headers: { 'if-match': etag }, body: { timeZone: 'America/New_York' } })
  t.equal(moved.statusCode, 200)
  t.equal(moved.json().timeZone, 'America/New_York')
  t.not(moved.headers.etag, etag, 'a new revision')
  isProblem(t, await admin.patch(`/v1/organizations/${id}`, { headers: { 'if-match': etag }, body: { timeZone: 'Europe/London' } }), 412, 'precondition-failed')
  const trail = await auditTrail(db, 'organization', id)
  t.match(trail.at(-1), { action: 'organization.update', changes: { timeZone: { from: 'Pacific/Kiritimati', to: 'America/New_York' } } }, 'audited with the update')
})

t.test('a program\'s reminder days: 1 to 365, or null for none', async (t) => {
  const created = await admin.post('/v1/programs', { body: { name: 'Certificate', rubricKey: rubric.key, rubricVersion: 1, acknowledgeReminderDays: 7 } })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { acknowledgeReminderDays: 7, draftReminderDays: null })
  const id = created.json().id as string
  const updated = await admin.patch(`/v1/programs/${id}`, { headers: { 'if-match': String(created.headers.etag) }, body: { acknowledgeReminderDays: null, draftReminderDays: 14 } })
  t.equal(updated.statusCode, 200)
  t.match(updated.json(), { acknowledgeReminderDays: null, draftReminderDays: 14 })
  t.match((await admin.get(`/v1/programs/${id}`)).json(), { acknowledgeReminderDays: null, draftReminderDays: 14 })
  t.match((await auditTrail(db, 'program', id)).at(-1), { action: 'program.update', changes: { draftReminderDays: { from: null, to: 14 } } })
  for (const days of [0, 366, 2.5, '3']) {
    const res = await admin.patch(`/v1/programs/${id}`, { body: { draftReminderDays: days } })
    t.equal(res.statusCode, 400, `${JSON.stringify(days)} is refused`)
    t.ok((res.json().errors as Array<{ pointer: string }>).some((e) => e.pointer === '/draftReminderDays'), 'pointing at the field')
  }
})
