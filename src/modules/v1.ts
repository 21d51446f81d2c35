import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import rubricsRoutes from './rubrics/rubrics-routes.ts'
import organizationsRoutes from './organizations/organizations-routes.ts'
import programsRoutes from './programs/programs-routes.ts'
import cohortsRoutes from './cohorts/cohorts-routes.ts'
import traineesRoutes from './trainees/trainees-routes.ts'
import supervisorsRoutes from './supervisors/supervisors-routes.ts'
import assignmentsRoutes from './assignments/assignments-routes.ts'
import observationsRoutes from './observations/observations-routes.ts'
import accountsRoutes from './accounts/accounts-routes.ts'
import identityRoutes from './identity/identity-routes.ts'
import auditRoutes from './audit/audit-routes.ts'
import feedbackReportRoutes from './reports/feedback-report-routes.ts'
import cohortReportRoutes from './reports/cohort-report-routes.ts'
import progressReportRoutes from './reports/progress-report-routes.ts'
import eligibilityRoutes from './eligibility/eligibility-routes.ts'
import certificatesRoutes from './certificates/certificates-routes.ts'
import importsRoutes from './imports/imports-routes.ts'
import groupMappingsRoutes from './scim/group-mappings-routes.ts'
import ssoRoutes from './sso/sso-routes.ts'
import eventsRoutes from './events/events-routes.ts'
import webhooksRoutes from './webhooks/webhooks-routes.ts'

/** Everything under /v1 needs an API key. */
const v1: FastifyPluginAsyncTypebox<{ importMaxBytes: number }> = async (app, opts) => {
  app.addHook('onRequest', async (request, reply) => {
    try {
      await app.authenticate(request)
    } catch (err) {
      // A request without a valid key is anonymous: it spends its address's budget, so guessing keys is slowed.
      await app.countRequest(request, reply)
      throw err
    }
  })
  for (const routes of [
    rubricsRoutes, organizationsRoutes, programsRoutes, cohortsRoutes, traineesRoutes,
    supervisorsRoutes, assignmentsRoutes, observationsRoutes, accountsRoutes, identityRoutes, auditRoutes, cohortReportRoutes,
    feedbackReportRoutes, progressReportRoutes, eligibilityRoutes, certificatesRoutes, ssoRoutes, groupMappingsRoutes,
    eventsRoutes, webhooksRoutes
  ]) {
    await app.register(routes)
  }
  // HR exports: the one route with its own body limit (IMPORT_MAX_BYTES) and CSV parser.
  await app.register(importsRoutes, { importMaxBytes: opts.importMaxBytes })
}

export default v1
