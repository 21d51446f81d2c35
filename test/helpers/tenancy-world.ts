import { eq, sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../../src/app.ts'
import type { Db } from '../../src/db/client.ts'
import { accounts, apiKeys, events, identityProviders, scimGroups, webhookDeliveries, webhookEndpoints } from '../../src/db/schema/index.ts'
import { newSecret } from '../../src/modules/webhooks/signing.ts'
import { secretsKeyFrom } from '../../src/lib/secrets-key.ts'
import { SECRETS_KEY } from './app.ts'
import { generateApiKey } from '../../src/modules/accounts/api-key.ts'
import { hashPassword } from '../../src/modules/identity/passwords.ts'
import type { Role } from '../../src/lib/request-context.ts'
import { client, type Client } from './app.ts'
import { seedObservation } from './cohort-report.ts'
import { assign, makeAccount, makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor, makeTrainee } from './factories.ts'
import { completeScores, session } from './observations.ts'

/**
 * Two unrelated employers, A and B, each served by a program of its own, with one of everything in
 * each: cohort, trainee, supervisor, assignment, observations in every state, a certificate, an
 * account and key for every role. Valid under the tenancy rules of issue 11 (programs serve
 * organizations): each program is linked to its own organization when that link exists.
 */
export const ROLES = ['admin', 'coordinator', 'supervisor', 'trainee', 'integrator'] as const
export type Side = 'A' | 'B'
export type PersonRole = Exclude<Role, 'admin'>
export const OBSERVATION_STATES = ['draft', 'submitted', 'acknowledged'] as const
export type ObservationState = (typeof OBSERVATION_STATES)[number]

export interface AccountFixture { id: string; key: string; keyId: string }

export interface SideFixtures {
  organization: string
  program: string
  cohort: string
  trainee: string
  supervisor: string
  assignment: string
  observations: Record<ObservationState, string>
  certificate: string
  verificationCode: string
  /** A SCIM group of the organization (no members), for /v1/scim-groups. */
  scimGroup: string
  /** The integrator's webhook endpoint (never contacted: background work is off) and a failed delivery to it. */
  webhookEndpoint: string
  webhookDelivery: string
  accounts: Record<PersonRole, AccountFixture>
  /** The trainee's and supervisor's names and emails, for text filters. */
  names: string[]
}

export interface TenancyWorld {
  app: App
  db: Db
  admin: Client
  adminAccountId: string
  rubricVersionId: string
  rubricKey: string
  sides: Record<Side, SideFixtures>
  /** The keys the roles of organization A use (admin: the bootstrap key). */
  keys: Record<(typeof ROLES)[number], string>
  /** Every id of B's fixtures (not of the fresh objects writes are sent to). */
  bIds: Set<string>
  /** Whether this build has program-organization links (PUT /v1/programs/{id}/organizations/{organizationId}). */
  linksPrograms: boolean
}

const ok = (what: string, res: LightMyRequestResponse) => {
  if (res.statusCode >= 300) throw new Error(`${what}: ${res.statusCode} ${res.body}`)
  return res
}

async function keyOf(db: Db, accountId: string): Promise<string> {
  const [row] = await db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.accountId, accountId))
  return row!.id
}

let passwordHash: Promise<string> | undefined

/** An identity provider of the organization (stored as configured; never contacted), for /v1/organizations/{id}/identity-provider. */
export async function identityProviderIn(db: Db, organizationId: string) {
  await db.insert(identityProviders).values({
    organizationId, displayName: 'Employer ID', issuer: 'https://idp.example.org', clientId: 'rapport',
    clientSecret: secretsKeyFrom(Buffer.from(SECRETS_KEY, 'base64')).encrypt('fixture secret'), emailDomains: [`org-${organizationId}.example.org`]
  })
}

let groupsMade = 0
/** A SCIM group of the organization, as its identity provider would have pushed it. */
export async function scimGroupIn(db: Db, organizationId: string) {
  const [row] = await db.insert(scimGroups).values({ organizationId, displayName: `Group ${++groupsMade}` }).returning()
  return row!
}

