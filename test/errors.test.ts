import t from 'tap'
import { buildTestApp, client } from './helpers/app.ts'

// The error envelope, checked through the organizations routes (admin may write there).
t.test('bad requests get a problem+json 4xx, never a 500', async (t) => {
  const { app, adminKey } = await buildTestApp(t, { BODY_LIMIT_BYTES: '2048' })
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }

  const malformed = await app.inject({ method: 'POST', url: '/v1/organizations', headers, payload: '{"name": ' })
  t.equal(malformed.statusCode, 400, 'malformed JSON is a 400')
  t.match(malformed.headers['content-type'], /application\/problem\+json/)
  t.match(malformed.json(), { type: '/problems/malformed-body', status: 400 })

  const huge = await app.inject({ method: 'POST', url: '/v1/organizations', headers, payload: JSON.stringify({ name: 'x'.repeat(5000) }) })
  t.equal(huge.statusCode, 413, 'a body over the limit is a 413')
  t.equal(huge.json().type, '/problems/payload-too-large')

  const xml = await app.inject({ method: 'POST', url: '/v1/organizations', headers: { ...headers, 'content-type': 'application/xml' }, payload: '<x/>' })
  t.equal(xml.statusCode, 415, 'a body that is not JSON is a 415')
  t.equal(xml.json().type, '/problems/unsupported-media-type')

  const wrong = await client(app, adminKey).post('/v1/organizations', { body: { name: 42, colour: 'blue' } })
  t.equal(wrong.statusCode, 400, 'wrong types and unknown fields are a 400')
  const pointers = (wrong.json().errors as { pointer: string }[]).map((e) => e.pointer).sort()
  t.same(pointers, ['/colour', '/name'], 'each failing field is listed with its pointer')

  const badId = await client(app, adminKey).get('/v1/organizations/not-a-uuid')
  t.equal(badId.statusCode, 400, 'a malformed id is a 400')
  t.equal(badId.json().errors[0].pointer, '/params/id')

  const unknownId = await client(app, adminKey).get('/v1/organizations/00000000-0000-4000-8000-000000000000')
  t.equal(unknownId.statusCode, 404, 'an unknown id is a 404')
})
