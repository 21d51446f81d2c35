import { randomBytes } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { certificates, programs, trainees } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import { decodeCursor, keyset, toPage } from '../../lib/pagination.ts'
import type { CertificateData } from '../../reports/certificate.ts'
import type { Principal, RequestContext } from '../../lib/request-context.ts'
import { certificateScope, seesRevocationReason, traineeScope } from '../access/policy.ts'
import { recordAudit } from '../../db/audit.ts'
import { recordCertificateEvent } from '../../events/subjects.ts'
import { evaluateTrainee } from '../eligibility/eligibility-service.ts'
import { storedRuleSetId } from '../eligibility/rules-service.ts'
import {
  findCertificate, insertCertificate, listCertificates, nextSerial, revokeCertificate, statusFilter, validFor, type CertificateRow
} from './certificates-repository.ts'
import type { CertificateListQuery, CertificateView, IssueBody } from './certificates-schemas.ts'
import { buildOpenBadgeCredential, signCredential } from './credential.ts'
import type { SigningKey } from './signing-key.ts'
import type { VerifyResult } from './verify-page.ts'

/** Who issues: the name printed and signed, the public address, and the signing key (loaded on first use). */
export interface Issuer {
  name: string
  baseUrl: string
  key: () => SigningKey
}

export const verificationUrl = (baseUrl: string, code: string) => `${baseUrl.replace(/\/$/, '')}/verify/${code}`
export const certificateEtag = (row: { id: string; revision: number }) => etagOf(row.id, row.revision)
const day = (d: Date) => d.toISOString().slice(0, 10)

/** The certificate as `p` may read it: the revocation reason only for those who may revoke it. */
export function toView(row: CertificateRow, baseUrl: string, p: Principal, { evidence = false } = {}): CertificateView {
  return {
    id: row.id, serial: row.serial, status: row.revokedAt ? 'revoked' : 'valid', traineeId: row.traineeId, programId: row.programId,
    traineeName: row.traineeName, programName: row.programName, issuerName: row.issuerName,
    issuedAt: row.issuedAt.toISOString(), issuedOn: day(row.issuedAt), ruleSetVersion: row.ruleSetVersion,
    verificationUrl: verificationUrl(baseUrl, row.verificationCode),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    ...(seesRevocationReason(p, row.programId) ? { revocationReason: row.revocationReason } : {}),
    ...(evidence ? { evidence: row.evidence } : {})
  }
}

/**
 * Issues the trainee's certificate for the program, once: issuing again returns the one in force
 * (created: false). Refused with 409 and the unmet rules when the trainee is not eligible. The
 * trainee's row is locked first, so two coordinators issuing at once get one certificate.
 */
export async function issueCertificate(db: Db, ctx: RequestContext, issuer: Issuer, body: IssueBody, now: Date): Promise<{ created: boolean; row: CertificateRow }> {
  return db.transaction(async (tx) => {
    const [trainee] = await tx.select({ id: trainees.id, email: trainees.email }).from(trainees)
      .where(and(eq(trainees.id, body.traineeId), traineeScope(ctx.principal))).for('update')
    if (!trainee) throw ERRORS.notFound('trainee', body.traineeId)
    const evaluation = await evaluateTrainee(tx, ctx, trainee.id, { programId: body.programId, asOf: day(now) }, { lockRules: true })
    const existing = await findCertificate(tx, validFor(trainee.id, evaluation.programId))
    if (existing) return { created: false, row: existing }
    if (!evaluation.eligible) {
      throw problem('certificate-not-eligible', `${evaluation.traineeName} is not eligible: ${evaluation.message}`, {
        extensions: { unmet: evaluation.rules.filter((r) => !r.met).map((r) => ({ kind: r.kind, description: r.description, missing: r.missing })) }
      })
    }
    const [program] = await tx.select({ name: programs.name, description: programs.description }).from(programs).where(eq(programs.id, evaluation.programId))
    if (!program) throw ERRORS.internal()
    const ruleSetId = await storedRuleSetId(tx, evaluation.effective, ctx.principal.accountId)
    const id = crypto.randomUUID()
    const serial = `RC-${now.getUTCFullYear()}-${String(await nextSerial(tx)).padStart(6, '0')}`
    // 160 random bits: a code nobody can guess or enumerate.
    const code = randomBytes(20).toString('base64url')
    const counted = new Set(evaluation.rules.flatMap((r) => r.observations.map((o) => o.id)))
    const evidence = {
      ruleSetVersion: evaluation.effective.version === 0 ? 1 : evaluation.effective.version,
      evaluatedOn: evaluation.asOf,
      rubric: { key: evaluation.effective.rubric.key, version: evaluation.effective.rubric.version },
      rules: evaluation.rules.map(({ kind, rule, required, actual, met, description, observations }) => ({ kind, rule, required, actual, met, description, observations })),
      observations: evaluation.history.filter((o) => counted.has(o.id)).map((o) => ({
        id: o.id, sessionDate: o.sessionDate, supervisorId: o.supervisorId, modality: o.modality, setting: o.setting,
        durationMinutes: o.durationMinutes, acknowledged: o.acknowledged, levels: Object.fromEntries(o.levels)
      }))
    }
    const credential = await signCredential(buildOpenBadgeCredential({
      certificateId: id, serial, programId: evaluation.programId, programName: program.name,
      ...(program.description ? { programDescription: program.description } : {}),
      criteriaNarrative: evaluation.rules.map((r) => r.description).join('. ') + '.',
      traineeName: evaluation.traineeName, traineeEmail: trainee.email, issuedAt: now,
      verificationUrl: verificationUrl(issuer.baseUrl, code), baseUrl: issuer.baseUrl, issuerName: issuer.name
    }), issuer.key())
    const row = await insertCertificate(tx, {
      id, serial, verificationCode: code, traineeId: trainee.id, programId: evaluation.programId, ruleSetId,
      traineeName: evaluation.traineeName, programName: program.name, issuerName: issuer.name, issuedAt: now,
      issuedBy: ctx.principal.accountId, evidence, credential
    })
    await recordAudit(tx, ctx, { action: 'certificate.issue', objectType: 'certificate', objectId: id, changes: { serial, traineeId: trainee.id, programId: evaluation.programId, ruleSetVersion: evidence.ruleSetVersion } })
    await recordCertificateEvent(tx, ctx, 'issued', { id, traineeId: trainee.id, programId: evaluation.programId, serial })
    return { created: true, row: { ...row, ruleSetVersion: evidence.ruleSetVersion } }
  })
}

