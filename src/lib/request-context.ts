import type { roles } from '../db/schema/accounts.ts'

export type Role = (typeof roles)[number]

/** The authenticated caller, with the scope its role grants. */
export interface Principal {
  accountId: string
  /** The API key used; null for a person signed in to the web pages. */
  apiKeyId: string | null
  role: Role
  name: string
  /** Set for role supervisor. */
  supervisorId: string | null
  /** Set for role trainee. */
  traineeId: string | null
  /** Set for role integrator. */
  organizationId: string | null
  /** Programs a coordinator is responsible for (empty for other roles). */
  programIds: string[]
}

/** What every service call needs to know about the request it serves. */
export interface RequestContext {
  principal: Principal
  requestId: string
  /** Set only by an app built with `events: false` (the events benchmark's baseline): its writes record no events. */
  eventsOff?: boolean
}