/** An integrator's webhook endpoint for the organization, as registering it stores it. */
export async function webhookEndpointIn(db: Db, organizationId: string, ownerAccountId: string, state: 'active' | 'deactivated' = 'active'): Promise<string> {
  const [row] = await db.insert(webhookEndpoints).values({
    organizationId, ownerAccountId, url: `https://hooks-${organizationId.slice(0, 8)}.example.org/rapport`, eventTypes: ['trainee.created'],
    ...(state === 'deactivated' ? { active: false, disabledReason: 'manual', disabledAt: new Date() } : {}),
    secretSealed: secretsKeyFrom(Buffer.from(SECRETS_KEY, 'base64')).encrypt(newSecret())
  }).returning()
  return row!.id
}

/** A failed delivery to the endpoint of the trainee's creation (the event numbered, as the relay would). */
export async function webhookDeliveryIn(db: Db, organizationId: string, traineeId: string, endpointId: string): Promise<string> {
  const [event] = await db.insert(events).values({
    type: 'trainee.created', subjectType: 'trainee', subjectId: traineeId, organizationIds: [organizationId],
    data: { traineeId, organizationId, active: true, links: { self: `/v1/trainees/${traineeId}` } },
    feedSeq: sql`nextval('events_feed_seq')`
  }).returning()
  const [row] = await db.insert(webhookDeliveries).values({ endpointId, eventId: event!.eventId, state: 'failed', attempts: 10, lastStatus: 500 }).returning()
  return row!.id
}

/**
 * An account with an email address and one key. Coordinators' and trainees' accounts also have a
 * web password (so a password reset applies to them); supervisors' have none (so an invitation does).
 */
export async function accountFixture(db: Db, role: PersonRole, scope: Parameters<typeof makeAccount>[2]): Promise<AccountFixture> {
  const { account, key } = await makeAccount(db, role, scope)
  const password = role === 'coordinator' || role === 'trainee' ? { passwordHash: await (passwordHash ??= hashPassword('correct horse battery staple')) } : {}
  await db.update(accounts).set({ email: `${role}-${account.id.slice(0, 8)}@example.org`, ...password }).where(eq(accounts.id, account.id))
  return { id: account.id, key, keyId: await keyOf(db, account.id) }
}

/** A further key on an existing account; returns its id. */
export async function addKey(db: Db, accountId: string): Promise<string> {
  const key = generateApiKey()
  const [row] = await db.insert(apiKeys).values({ accountId, name: 'extra', prefix: key.prefix, keyHash: key.hash }).returning()
  return row!.id
}

export async function linkProgram(w: Pick<TenancyWorld, 'admin' | 'linksPrograms'>, programId: string, organizationId: string) {
  if (w.linksPrograms) ok('link program', await w.admin.put(`/v1/programs/${programId}/organizations/${organizationId}`, { headers: { 'if-match': '*' } }))
}

/** An observation of the side's trainee by its supervisor, through the API, in the given state (a draft ready to submit). */
export async function observationIn(w: TenancyWorld, side: Side, state: ObservationState): Promise<string> {
  const s = w.sides[side]
  const as = client(w.app, s.accounts.supervisor.key)
  const created = ok('create observation', await as.post('/v1/observations', {
    body: session(s.trainee, { scores: completeScores(), submit: state !== 'draft' })
  }))
  const id = (created.json() as { id: string }).id
  if (state === 'acknowledged') {
    ok('acknowledge', await client(w.app, s.accounts.trainee.key).post(`/v1/observations/${id}/acknowledge`, { headers: { 'if-match': '*' }, body: {} }))
  }
  return id
}

/** One submitted observation: enough for the side's eligibility rules. */
export async function makeEligible(w: TenancyWorld, side: Side, traineeId: string) {
  const s = w.sides[side]
  await seedObservation(w.db, {
    traineeId, supervisorId: s.supervisor, programId: s.program, rubricVersionId: w.rubricVersionId, sessionDate: '2025-03-03',
    levels: { 'eye-contact': 3, 'body-language': 3, paraphrasing: 3, 'non-verbal': 3 }
  })
}