export async function getCertificate(db: Db, ctx: RequestContext, id: string): Promise<CertificateRow> {
  const row = await findCertificate(db, and(eq(certificates.id, id), certificateScope(ctx.principal)))
  if (!row) throw ERRORS.notFound('certificate', id)
  return row
}

export async function listCertificatePage(db: Db, ctx: RequestContext, q: CertificateListQuery) {
  const page = keyset(certificates.createdAt, certificates.id, decodeCursor(q.cursor))
  const rows = await listCertificates(db, and(
    certificateScope(ctx.principal), page.where, statusFilter(q.status),
    q.traineeId === undefined ? undefined : eq(certificates.traineeId, q.traineeId),
    q.programId === undefined ? undefined : eq(certificates.programId, q.programId)
  ), page.orderBy, q.limit + 1)
  return toPage(rows, q.limit)
}

/** Revocation, with a reason, once (If-Match required). The certificate stays on record; a new one may be issued after. */
export async function revoke(db: Db, ctx: RequestContext, id: string, reason: string, ifMatch: string | undefined, now: Date): Promise<CertificateRow> {
  return db.transaction(async (tx) => {
    const row = await findCertificate(tx, and(eq(certificates.id, id), certificateScope(ctx.principal)), { lock: true })
    if (!row) throw ERRORS.notFound('certificate', id)
    if (row.revokedAt) throw problem('certificate-already-revoked', `Certificate ${row.serial} was already revoked on ${day(row.revokedAt)}.`)
    checkIfMatch(ifMatch, certificateEtag(row))
    await revokeCertificate(tx, id, { reason, by: ctx.principal.accountId, at: now, revision: row.revision })
    await recordAudit(tx, ctx, { action: 'certificate.revoke', objectType: 'certificate', objectId: id, changes: { serial: row.serial, reason } })
    await recordCertificateEvent(tx, ctx, 'revoked', row)
    return { ...row, revokedAt: now, revocationReason: reason, revokedBy: ctx.principal.accountId, revision: row.revision + 1 }
  })
}

/** The public answer for a code: only what the certificate itself shows. */
export async function verify(db: Db, code: string): Promise<VerifyResult> {
  const row = /^[A-Za-z0-9_-]{10,60}$/.test(code) ? await findCertificate(db, eq(certificates.verificationCode, code)) : undefined
  if (!row) return { status: 'unknown' }
  const certificate = { traineeName: row.traineeName, programName: row.programName, issuedOn: day(row.issuedAt), serial: row.serial }
  return row.revokedAt ? { status: 'revoked', certificate: { ...certificate, revokedOn: day(row.revokedAt) } } : { status: 'valid', certificate }
}

/** The signed credential, served only while the certificate is in force: a signed credential cannot say it was revoked. */
export function credentialOf(row: CertificateRow): string {
  if (row.revokedAt) throw problem('credential-revoked', `Certificate ${row.serial} was revoked on ${day(row.revokedAt)}; its credential is withdrawn.`)
  return row.credential
}

/** What the certificate PDF shows; only a certificate in force has one. */
export function certificateData(row: CertificateRow, baseUrl: string): CertificateData {
  if (row.revokedAt) throw problem('certificate-revoked', `Certificate ${row.serial} was revoked on ${day(row.revokedAt)}; a revoked certificate is not printed.`)
  return {
    serial: row.serial, traineeName: row.traineeName, programName: row.programName, issuerName: row.issuerName,
    issuedOn: day(row.issuedAt), verificationUrl: verificationUrl(baseUrl, row.verificationCode), issuedAt: row.issuedAt
  }
}
