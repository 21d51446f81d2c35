import { TOTP, Secret } from 'otpauth'
import type { App } from '../../src/app.ts'
import type { Db } from '../../src/db/client.ts'
import { rows } from '../../src/db/rows.ts'
import type { SQL } from 'drizzle-orm'
import type { Client } from './app.ts'
import { makeOrganization, makeSupervisor, makeTrainee } from './factories.ts'
import { browser, type Browser } from './web.ts'

export const PASSWORD = 'a long enough passphrase 7'

/** The code an authenticator app would show for this secret (as shown at enrolment) at this time. */
export const totpCode = (secret: string, at = Date.now()) =>
  TOTP.generate({ secret: Secret.fromBase32(secret.replace(/\s/g, '')), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at })

/** The key shown on the enrolment page, read as a person would. */
export const shownSecret = (body: string) => /id="totp-secret">([A-Z2-7 ]+)</.exec(body)?.[1]?.replace(/\s/g, '')
export const shownRecoveryCodes = (body: string) => [...(/id="recovery-codes">([\s\S]*?)<\/ol>/.exec(body)?.[1] ?? '').matchAll(/<li>([^<]+)<\/li>/g)].map((m) => m[1]!)

/** A new person (a supervisor record of their own) with an account, invited, and with a password set. */
export async function personWithPassword(app: App, db: Db, admin: Client, o: { role?: 'supervisor' | 'trainee' | 'coordinator' | 'admin'; email: string; name?: string; programIds?: string[]; remoteAddress?: string }) {
  const role = o.role ?? 'supervisor'
  const org = await makeOrganization(db)
  const link = role === 'supervisor' ? { supervisorId: (await makeSupervisor(db, org.id)).id }
    : role === 'trainee' ? { traineeId: (await makeTrainee(db, org.id, null)).id }
    : role === 'coordinator' ? { programIds: o.programIds ?? [] } : {}
  const created = await admin.post('/v1/accounts', { body: { role, name: o.name ?? `Person ${o.email}`, email: o.email, ...link } })
  if (created.statusCode !== 201) throw new Error(created.body)
  const account = created.json() as { id: string; role: string } & Record<string, unknown>
  const invite = await admin.post(`/v1/accounts/${account.id}/invitations`)
  const path = new URL(invite.json().url).pathname
  const b = browser(app, { remoteAddress: o.remoteAddress })
  await b.get(path)
  const done = await b.post(path, { password: PASSWORD, confirm: PASSWORD })
  if (done.statusCode !== 303) throw new Error(`setting the password failed: ${done.statusCode}`)
  return { account, organizationId: org.id, browser: b, firstStop: done.headers.location as string }
}

/** Signs in with email and password from a fresh browser. */
export async function passwordStep(app: App, email: string, password = PASSWORD, remoteAddress?: string): Promise<{ b: Browser; status: number; location?: string }> {
  const b = browser(app, { remoteAddress })
  await b.get('/sign-in')
  const res = await b.post('/sign-in', { email, password, next: '/' })
  return { b, status: res.statusCode, location: res.headers.location as string | undefined }
}

export async function countRows(db: Db, query: SQL): Promise<number> {
  return (await rows<{ n: number }>(db, query))[0]!.n
}
