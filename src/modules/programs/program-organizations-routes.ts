import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { ProgramOrganizationList, ProgramOrganizationParams, ProgramOrganizationSchema } from './program-organizations-schemas.ts'
import { linkOrganization, listProgramOrganizations, unlinkOrganization } from './program-organizations-service.ts'

const tags = ['programs']

/** Which organizations a programme serves: the tenancy links. Admins manage them; the programme's coordinators read them. */
const programOrganizationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/programs/:id/organizations', {
    onRequest: app.requireRole('admin', 'coordinator'),
    schema: {
      tags, operationId: 'listProgramOrganizations', summary: 'The organizations a programme serves',
      description: 'A programme\'s coordinators reach exactly these organizations: their trainees, supervisors and accounts.',
      params: IdParams, response: { 200: ProgramOrganizationList }
    }
  }, async (request) => ({ items: await listProgramOrganizations(app.db, contextOf(request), request.params.id) }))

  app.put('/programs/:id/organizations/:organizationId', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags, operationId: 'linkProgramOrganization', summary: 'Let a programme serve an organization (idempotent)',
      description: 'Answers 201 when the link is new, 200 when it already existed. Afterwards the organization\'s trainees may be placed in the programme\'s cohorts and its supervisors assigned to them.',
      params: ProgramOrganizationParams, response: { 200: ProgramOrganizationSchema, 201: ProgramOrganizationSchema }
    }
  }, async (request, reply) => {
    const { created, link } = await linkOrganization(app.db, contextOf(request), request.params.id, request.params.organizationId)
    return reply.code(created ? 201 : 200).send(link)
  })

  app.delete('/programs/:id/organizations/:organizationId', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags, operationId: 'unlinkProgramOrganization', summary: 'Stop a programme serving an organization',
      description: 'Idempotent: 204 also when the programme did not serve the organization. Refused (409, code program-organization-in-use) while active trainees of the organization are placed in the programme\'s cohorts; `trainees` lists them (id, name).',
      params: ProgramOrganizationParams, response: { 204: Type.Null({ description: 'The programme no longer serves the organization.' }) }
    }
  }, async (request, reply) => {
    await unlinkOrganization(app.db, contextOf(request), request.params.id, request.params.organizationId)
    return reply.code(204).send(null)
  })
}

export default programOrganizationsRoutes
