import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ifMatchOf } from '../../lib/crud.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import {
  EligibilityListQuery, EligibilityListSchema, EligibilitySchema, ProgramEligibilityQuery, RuleSetSchema, RulesBody, TraineeEligibilityQuery
} from './eligibility-schemas.ts'
import { getTraineeEligibility, listEligibility } from './eligibility-service.ts'
import { getRuleHistory, getRules, rulesEtag, setRules, type EffectiveRules } from './rules-service.ts'

const tags = ['eligibility']
const coordinators = ['admin', 'coordinator'] as const

const view = (r: EffectiveRules) => ({
  programId: r.programId, version: r.version, source: r.source, createdAt: r.createdAt?.toISOString() ?? null, rules: r.rules?.rules ?? []
})

/** Eligibility rules per program (versioned), and eligibility that explains itself. */
const eligibilityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/programs/:id/eligibility-rules', {
    schema: {
      tags, operationId: 'getEligibilityRules', summary: 'The program\'s current eligibility rules',
      description: 'Version 0 with source "rubric": the program uses its rubric\'s default rules. Send the ETag as If-Match to change them.',
      params: IdParams, response: { 200: RuleSetSchema }
    }
  }, async (request, reply) => {
    const rules = await getRules(app.db, contextOf(request), request.params.id)
    return reply.header('etag', rulesEtag(rules.programId, rules.version)).send(view(rules))
  })

  app.get('/programs/:id/eligibility-rules/versions', {
    schema: {
      tags, operationId: 'listEligibilityRuleVersions', summary: 'Every version of the program\'s eligibility rules, newest first',
      params: IdParams, response: { 200: Type.Object({ items: Type.Array(RuleSetSchema, { maxItems: 1_000_000 }) }) }
    }
  }, async (request) => ({ items: (await getRuleHistory(app.db, contextOf(request), request.params.id)).map(view) }))

  app.put('/programs/:id/eligibility-rules', {
    onRequest: app.requireRole(...coordinators),
    schema: {
      tags, operationId: 'setEligibilityRules', summary: 'Replace the program\'s eligibility rules with a new version',
      description: 'If-Match (the current rules\' ETag) is required: 428 without it, 412 when someone changed them meanwhile. Certificates keep the version they were issued under.',
      params: IdParams, headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 200 })) }), body: RulesBody, response: { 200: RuleSetSchema }
    }
  }, async (request, reply) => {
    const rules = await setRules(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))
    return reply.header('etag', rulesEtag(rules.programId, rules.version)).send(view(rules))
  })

  app.get('/trainees/:id/eligibility', {
    schema: {
      tags, operationId: 'getTraineeEligibility', summary: 'Whether the trainee is eligible for the certificate, rule by rule',
      description: 'For every rule: what it requires, what the trainee has, whether it is met, the observations that counted and, when not met, what is missing in a sentence.',
      params: IdParams, querystring: TraineeEligibilityQuery, response: { 200: EligibilitySchema }
    }
  }, async (request) => getTraineeEligibility(app.db, contextOf(request), request.params.id, request.query))

  app.get('/programs/:id/eligibility', {
    onRequest: app.requireRole(...coordinators),
    schema: {
      tags, operationId: 'listProgramEligibility', summary: 'Every active trainee of the program with their eligibility status',
      description: 'Computed for all trainees at once in the database; filter by status (close = one rule missing) or cohort; in name order, paginated.',
      params: IdParams, querystring: ProgramEligibilityQuery, response: { 200: EligibilityListSchema }
    }
  }, async (request) => {
    const { cohortId, ...query } = request.query
    return listEligibility(app.db, contextOf(request), { programId: request.params.id, cohortId }, query)
  })

  app.get('/cohorts/:id/eligibility', {
    onRequest: app.requireRole(...coordinators),
    schema: {
      tags, operationId: 'listCohortEligibility', summary: 'Every active trainee of the cohort with their eligibility status',
      params: IdParams, querystring: EligibilityListQuery, response: { 200: EligibilityListSchema }
    }
  }, async (request) => listEligibility(app.db, contextOf(request), { cohortId: request.params.id }, request.query))
}

export default eligibilityRoutes
