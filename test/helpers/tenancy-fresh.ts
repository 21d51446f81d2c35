import type { Db } from '../../src/db/client.ts'
import { coordinatorPrograms } from '../../src/db/schema/index.ts'
import { assign, makeCohort, makeOrganization, makeProgram, makeSupervisor, makeTrainee } from './factories.ts'
import {
  accountFixture, addKey, certificateFor, identityProviderIn, linkProgram, makeEligible, observationIn, scimGroupIn, webhookDeliveryIn, webhookEndpointIn,
  type ObservationState, type PersonRole, type ROLES, type Side, type TenancyWorld
} from './tenancy-world.ts'

/**
 * Fresh objects, made per write so that no write changes what another request relies on. They stay
 * out of bIds: a leaking write may tie one to A, and the reads that then show it would only count
 * the same leak twice.
 */
export function freshMaker(w: TenancyWorld) {
  const db: Db = w.db
  const trainee = async (side: Side) => {
    const s = w.sides[side]
    const id = (await makeTrainee(db, s.organization, s.cohort)).id
    await assign(db, s.supervisor, id)
    await makeEligible(w, side, id)
    return id
  }
  const supervisor = async (side: Side) => {
    const s = w.sides[side]
    const id = (await makeSupervisor(db, s.organization)).id
    await assign(db, id, s.trainee)
    return id
  }
  return {
    trainee,
    supervisor,
    organization: async (side: Side) => {
      const id = (await makeOrganization(db)).id
      await linkProgram(w, w.sides[side].program, id)
      await identityProviderIn(db, id)
      return id
    },
    program: async (side: Side) => {
      const s = w.sides[side]
      const id = (await makeProgram(db, w.rubricVersionId)).id
      await db.insert(coordinatorPrograms).values({ accountId: s.accounts.coordinator.id, programId: id })
      await linkProgram(w, id, s.organization)
      return id
    },
    cohort: async (side: Side) => (await makeCohort(db, w.sides[side].program)).id,
    assignment: async (side: Side) => {
      const s = w.sides[side]
      const t = (await makeTrainee(db, s.organization, s.cohort)).id
      return (await assign(db, s.supervisor, t)).id
    },
    observation: (side: Side, state: ObservationState) => observationIn(w, side, state),
    certificate: async (side: Side) => (await certificateFor(w, side, await trainee(side))).id,
    scimGroup: async (side: Side) => (await scimGroupIn(db, w.sides[side].organization)).id,
    webhookEndpoint: (side: Side, state: 'active' | 'deactivated') => webhookEndpointIn(db, w.sides[side].organization, w.sides[side].accounts.integrator.id, state),
    webhookDelivery: async (side: Side) => {
      const s = w.sides[side]
      return webhookDeliveryIn(db, s.organization, s.trainee, await webhookEndpointIn(db, s.organization, s.accounts.integrator.id))
    },
    account: async (side: Side, role: PersonRole) => {
      const s = w.sides[side]
      const scope = role === 'coordinator' ? { programIds: [s.program] }
        : role === 'integrator' ? { organizationId: s.organization }
          : role === 'supervisor' ? { supervisorId: await supervisor(side) } : { traineeId: await trainee(side) }
      return (await accountFixture(db, role, scope)).id
    },
    /** A key on the account the role uses on that side (admin: A's own admin account, B's coordinator). */
    apiKey: async (side: Side, role: (typeof ROLES)[number]) => {
      const accountId = role === 'admin' ? (side === 'A' ? w.adminAccountId : w.sides.B.accounts.coordinator.id) : w.sides[side].accounts[role].id
      return addKey(db, accountId)
    }
  }
}

export type FreshMaker = ReturnType<typeof freshMaker>
