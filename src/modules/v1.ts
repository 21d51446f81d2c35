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
import auditRoutes from './audit/audit-routes.ts'
import feedbackReportRoutes from './reports/feedback-report-routes.ts'
import cohortReportRoutes from './reports/cohort-report-routes.ts'
import progressReportRoutes from './reports/progress-report-routes.ts'
import eligibilityRoutes from './eligibility/eligibility-routes.ts'
import certificatesRoutes from './certificates/certificates-routes.ts'

/** Everything under /v1 needs an API key. */
const v1: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)
  for (const routes of [
    rubricsRoutes, organizationsRoutes, programsRoutes, cohortsRoutes, traineesRoutes,
    supervisorsRoutes, assignmentsRoutes, observationsRoutes, accountsRoutes, auditRoutes, cohortReportRoutes,
    feedbackReportRoutes, progressReportRoutes, eligibilityRoutes, certificatesRoutes
  ]) {
    await app.register(routes)
  }
}

export default v1
