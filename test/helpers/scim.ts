import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../../src/app.ts'
import { buildTestApp, type TestApp } from './app.ts'
import { makeAccount, makeOrganization } from './factories.ts'

export const SCIM_TYPE = /^application\/scim\+json/

/** A SCIM client as identity providers are: bodies sent as application/scim+json (or JSON when asked). */
export function scimClient(app: App, key: string | null) {
  const send = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') =>
    (url: string, o: { body?: unknown; headers?: Record<string, string>; json?: boolean } = {}): Promise<LightMyRequestResponse> =>
      app.inject({
        method,
        url: url.startsWith('/') ? url : `/scim/v2/${url}`,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(o.body === undefined ? {} : { 'content-type': o.json ? 'application/json' : 'application/scim+json' }),
          ...o.headers
        },
        ...(o.body === undefined ? {} : { payload: JSON.stringify(o.body) })
      })
  return { get: send('GET'), post: send('POST'), put: send('PUT'), patch: send('PATCH'), delete: send('DELETE') }
}

export type ScimClient = ReturnType<typeof scimClient>

export interface ScimWorld extends TestApp {
  org: { id: string }
  otherOrg: { id: string }
  scim: ScimClient
  otherScim: ScimClient
  integratorKey: string
}

/** An app with two organizations, each with an integrator key. */
export async function buildScimWorld(t: Test): Promise<ScimWorld> {
  const built = await buildTestApp(t)
  const org = await makeOrganization(built.db)
  const otherOrg = await makeOrganization(built.db)
  const integratorKey = (await makeAccount(built.db, 'integrator', { organizationId: org.id })).key
  const otherKey = (await makeAccount(built.db, 'integrator', { organizationId: otherOrg.id })).key
  return { ...built, org, otherOrg, integratorKey, scim: scimClient(built.app, integratorKey), otherScim: scimClient(built.app, otherKey) }
}

/** Asserts a SCIM error document (RFC 7644 §3.12): its status as a string, its scimType, no nulls. */
export function isScimError(t: Test, res: LightMyRequestResponse, status: number, scimType?: string, what?: string) {
  t.equal(res.statusCode, status, what ?? `answers ${status}`)
  t.match(res.headers['content-type'], SCIM_TYPE, 'as application/scim+json')
  const body = res.json()
  t.same(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
  t.equal(body.status, String(status), 'status is a string')
  if (scimType === undefined) t.notOk('scimType' in body, 'no scimType')
  else t.equal(body.scimType, scimType)
  t.type(body.detail, 'string')
  return body as { status: string; scimType?: string; detail: string }
}

/** No null anywhere in a document (RFC 7643 §2.5: an unassigned attribute is absent). */
export function nullsIn(value: unknown, at = ''): string[] {
  if (value === null) return [at || '/']
  if (Array.isArray(value)) return value.flatMap((v, i) => nullsIn(v, `${at}/${i}`))
  if (typeof value === 'object') return Object.entries(value as object).flatMap(([k, v]) => nullsIn(v, `${at}/${k}`))
  return []
}

export const URNS = {
  CORE: 'urn:ietf:params:scim:schemas:core:2.0:User',
  ENTERPRISE: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  RAPPORT: 'urn:ietf:params:scim:schemas:extension:rapport:2.0:User'
}

let made = 0
/** A minimal valid user with a userName and email of its own. */
export function userBody(extra: Record<string, unknown> = {}) {
  made++
  return { schemas: [URNS.CORE], userName: `person${made}@example.org`, emails: [{ value: `person${made}@example.org`, type: 'work' }], ...extra }
}

export type CreatedUser = Record<string, unknown> & { id: string; meta: { version: string; location: string } }

/** POST /Users that must succeed. */
export async function createUser(s: ScimClient, body: unknown): Promise<CreatedUser> {
  const res = await s.post('Users', { body })
  if (res.statusCode !== 201) throw new Error(`create answered ${res.statusCode}: ${res.body}`)
  return res.json() as CreatedUser
}
