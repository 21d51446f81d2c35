import t from 'tap'
import { makeAccount, makeOrganization } from './helpers/factories.ts'
import { buildScimWorld, isScimError, nullsIn, SCIM_TYPE, scimClient } from './helpers/scim.ts'
import { buildShedApp, listen, until } from './helpers/shedding.ts'

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'

/** RFC 7644 §4: what an identity provider reads before it provisions, stated truthfully. */
t.test('SCIM discovery', async (t) => {
  const { scim, app, adminKey } = await buildScimWorld(t)

  await t.test('ServiceProviderConfig says what is supported, and nothing that is not', async (t) => {
    const res = await scim.get('ServiceProviderConfig')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], SCIM_TYPE)
    const config = res.json()
    t.match(config, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false }, sort: { supported: true }, etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken' }], meta: { resourceType: 'ServiceProviderConfig' }
    })
    t.same(nullsIn(config), [])
    // maxResults is what a page holds: a larger count is cut to it.
    const page = (await scim.get('Users?count=5000')).json()
    t.equal(page.itemsPerPage <= config.filter.maxResults, true)
  })

  await t.test('ResourceTypes and Schemas are ListResponses of what /Users and /Groups serve', async (t) => {
    const types = (await scim.get('ResourceTypes')).json()
    t.match(types, { schemas: [LIST], totalResults: 2, startIndex: 1, itemsPerPage: 2 })
    t.match(types.Resources[1], { id: 'Group', endpoint: '/Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group', schemaExtensions: [] })
    t.match(types.Resources[0], {
      id: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      schemaExtensions: [
        { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false },
        { schema: 'urn:ietf:params:scim:schemas:extension:rapport:2.0:User', required: false }
      ]
    })
    t.equal((await scim.get('ResourceTypes/User')).json().id, 'User')
    isScimError(t, await scim.get('ResourceTypes/Nope'), 404)

    const schemas = (await scim.get('Schemas')).json()
    t.equal(schemas.totalResults, schemas.Resources.length)
    t.same(schemas.Resources.map((s: { id: string }) => s.id), [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      'urn:ietf:params:scim:schemas:extension:rapport:2.0:User',
      'urn:ietf:params:scim:schemas:core:2.0:Group'
    ])
    const user = schemas.Resources[0]
    t.match(user.attributes.find((a: { name: string }) => a.name === 'userName'), { required: true, uniqueness: 'server', caseExact: false })
    t.same(nullsIn(types), [], 'no nulls in ResourceTypes')
    t.same(nullsIn(schemas), [], 'no nulls in Schemas')
    const one = await scim.get('Schemas/urn:ietf:params:scim:schemas:extension:rapport:2.0:User')
    t.same(one.json().attributes.map((a: { name: string }) => a.name), ['role', 'discipline'])
  })

  await t.test('discovery needs an integrator key too', async (t) => {
    isScimError(t, await scimClient(app, null).get('ServiceProviderConfig'), 401)
    isScimError(t, await scimClient(app, adminKey).get('Schemas'), 403)
  })
})

/** One app for both (each app costs a migrated database): the rate limit counted through inject, the shedding over real HTTP. */
t.test('rate limits and load shedding hold under /scim/v2', async (t) => {
  const { app, gate, adminKey } = await buildShedApp(t, { MAX_IN_FLIGHT_REQUESTS: '1', RATE_LIMIT_PER_MINUTE: '3' })
  const db = app.db
  const org = await makeOrganization(db)
  const scim = scimClient(app, (await makeAccount(db, 'integrator', { organizationId: org.id })).key)

  await t.test('over the rate limit: a 429 in SCIM\'s shape, with Retry-After', async (t) => {
    for (let i = 0; i < 3; i++) t.equal((await scim.get('ServiceProviderConfig')).statusCode, 200)
    const limited = await scim.get('Users')
    isScimError(t, limited, 429, undefined, 'the fourth request in a minute')
    t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  })

  await t.test('beyond MAX_IN_FLIGHT_REQUESTS a SCIM request is shed before any work', async (t) => {
    const origin = await listen(app)
    gate.reset()
    const held = fetch(`${origin}/test/slow`)
    await until(() => app.requestsInFlight() === 1)
    const shed = await fetch(`${origin}/scim/v2/Users`, { headers: { authorization: `Bearer ${adminKey}` } })
    t.equal(shed.status, 503)
    t.ok(Number(shed.headers.get('retry-after')) > 0, 'with Retry-After')
    gate.open()
    await held
  })
})