/** A certificate for an eligible trainee of the side. */
export async function certificateFor(w: TenancyWorld, side: Side, traineeId: string) {
  const s = w.sides[side]
  const res = ok('issue certificate', await w.admin.post('/v1/certificates', { body: { traineeId, programId: s.program } }))
  const body = res.json() as { id: string; verificationUrl: string }
  return { id: body.id, code: body.verificationUrl.split('/').pop()! }
}

async function buildSide(w: TenancyWorld, side: Side): Promise<void> {
  const { db } = w
  const org = (await makeOrganization(db, `Employer ${side}`)).id
  const program = (await makeProgram(db, w.rubricVersionId)).id
  await linkProgram(w, program, org)
  const cohort = (await makeCohort(db, program)).id
  const traineeRow = await makeTrainee(db, org, cohort)
  const supervisorRow = await makeSupervisor(db, org)
  const [trainee, supervisor] = [traineeRow.id, supervisorRow.id]
  const assignment = (await assign(db, supervisor, trainee)).id
  ok('eligibility rules', await w.admin.put(`/v1/programs/${program}/eligibility-rules`, {
    headers: { 'if-match': '*' }, body: { rules: [{ kind: 'minObservations', count: 1 }] }
  }))
  const accounts = {
    coordinator: await accountFixture(db, 'coordinator', { programIds: [program] }),
    supervisor: await accountFixture(db, 'supervisor', { supervisorId: supervisor }),
    trainee: await accountFixture(db, 'trainee', { traineeId: trainee }),
    integrator: await accountFixture(db, 'integrator', { organizationId: org })
  }
  const placeholder = { draft: '', submitted: '', acknowledged: '' }
  const names = [traineeRow.name, traineeRow.email, supervisorRow.name, supervisorRow.email]
  const scimGroup = (await scimGroupIn(db, org)).id
  await identityProviderIn(db, org)
  const webhookEndpoint = await webhookEndpointIn(db, org, accounts.integrator.id)
  const webhookDelivery = await webhookDeliveryIn(db, org, trainee, webhookEndpoint)
  w.sides[side] = {
    organization: org, program, cohort, trainee, supervisor, assignment, observations: placeholder, certificate: '', verificationCode: '', scimGroup,
    webhookEndpoint, webhookDelivery, accounts, names
  }
  for (const state of OBSERVATION_STATES) w.sides[side].observations[state] = await observationIn(w, side, state)
  await makeEligible(w, side, trainee)
  const certificate = await certificateFor(w, side, trainee)
  w.sides[side].certificate = certificate.id
  w.sides[side].verificationCode = certificate.code
}

/** Every id a side's fixtures hold (accounts and their keys included). */
export function idsOf(s: SideFixtures): string[] {
  return [s.organization, s.program, s.cohort, s.trainee, s.supervisor, s.assignment, s.certificate, s.scimGroup, s.webhookEndpoint, s.webhookDelivery,
    ...Object.values(s.observations),
    ...Object.values(s.accounts).flatMap((a) => [a.id, a.keyId])]
}

export async function buildTenancyWorld(app: App, db: Db, adminKey: string): Promise<TenancyWorld> {
  const admin = client(app, adminKey)
  const me = ok('me', await admin.get('/v1/me')).json() as { id?: string; account?: { id: string } }
  const routes = ok('docs', await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> }
  const { rubric, version } = await makeRubricVersion(db)
  const w = {
    app, db, admin, adminAccountId: me.account?.id ?? me.id ?? '', rubricVersionId: version.id, rubricKey: rubric.key,
    sides: {} as Record<Side, SideFixtures>, bIds: new Set<string>(),
    linksPrograms: '/v1/programs/{id}/organizations/{organizationId}' in routes.paths,
    keys: { admin: adminKey, coordinator: '', supervisor: '', trainee: '', integrator: '' }
  } satisfies TenancyWorld
  await buildSide(w, 'A')
  await buildSide(w, 'B')
  for (const role of ['coordinator', 'supervisor', 'trainee', 'integrator'] as const) w.keys[role] = w.sides.A.accounts[role].key
  for (const id of idsOf(w.sides.B)) w.bIds.add(id)
  return w
}
