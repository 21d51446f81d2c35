import { Type, type Static } from 'typebox'
import { Count, DateOnly, DateTime, Label, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

export const IssueBody = Type.Object({
  traineeId: Uuid,
  programId: Type.Optional({ ...Uuid, description: 'The program; the program of the trainee\'s cohort when omitted.' })
}, { additionalProperties: false })
export type IssueBody = Static<typeof IssueBody>

export const RevokeBody = Type.Object({
  reason: Type.String({ minLength: 3, maxLength: 2000, description: 'Why the certificate is revoked (kept in the record and the audit log, never shown publicly).' })
}, { additionalProperties: false })
export type RevokeBody = Static<typeof RevokeBody>

export const CertificateSchema = Type.Object({
  id: Uuid,
  serial: Label({ maxLength: 100 }),
  status: Type.Union([Type.Literal('valid'), Type.Literal('revoked')]),
  traineeId: Uuid,
  programId: Uuid,
  traineeName: Label({ maxLength: 200 }),
  programName: Label({ maxLength: 200 }),
  issuerName: Label(),
  issuedAt: DateTime,
  issuedOn: DateOnly,
  ruleSetVersion: Count(),
  verificationUrl: Type.String({ format: 'uri', maxLength: 2000, description: 'Public: anyone may check the certificate there (HTML, or JSON with Accept: application/json).' }),
  revokedAt: Nullable(DateTime),
  revocationReason: Type.Optional(Nullable(Label({ maxLength: 2000, description: 'Why it was revoked (null while valid). Only admins and the coordinators of the program receive it; for everyone else the field is absent.' }))),
  evidence: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The snapshot taken at issue: rule results and the observations and scores that satisfied them.' }))
})
export type CertificateView = Static<typeof CertificateSchema>

export const CertificateListQuery = Type.Object({
  ...PageQuery,
  traineeId: Type.Optional(Uuid),
  programId: Type.Optional(Uuid),
  status: Type.Optional(Type.Union([Type.Literal('valid'), Type.Literal('revoked')]))
}, { additionalProperties: false })
export type CertificateListQuery = Static<typeof CertificateListQuery>

export const CertificatePage = Page(CertificateSchema)

export const CodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })
