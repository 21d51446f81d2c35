import { and, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { certificateSerial, certificates, eligibilityRuleSets } from '../../db/schema/index.ts'

export type CertificateRow = typeof certificates.$inferSelect & { ruleSetVersion: number }

function select(db: Db) {
  return db.select({ certificate: certificates, ruleSetVersion: eligibilityRuleSets.version })
    .from(certificates).innerJoin(eligibilityRuleSets, eq(eligibilityRuleSets.id, certificates.ruleSetId))
}
const flat = (r: { certificate: typeof certificates.$inferSelect; ruleSetVersion: number }): CertificateRow => ({ ...r.certificate, ruleSetVersion: r.ruleSetVersion })

export async function findCertificate(db: Db, where: SQL | undefined, { lock = false } = {}): Promise<CertificateRow | undefined> {
  const query = select(db).where(where)
  const [row] = lock ? await query.for('update', { of: certificates }) : await query
  return row && flat(row)
}

export const validFor = (traineeId: string, programId: string) =>
  and(eq(certificates.traineeId, traineeId), eq(certificates.programId, programId), isNull(certificates.revokedAt))

export async function listCertificates(db: Db, where: SQL | undefined, orderBy: SQL[], limit: number): Promise<CertificateRow[]> {
  return (await select(db).where(where).orderBy(...orderBy).limit(limit)).map(flat)
}

export const statusFilter = (status: 'valid' | 'revoked' | undefined): SQL | undefined =>
  status === undefined ? undefined : status === 'valid' ? isNull(certificates.revokedAt) : isNotNull(certificates.revokedAt)

export async function nextSerial(db: Db): Promise<number> {
  const result = await db.execute(sql`select nextval(${sql.raw(`'${certificateSerial.seqName}'`)}) as n`) as unknown as { rows: Array<{ n: string | number }> }
  return Number(result.rows[0]!.n)
}

export async function insertCertificate(db: Db, values: typeof certificates.$inferInsert): Promise<typeof certificates.$inferSelect> {
  const [row] = await db.insert(certificates).values(values).returning()
  return row!
}

export async function revokeCertificate(db: Db, id: string, values: { reason: string; by: string | null; at: Date; revision: number }) {
  await db.update(certificates).set({ revokedAt: values.at, revocationReason: values.reason, revokedBy: values.by, revision: values.revision + 1 })
    .where(eq(certificates.id, id))
}
