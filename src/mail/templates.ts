/**
 * Every message Rapport sends, and what each needs. Links are absolute URLs (PUBLIC_BASE_URL);
 * no template carries an observation's content, only a link to it.
 */
export interface MailTemplates {
  /** An account's invitation: set a password within the link's lifetime. */
  'invitation': { name: string; link: string; expiresAt: string }
  /** "Forgot password" from the sign-in page. */
  'password-reset': { name: string; link: string; expiresAt: string }
  /** An admin reset the password: the owner learns of it and gets the link. */
  'password-reset-by-admin': { name: string; link: string; expiresAt: string }
  /** To the trainee: a submitted observation is ready to read and acknowledge. */
  'observation-ready': { name: string; supervisorName: string; link: string }
  /** To the trainee: observations submitted `days` ago or more still wait for acknowledgement. */
  'acknowledge-reminder': { name: string; count: number; days: number; link: string }
  /** To the supervisor: drafts open `days` or more. */
  'draft-reminder': { name: string; count: number; days: number; link: string }
  'certificate-issued': { name: string; programName: string; link: string }
  'certificate-revoked': { name: string; programName: string; link: string }
  /** To an endpoint's owner: the service deactivated it. */
  'endpoint-disabled': { name: string; url: string; reason: 'gone' | 'failing'; link: string }
}

export type MailTemplate = keyof MailTemplates

/** One message to queue: the template, its values, and the recipient (their account when they have one). */
export type MailRequest = { [T in MailTemplate]: { template: T; to: string; accountId?: string | null; vars: MailTemplates[T] } }[MailTemplate]
