import t from 'tap'
import { sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { HEADER_CASES, LONG, RAW_BODIES, samplesFor } from './helpers/fuzz-values.ts'
import { buildScimWorld, createUser, SCIM_TYPE, URNS, userBody } from './helpers/scim.ts'

/**
 * Fuzzing /scim/v2, which the OpenAPI document leaves out (so test/fuzz*.test.ts cannot reach it):
 * every route, with malformed JSON, wrong types, huge strings, deep nesting, NUL and lone
 * surrogates, bad filters, paths, paging, If-Match and PATCH operations, from a fixed seed. No
 * answer is a 5xx; every refusal is SCIM's own error document (application/scim+json, `status` the
 * HTTP code as a string), and a refused request writes nothing: no row, no revision, no audit
 * event. Embedded database or a server.
 */
const { CORE, ENTERPRISE, RAPPORT } = URNS
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const SAMPLES = 6
/**
 * Refusals Fastify makes before any route, so before the SCIM scope is known: they stay
 * problem+json (README, "SCIM 2.0 provisioning"). Real identity providers never send them: the ids
 * they use are the ones Rapport gave them.
 */
const BEFORE_ROUTING = new Set(['bad-url', 'uri-too-long'])

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
/** What a route takes: a list's query, a resource body, a PatchOp body, or nothing. */
type Kind = 'list' | 'get' | 'resource' | 'patch' | 'none'
interface Route { name: string; method: Method; path: string; kind: Kind; valid?: () => Record<string, unknown> }

let made = 0
const groupBody = () => ({ schemas: [GROUP], displayName: `Fuzz group ${++made}`, externalId: `g-${made}` })
const replaceUserBody = () => userBody({ name: { givenName: 'Fuzz', familyName: 'Person' }, [ENTERPRISE]: { department: 'Ward 4' } })

/**
 * Every /scim/v2 route; `{user}` and `{group}` are a user and a group of the key's organization.
 * A new resource type is one more block here.
 */
const ROUTES: Route[] = [
  { name: 'list users', method: 'GET', path: 'Users', kind: 'list' },
  { name: 'get user', method: 'GET', path: 'Users/{user}', kind: 'get' },
  { name: 'create user', method: 'POST', path: 'Users', kind: 'resource', valid: () => userBody() },
  { name: 'replace user', method: 'PUT', path: 'Users/{user}', kind: 'resource', valid: replaceUserBody },
  { name: 'patch user', method: 'PATCH', path: 'Users/{user}', kind: 'patch' },
  { name: 'delete user', method: 'DELETE', path: 'Users/{user}', kind: 'none' },
  { name: 'list groups', method: 'GET', path: 'Groups', kind: 'list' },
  { name: 'get group', method: 'GET', path: 'Groups/{group}', kind: 'get' },
  { name: 'create group', method: 'POST', path: 'Groups', kind: 'resource', valid: groupBody },
  { name: 'replace group', method: 'PUT', path: 'Groups/{group}', kind: 'resource', valid: groupBody },
  { name: 'patch group', method: 'PATCH', path: 'Groups/{group}', kind: 'patch' },
  { name: 'delete group', method: 'DELETE', path: 'Groups/{group}', kind: 'none' },
  { name: 'service provider config', method: 'GET', path: 'ServiceProviderConfig', kind: 'none' },
  { name: 'resource types', method: 'GET', path: 'ResourceTypes', kind: 'none' },
  { name: 'a resource type', method: 'GET', path: 'ResourceTypes/User', kind: 'none' },
  { name: 'schemas', method: 'GET', path: 'Schemas', kind: 'none' },
  { name: 'a schema', method: 'GET', path: `Schemas/${CORE}`, kind: 'none' }
]

/** Percent-encodes the UTF-8 bytes of any text, lone surrogates included (encodeURIComponent throws on them). */
const encode = (text: string) => [...Buffer.from(text, 'utf8')]
  .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')

const BAD_FILTERS = [
  'userName eq', 'userName eq "unterminated', 'eq "x"', 'userName xx "x"', '(userName eq "x"', 'userName eq "x")', 'not', 'and or',
  'emails[type eq "work"', 'emails[type eq "work"].value eq', 'emails[[type eq "work"]]', 'meta.created gt "not a date"',
  'active eq "maybe"', 'nosuch eq "x"', `${ENTERPRISE}:nosuch eq "x"`, 'userName eq 1e309', 'userName pr pr',
  'members[value eq "x"]', 'displayName eq "\u0000"', 'userName co "\ud800"', 'userName sw "%"', 'userName eq "\\"',
  `${'('.repeat(500)}userName eq "x"${')'.repeat(500)}`, Array.from({ length: 300 }, (_, i) => `userName eq "u${i}"`).join(' or '),
  `userName eq "${'x'.repeat(3_990)}"`, 'externalId eq null', 'id eq "00000000-0000-0000-0000-00000000000g"', 'userName eq "x" and'
]
const BAD_NUMBERS = ['-1', '0', 'abc', '1.5', '1e3', '99999999999', '-0', ' 1', '0x10', 'NaN', 'Infinity', '']
const BAD_PATHS = [
  '', ' ', 'nosuch', 'name.', '.givenName', 'name..givenName', 'emails[', 'emails[type eq "work"', 'emails[type eq]', 'emails[].value',
  'emails[type eq "work"].', 'members[value eq "x"].nosuch', `${ENTERPRISE}:`, `${ENTERPRISE}:nosuch`, 'urn:x:y', 'id', 'meta.created',
  'schemas', 'userName[type eq "x"]', 'active.value', '\u0000', '\ud800', LONG.slice(0, 999), 'name.givenName.x', 'emails[value co "\u0000"]'
]

t.test('SCIM survives hostile input: no 5xx, SCIM errors, nothing written on refusal', async (t) => {
  const w = await buildScimWorld(t)
  const { app, db, integratorKey } = w
  const user = await createUser(w.scim, userBody({ [ENTERPRISE]: { employeeNumber: 'FUZZ-1' } }))
  const groupRes = await w.scim.post('Groups', { body: { ...groupBody(), members: [{ value: user.id }] } })
  t.equal(groupRes.statusCode, 201, 'a group to fuzz')
  const ids: Record<string, string> = { user: user.id, group: (groupRes.json() as { id: string }).id }

  /** Everything a SCIM write may touch, in one statement: row counts, revisions, the audit trail. */
  const state = async () => JSON.stringify((await db.execute(sql`select
    (select count(*) from trainees) as trainees, (select coalesce(sum(revision), 0) from trainees) as trainee_revisions,
    (select count(*) from supervisors) as supervisors, (select coalesce(sum(revision), 0) from supervisors) as supervisor_revisions,
    (select count(*) from accounts) as accounts, (select coalesce(sum(revision), 0) from accounts) as account_revisions,
    (select count(*) from scim_users) as users, (select coalesce(sum(revision), 0) from scim_users) as user_revisions,
    (select count(*) from scim_groups) as groups, (select coalesce(sum(revision), 0) from scim_groups) as group_revisions,
    (select count(*) from scim_group_members) as members, (select count(*) from audit_events) as audit`) as unknown as { rows: unknown[] }).rows[0])

  const initial = await state()
  await createUser(w.scim, userBody())
  t.not(await state(), initial, 'the snapshot sees a write, so it would see a refused one')

  let sent = 0
  /** The state as the last refusal left it (a refusal changes nothing), so each write costs one snapshot, not two. */
  let known: string | undefined
  const failures: string[] = []
  /** Sends one request and checks the answer; returns it for checks of its own. */
  const send = async (route: Route, what: string, o: { path?: string; query?: string; headers?: Record<string, string>; body?: unknown; raw?: { contentType?: string; payload: string } } = {}): Promise<LightMyRequestResponse> => {
    const path = o.path ?? route.path.replace(/\{(\w+)\}/g, (_, k: string) => ids[k]!)
    const hasBody = o.raw !== undefined || o.body !== undefined
    const before = route.method === 'GET' ? '' : known ?? await state()
    const res = await app.inject({
      method: route.method,
      url: `/scim/v2/${path}${o.query ? `?${o.query}` : ''}`,
      headers: {
        authorization: `Bearer ${integratorKey}`,
        ...(hasBody ? { 'content-type': o.raw ? o.raw.contentType ?? '' : 'application/scim+json' } : {}),
        ...o.headers
      },
      ...(o.raw ? { payload: o.raw.payload } : o.body !== undefined ? { payload: JSON.stringify(o.body) } : {})
    })
    sent++
    const label = `${route.name}: ${what}`
    const fail = (why: string) => failures.push(`${label}: ${why} (${res.statusCode} ${res.body.slice(0, 300)})`)
    if (res.statusCode >= 500) fail('a 5xx')
    else if (res.statusCode >= 400) {
      const framework = String(res.headers['content-type']).startsWith('application/problem+json') && BEFORE_ROUTING.has((res.json() as { code?: string }).code ?? '')
      if (framework) { /* documented: problem+json */ } else if (!SCIM_TYPE.test(String(res.headers['content-type']))) fail('an error that is not application/scim+json')
      else {
        const body = res.json() as { schemas?: unknown; status?: unknown; detail?: unknown }
        if (JSON.stringify(body.schemas) !== '["urn:ietf:params:scim:api:messages:2.0:Error"]') fail('not a SCIM error document')
        if (body.status !== String(res.statusCode)) fail('status is not the HTTP code as a string')
        if (typeof body.detail !== 'string') fail('no detail')
      }
      if (route.method !== 'GET') {
        known = await state()
        if (known !== before) fail('a refused request wrote something')
      }
    } else if (res.statusCode !== 204 && res.statusCode !== 304 && !SCIM_TYPE.test(String(res.headers['content-type']))) {
      fail('a success that is not application/scim+json')
    }
    if (res.statusCode < 400 && route.method !== 'GET') known = undefined
    return res
  }

  for (const route of ROUTES) {
    await t.test(route.name, async (t) => {
      const start = failures.length
      const { strings, values } = samplesFor(`scim ${route.name}`, SAMPLES)

      // The id in the path: hostile text, another shape, another organization's resource.
      if (route.path.includes('{')) {
        const [collection] = route.path.split('/')
        for (const s of [...strings, 'not-a-uuid', '00000000-0000-4000-8000-000000000000', LONG.slice(0, 500)]) {
          await send(route, `id ${JSON.stringify(s.slice(0, 40))}`, { path: `${collection}/${encode(s)}`, ...(route.valid ? { body: route.valid() } : {}), ...(route.kind === 'patch' ? { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] } } : {}) })
        }
        const foreign = route.path.startsWith('Users')
          ? (await createUser(w.otherScim, userBody())).id
          : ((await w.otherScim.post('Groups', { body: groupBody() })).json() as { id: string }).id
        known = undefined
        const body = route.kind === 'patch' ? { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] } : route.valid?.()
        const res = await send(route, 'another organization\'s resource', { path: `${collection}/${foreign}`, ...(body ? { body } : {}) })
        t.equal(res.statusCode, 404, 'another organization\'s resource is not found')
      }
      // A path below the route, and query parameters nobody knows.
      await send(route, 'an unknown sub-path', { path: `${route.path.replace(/\{(\w+)\}/g, (_, k: string) => ids[k]!)}/nosuch/${encode('\u0000')}` })
      await send(route, 'unknown and repeated query parameters', { query: `x=${encode(LONG.slice(0, 150))}&x=2&${encode('\u0000')}=1` })

      // Headers: the shared hostile set, and If-Match of every bad kind on writes.
      for (const headers of HEADER_CASES) await send(route, `header ${Object.keys(headers)[0]}`, { headers, ...(route.valid ? { body: route.valid() } : {}) })
      if (route.method === 'PUT' || route.method === 'PATCH' || route.method === 'DELETE') {
        for (const ifMatch of ['W/"0"', '"stale"', 'W/', `W/"${'9'.repeat(300)}"`, '\u0000', 'W/"\ud800"']) {
          const body = route.kind === 'patch' ? { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'If-Match' }] } : route.valid?.()
          const res = await send(route, `If-Match ${JSON.stringify(ifMatch)}`, { headers: { 'if-match': /^[\x20-\x7e]*$/.test(ifMatch) ? ifMatch : encode(ifMatch) }, ...(body ? { body } : {}) })
          t.ok(res.statusCode >= 400, `If-Match ${JSON.stringify(ifMatch)} is not the current version (${res.statusCode})`)
        }
      }

      if (route.kind === 'list') {
        for (const filter of [...BAD_FILTERS, ...strings]) await send(route, `filter ${JSON.stringify(filter.slice(0, 40))}`, { query: `filter=${encode(filter)}` })
        for (const param of ['startIndex', 'count']) {
          for (const n of [...BAD_NUMBERS, ...strings]) await send(route, `${param}=${JSON.stringify(n.slice(0, 20))}`, { query: `${param}=${encode(n)}` })
        }
        for (const param of ['sortBy', 'sortOrder', 'attributes', 'excludedAttributes']) {
          for (const s of [...strings, 'meta.nosuch', `${ENTERPRISE}:`, 'emails[type eq "work"].value', ',,,']) await send(route, `${param}=${JSON.stringify(s.slice(0, 20))}`, { query: `${param}=${encode(s)}` })
        }
        await send(route, 'every parameter at once, repeated', { query: 'filter=a&filter=b&startIndex=1&startIndex=2&count=1&count=x&sortBy=a&sortBy=b' })
      }
      if (route.kind === 'get') {
        for (const param of ['attributes', 'excludedAttributes']) {
          for (const s of [...strings, 'members[value eq "x"]', `${ENTERPRISE}:nosuch`]) await send(route, `${param}=${JSON.stringify(s.slice(0, 20))}`, { query: `${param}=${encode(s)}` })
        }
        await send(route, 'If-None-Match garbage', { headers: { 'if-none-match': 'W/"\u00ff' } })
      }

      if (route.kind === 'resource' || route.kind === 'patch') {
        for (const raw of RAW_BODIES) await send(route, `body: ${raw.what}`, { raw })
      }
      if (route.kind === 'resource') {
        const valid = route.valid!
        // Each attribute Rapport reads, at every level, replaced by a hostile value of any type.
        const places: Array<Array<string | number>> = route.path.startsWith('Users')
          ? [['schemas'], ['schemas', 0], ['userName'], ['externalId'], ['displayName'], ['active'], ['name'], ['name', 'givenName'], ['name', 'familyName'], ['name', 'formatted'],
              ['emails'], ['emails', 0], ['emails', 0, 'value'], ['emails', 0, 'type'], ['emails', 0, 'primary'], [ENTERPRISE], [ENTERPRISE, 'employeeNumber'],
              [ENTERPRISE, 'department'], [ENTERPRISE, 'manager'], [RAPPORT], [RAPPORT, 'role'], [RAPPORT, 'discipline'], ['groups'], ['meta'], ['id']]
          : [['schemas'], ['displayName'], ['externalId'], ['members'], ['members', 0], ['members', 0, 'value'], ['meta'], ['id']]
        for (const place of places) {
          for (const value of values) {
            const body = valid() as Record<string | number, unknown>
            let at: Record<string | number, unknown> = body
            for (const step of place.slice(0, -1)) {
              if (typeof at[step] !== 'object' || at[step] === null) at[step] = typeof place[place.indexOf(step) + 1] === 'number' ? [] : {}
              at = at[step] as Record<string | number, unknown>
            }
            at[place[place.length - 1]!] = value
            await send(route, `${place.join('.')} = ${JSON.stringify(value)?.slice(0, 40)}`, { body })
          }
        }
        await send(route, 'every string 70 KB', { body: { ...valid(), userName: LONG, displayName: LONG, externalId: LONG } })
        await send(route, '1,000 emails', { body: { ...valid(), emails: Array.from({ length: 1000 }, (_, i) => ({ value: `e${i}@example.org`, type: 'work' })) } })
        await send(route, 'members of another organization', { body: { ...valid(), members: [{ value: ids.user }, { value: '00000000-0000-4000-8000-000000000000' }] } })
      }
      if (route.kind === 'patch') {
        const patch = (Operations: unknown) => ({ schemas: [PATCH_OP], Operations })
        const bodies: Array<[string, unknown]> = [
          ['no Operations', { schemas: [PATCH_OP] }], ['Operations an object', patch({ op: 'add' })], ['Operations empty', patch([])],
          ['Operations null', patch(null)], ['an operation a string', patch(['add'])], ['2,000 operations', patch(Array.from({ length: 2000 }, () => ({ op: 'add', path: 'displayName', value: 'x' })))],
          ['remove without a path', patch([{ op: 'remove' }])], ['add without a value', patch([{ op: 'add', path: 'displayName' }])],
          ['a path-less value that is not an object', patch([{ op: 'replace', value: 'x' }])], ['a path-less array', patch([{ op: 'replace', value: [1, 2] }])],
          ['remove members of nothing', patch([{ op: 'remove', path: 'members[value eq "00000000-0000-4000-8000-000000000000"]' }])],
          ['add members that are no users', patch([{ op: 'add', path: 'members', value: [{ value: 'nobody' }, { value: null }, 'x'] }])],
          ['one good and one bad operation', patch([{ op: 'replace', path: 'displayName', value: 'Atomic' }, { op: 'frobnicate', path: 'displayName', value: 'x' }])],
          ['replace id', patch([{ op: 'replace', path: 'id', value: 'mine' }])], ['replace meta', patch([{ op: 'replace', value: { meta: { version: 'x' } } }])],
          ['a value nested 60 deep', patch([{ op: 'add', path: 'displayName', value: JSON.parse('{"a":'.repeat(60) + '1' + '}'.repeat(60)) }])]
        ]
        for (const [what, body] of bodies) await send(route, what, { body })
        for (const op of [...strings, 'ADD ', 'Replace', 'move', 'copy', 'test']) await send(route, `op ${JSON.stringify(op.slice(0, 20))}`, { body: patch([{ op, path: 'displayName', value: 'x' }]) })
        for (const path of [...BAD_PATHS, ...strings]) {
          for (const op of ['add', 'replace', 'remove']) await send(route, `${op} path ${JSON.stringify(path.slice(0, 30))}`, { body: patch([{ op, path, value: 'x' }]) })
        }
        const targets = route.path.startsWith('Users')
          ? ['active', 'userName', 'emails[type eq "work"].value', 'name.givenName', `${ENTERPRISE}:employeeNumber`, `${ENTERPRISE}:manager`, `${RAPPORT}:role`, 'externalId']
          : ['displayName', 'members', 'externalId']
        for (const path of targets) {
          for (const value of values) await send(route, `replace ${path} = ${JSON.stringify(value)?.slice(0, 40)}`, { body: patch([{ op: 'replace', path, value }]) })
        }
        for (const value of values) await send(route, `path-less replace with ${JSON.stringify(value)?.slice(0, 40)}`, { body: patch([{ op: 'replace', value: { [targets[0]!]: value, displayName: value } }]) })
      }
      t.same(failures.slice(start), [], `${route.name}: no 5xx, every refusal a SCIM error, nothing written by one`)
    })
  }
  t.ok(sent > 1500, `${sent} requests sent`)
})
