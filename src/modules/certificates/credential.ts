import { createHash, randomBytes } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import type { SigningKey } from './signing-key.ts'

/**
 * A certificate as an Open Badges 3.0 OpenBadgeCredential on the W3C Verifiable Credentials Data
 * Model 2.0, secured as a VC-JWT (W3C VC-JOSE-COSE): the JWT claims set is the credential itself.
 */
export const CREDENTIAL_CONTEXT = ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'] as const
/** The media type of a signed credential (VC-JOSE-COSE §6.1). */
export const CREDENTIAL_MEDIA_TYPE = 'application/vc+jwt'

export interface CredentialInput {
  certificateId: string
  serial: string
  programId: string
  programName: string
  programDescription?: string
  criteriaNarrative: string
  traineeName: string
  traineeEmail: string
  issuedAt: Date
  verificationUrl: string
  /** PUBLIC_BASE_URL: the issuer profile and the achievement are named under it. */
  baseUrl: string
  issuerName: string
  /** Salt for the hashed email; random when omitted (given only to make a credential reproducible). */
  salt?: string
}

export interface IdentityObject {
  type: 'IdentityObject'
  identityHash: string
  identityType: 'emailAddress' | 'name'
  hashed: boolean
  salt?: string
}

export interface OpenBadgeCredential {
  '@context': string[]
  id: string
  type: ['VerifiableCredential', 'OpenBadgeCredential']
  name: string
  description: string
  issuer: { id: string; type: ['Profile']; name: string }
  validFrom: string
  awardedDate: string
  credentialSubject: {
    type: ['AchievementSubject']
    identifier: IdentityObject[]
    achievement: {
      id: string
      type: ['Achievement']
      achievementType: 'CertificateOfCompletion'
      name: string
      description: string
      criteria: { narrative: string }
    }
  }
  evidence: Array<{ id: string; type: ['Evidence']; name: string; description: string }>
}

/**
 * OB 3.0's recipient hash: "sha256$" + hex(sha256(identity + salt)). The address is lowercased
 * first, as a verifier holding the address in another case would otherwise fail to match it.
 */
export function identityHash(email: string, salt: string): string {
  return `sha256$${createHash('sha256').update(email.trim().toLowerCase() + salt).digest('hex')}`
}

/** Whole seconds, as JWT NumericDate and as the credential's dates, so the two agree exactly. */
const isoSeconds = (d: Date): string => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')

export function buildOpenBadgeCredential(input: CredentialInput): OpenBadgeCredential {
  const base = input.baseUrl.replace(/\/+$/, '')
  const salt = input.salt ?? randomBytes(16).toString('hex')
  const issued = isoSeconds(input.issuedAt)
  return {
    '@context': [...CREDENTIAL_CONTEXT],
    id: `urn:uuid:${input.certificateId}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: `${input.programName}: certificate ${input.serial}`,
    description: `${input.traineeName} has met every requirement of ${input.programName}. Certificate ${input.serial}, issued by ${input.issuerName}; verify it at ${input.verificationUrl}`,
    issuer: { id: `${base}/issuer`, type: ['Profile'], name: input.issuerName },
    validFrom: issued,
    awardedDate: issued,
    credentialSubject: {
      type: ['AchievementSubject'],
      // AchievementSubject has no name property: the name travels as an unhashed IdentityObject,
      // the email only as a salted hash.
      identifier: [
        { type: 'IdentityObject', identityHash: identityHash(input.traineeEmail, salt), identityType: 'emailAddress', hashed: true, salt },
        { type: 'IdentityObject', identityHash: input.traineeName, identityType: 'name', hashed: false }
      ],
      achievement: {
        id: `${base}/achievements/${input.programId}`,
        type: ['Achievement'],
        achievementType: 'CertificateOfCompletion',
        name: input.programName,
        description: input.programDescription ?? `Awarded for meeting every requirement of ${input.programName}.`,
        criteria: { narrative: input.criteriaNarrative }
      }
    },
    evidence: [{
      id: input.verificationUrl,
      type: ['Evidence'],
      name: `Certificate ${input.serial}`,
      description: 'The issuer\'s public page confirming that this certificate is valid, or when it was revoked.'
    }]
  }
}

/**
 * Signs the credential as a compact JWS. Registered claims repeat what the credential says (issuer,
 * id, validFrom), so JWT tooling reads the same facts; the VCDM 1.1 `vc` claim is not used (VCDM 2.0).
 */
export async function signCredential(credential: OpenBadgeCredential, key: SigningKey): Promise<string> {
  const from = Math.floor(Date.parse(credential.validFrom) / 1000)
  return new SignJWT({ ...credential } as unknown as JWTPayload)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'vc+jwt', cty: 'vc' })
    .setIssuer(credential.issuer.id)
    .setJti(credential.id)
    .setIssuedAt(from)
    .setNotBefore(from)
    .sign(key.privateKey)
}
