import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import t from 'tap'
import { sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { buildApp } from '../src/app.ts'
import { ensureAdmin } from '../src/bootstrap.ts'
import { loadConfig } from '../src/config.ts'
import { queueMail } from '../src/mail/queue.ts'
import { mailWorkerOnce } from '../src/mail/worker.ts'
import { ADMIN_KEY, SECRETS_KEY, SIGNING_KEY_PEM } from './helpers/app.ts'
import { requestParts, shapesOf, type Slot } from './helpers/access-matrix.ts'
import { NO_RATE_LIMITS } from './helpers/access-matrix-run.ts'
import { freshDatabase } from './helpers/database.ts'
import { branches, fillPath, loadOperations, queryParams, type JsonSchema, type Operation } from './helpers/openapi-operations.ts'
import { freshMaker } from './helpers/tenancy-fresh.ts'
import { addKey, buildTenancyWorld, ROLES, type TenancyWorld } from './helpers/tenancy-world.ts'
import { browser, signedIn } from './helpers/web.ts'

/**
 * Logs never hold what people wrote: a marker text goes through every operation of the OpenAPI
 * document (in its path, its query and every text member of its body), the web forms and forced
 * database failures, with every log line captured at trace level; the marker is in none of them.
 * The test checks that the marker did reach the service (stored and echoed), so it can fail.
 */
const MARKER = `zq${randomBytes(8).toString('hex')}`
const server = process.env.DATABASE_URL !== undefined

const isText = (s: JsonSchema) => branches(s).some((b) => b.type === 'string' && !b.enum && (!b.format || b.format === 'email'))
const markerFor = (s: JsonSchema, name: string) =>
  branches(s).some((b) => b.format === 'email') ? `${MARKER}.${name}@example.org` : `Note ${MARKER} in ${name}`

/** The plain body with every top-level text member carrying the marker. */
function markedBody(op: Operation, body: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!op.body?.properties || !body) return body
  const out = { ...body }
  for (const [name, schema] of Object.entries(op.body.properties)) if (isText(schema)) out[name] = markerFor(schema, name)
  return out
}

/** Ids for the plain requests: fresh ones, so no write disables a key the test goes on using. */
async function targets(w: TenancyWorld) {
  const fresh = freshMaker(w)
  const ids: Record<string, string> = {
    organization: await fresh.organization('A'), program: await fresh.program('A'), cohort: await fresh.cohort('A'),
    trainee: await fresh.trainee('A'), supervisor: await fresh.supervisor('A'), assignment: await fresh.assignment('A'),
    account: await fresh.account('A', 'supervisor'), apiKey: await addKey(w.db, w.adminAccountId), certificate: w.sides.A.certificate,
    scimGroup: await fresh.scimGroup('A'), webhookEndpoint: await fresh.webhookEndpoint('A', 'active'),
    webhookDelivery: await fresh.webhookDelivery('A')
  }
  return (slot: Slot, shape: string | undefined) =>
    Promise.resolve(slot.kind === 'observation' ? w.sides.A.observations[(shape ?? 'draft') as 'draft'] : ids[slot.kind]!)
}

t.test('no log line holds the text sent in paths, queries, bodies, forms or failing statements', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done() } })
  const config = loadConfig({
    LOG_LEVEL: 'trace', LOAD_RUBRICS_ON_START: 'false', ADMIN_API_KEY: ADMIN_KEY, CREDENTIAL_SIGNING_KEY: SIGNING_KEY_PEM, SECRETS_KEY,
    ...NO_RATE_LIMITS, MAX_IN_FLIGHT_REQUESTS: '0', SHED_EVENT_LOOP_DELAY_MS: '0', SHED_POOL_WAITING_MAX: '0',
    // The test runs the mail worker itself, so no background loop takes its messages first.
    DISPATCHER_ENABLED: 'false'
  })
  const { database, db, drop } = await freshDatabase()
  await ensureAdmin(database.db, ADMIN_KEY)
  const app = await buildApp({ config, database, logger: { level: 'trace', stream } })
  t.teardown(async () => {
    await app.close()
    await drop().catch(() => undefined)
  })

  // Statements that fail with the marker in their parameters, their message and the database's detail.
  const heldMarker: string[] = []
  const FAILURES: Record<string, ReturnType<typeof sql>> = {
    unique: sql`insert into leak values (${MARKER}, 1), (${MARKER}, 1)`,
    check: sql`insert into leak values (${MARKER}, -1)`,
    refused: sql`select ${MARKER}::integer`
  }
  app.post<{ Params: { kind: string } }>('/test-only/fail/:kind', { schema: { hide: true } }, async (request) => {
    try {
      await app.db.transaction(async (tx) => {
        await tx.execute(FAILURES[request.params.kind]!)
      })
    } catch (err) {
      const e = err as { message?: string; cause?: { message?: string; detail?: string } }
      if ([e.message, e.cause?.message, e.cause?.detail].some((x) => x?.includes(MARKER))) heldMarker.push(request.params.kind)
      request.log.error({ err }, 'forced failure')
      app.log.error(err as Error)
      throw err
    }
    return {}
  })
  await app.ready()
  // A table of the test's own, made as the owner (the app's role may not create tables).
  await db.execute(sql`create table leak (v text primary key, n integer check (n > 0))`)
  await db.execute(sql`grant select, insert on leak to public`)
  const w = await buildTenancyWorld(app, db, ADMIN_KEY)
  const valueOf = await targets(w)
  const operations = await loadOperations(app)
  const echoed = new Set<string>()
  let sent = 0

  const send = async (op: Operation, url: string, query: Record<string, string>, headers: Record<string, string>, body?: unknown) => {
    let res: LightMyRequestResponse | undefined
    // The first key the operation lets in, so that writes get as far as they can.
    for (const role of ROLES) {
      res = await app.inject({ method: op.method, url, query, headers: { ...headers, authorization: `Bearer ${w.keys[role]}` }, ...(body ? { payload: body as object } : {}) })
      sent++
      if (res.statusCode !== 403 && res.statusCode !== 404) break
    }
    if (res && res.statusCode < 300 && res.body.includes(MARKER)) echoed.add(op.operationId)
  }

  await t.test('every operation, with the marker in its path, its query and its body', async (t) => {
    for (const op of operations) {
      const plain = await requestParts(w, op, shapesOf(op)[0]!, valueOf)
      const query = Object.fromEntries([...queryParams(op).map((p) => [p.name, MARKER] as const), ['q', MARKER] as const])
      await send(op, fillPath(op, plain.pathValues), plain.query, plain.headers, markedBody(op, plain.body))
      await send(op, fillPath(op, plain.pathValues), query, plain.headers, plain.body)
      for (const p of op.parameters.filter((x) => x.in === 'path')) {
        await send(op, fillPath(op, { ...plain.pathValues, [p.name]: MARKER }), plain.query, plain.headers, plain.body)
      }
    }
    t.ok(operations.length > 40, `${operations.length} operations, ${sent} requests`)
    t.ok(echoed.size >= 10, `the marker was stored and echoed by ${echoed.size} writes (${[...echoed].slice(0, 5).join(', ')}, ...)`)
  })

  await t.test('the web forms: sign-in, invitation and reset links, the observation form', async (t) => {
    const visitor = browser(app)
    await visitor.get('/sign-in')
    const signIn = await visitor.post('/sign-in', { email: `${MARKER}@example.org`, password: MARKER })
    t.ok(signIn.statusCode < 500, `sign-in answered ${signIn.statusCode}`)
    for (const path of [`/invitations/${MARKER}`, `/password-resets/${MARKER}`, `/verify/${MARKER}`, `/sign-in?next=/${MARKER}`, `/${MARKER}/x?${MARKER}=${MARKER}`]) {
      await visitor.get(path)
      await visitor.post(path, { password: MARKER, confirm: MARKER })
    }
    const s = w.sides.A
    const supervisor = await signedIn(app, w.admin, { role: 'supervisor', name: 'Dana Reyes', email: 'dana.redaction@example.org', supervisorId: s.supervisor })
    await supervisor.get(`/observations/new?trainee=${s.trainee}`)
    const saved = await supervisor.post(`/observations/new?trainee=${s.trainee}`, {
      sessionDate: '2025-03-10', durationMinutes: '45', setting: `Room ${MARKER}`, modality: 'in_person', contextNote: `Context ${MARKER}`, strengths: `Strong ${MARKER}`, action: 'save'
    })
    t.equal(saved.statusCode, 303, `the observation form saved a draft (${saved.body.slice(0, 300)})`)
    const draft = await supervisor.get(String(saved.headers.location))
    t.match(draft.body, MARKER, 'and the draft shows the marker: it was stored')

    // Mail: a forgot-password request for a marked address, and a message to a marked person with a
    // marked link, both through the worker, which logs what it keeps.
    await visitor.get('/forgot-password')
    t.equal((await visitor.post('/forgot-password', { email: `${MARKER}.forgot@example.org` })).statusCode, 200, 'forgot password answered')
    await app.db.transaction((tx) => queueMail(tx, { template: 'invitation', to: `${MARKER}@example.org`, vars: { name: MARKER, link: `https://x.example/invitations/${MARKER}`, expiresAt: '2030-01-01T00:00:00Z' } }))
    t.ok(await mailWorkerOnce({ db: app.db, transport: null, baseUrl: 'http://localhost', log: app.log }) > 0, 'the mail worker handled them')
    t.ok(lines.some((l) => l.includes('"mail queued"')), 'and logged the kept message')
  })

  await t.test('failing statements: a unique violation, a check violation, a value the database refuses', async (t) => {
    for (const kind of Object.keys(FAILURES)) {
      const res = await app.inject({ method: 'POST', url: `/test-only/fail/${kind}?q=${MARKER}` })
      t.ok(res.statusCode >= 400, `${kind}: answered ${res.statusCode}`)
    }
    t.same(heldMarker.sort(), Object.keys(FAILURES).sort(), 'each error, as raised, held the marker (message, parameters or detail)')
    t.ok(lines.some((l) => l.includes('"forced failure"') && l.includes('"constraint"')), 'the errors were logged, with their constraint')
  })

  await t.test('a database that fails mid-request', async (t) => {
    if (server) {
      // The service's own session is ended by the server while a statement with the marker waits.
      const res = await app.inject({ method: 'POST', url: '/v1/organizations', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: `Org ${MARKER}` } })
      t.ok(res.statusCode < 500, 'a write before the failure works')
      await db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`)
    }
    await database.close()
    for (const payload of [{ name: `Org ${MARKER}` }, { name: `Second ${MARKER}` }]) {
      const res = await app.inject({ method: 'POST', url: '/v1/organizations', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload })
      t.ok(res.statusCode >= 500, `a write to a closed database fails (${res.statusCode})`)
    }
    const search = await app.inject({ url: `/v1/trainees?q=${MARKER}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    t.ok(search.statusCode >= 500, `a search fails (${search.statusCode})`)
  })

  t.ok(lines.length > 500, `${lines.length} log lines captured`)
  t.ok(lines.some((l) => l.includes('"incoming request"')) && lines.some((l) => /"level":50/.test(l)), 'request lines and error lines among them')
  const leaks = lines.filter((l) => l.toLowerCase().includes(MARKER))
  t.same(leaks.map((l) => l.slice(0, 600)), [], 'the marker is in no log line')
})
