import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { trustProxyOption, type Config } from './config.ts'
import { databaseOptions, openDatabase, type Database } from './db/client.ts'
import errorsPlugin from './plugins/errors.ts'
import { closingPlugin, frameworkOptions } from './plugins/framework-answers.ts'
import securityHeaders, { apiHeaders, isHttps } from './plugins/security-headers.ts'
import dbPlugin from './plugins/db.ts'
import { requestLogging } from './plugins/logging.ts'
import metricsPlugin, { metricsRoute } from './plugins/metrics.ts'
import loadShedding from './plugins/load-shedding.ts'
import { createAdmission } from './plugins/admission.ts'
import authPlugin from './plugins/auth.ts'
import swaggerPlugin from './plugins/swagger.ts'
import rateLimitPlugin from './plugins/rate-limit.ts'
import idempotencyPlugin from './plugins/idempotency.ts'
import renderPoolPlugin from './plugins/render-pool.ts'
import issuerPlugin from './plugins/issuer.ts'
import identityPlugin from './plugins/identity.ts'
import backgroundPlugin from './plugins/background.ts'
import eventsPlugin from './events/events-plugin.ts'
import webhooksPlugin from './modules/webhooks/webhooks-plugin.ts'
import mailPlugin from './mail/mail-plugin.ts'
import schedulesPlugin from './schedules/schedules-plugin.ts'
import publicRoutes from './modules/certificates/public-routes.ts'
import { createValidatorCompiler, refuseUnstorableText } from './plugins/validation.ts'
import healthRoutes from './modules/health/health-routes.ts'
import v1 from './modules/v1.ts'
import scimRoutes from './modules/scim/scim-routes.ts'
import webRoutes, { secureCookiesFor } from './modules/web/web-routes.ts'
import { VERSION } from './version.ts'

export interface AppOptions {
  config: Config
  /** An open database; when omitted the app opens one from config and closes it on shutdown. */
  database?: Database
  logger?: FastifyServerOptions['logger']
  /**
   * Bench only (bench/events.ts, its baseline): false builds the app without events, so writes
   * record none and no background loop runs. Default true.
   */
  events?: boolean
}

export type App = FastifyInstance

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,200}$/

export const requestIdOf = (sent: string | string[] | undefined): string =>
  typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID()

/** The whole application as a Fastify instance, built from injected config: no globals. */
export async function buildApp({ config, database, logger, events = true }: AppOptions): Promise<App> {
  const logging = requestLogging()
  const headers = apiHeaders(isHttps(config.PUBLIC_BASE_URL))
  // In front of Fastify: the in-flight and pool-waiter bounds refuse a request before any of its work.
  const admission = createAdmission({
    maxInFlight: config.MAX_IN_FLIGHT_REQUESTS, poolWaitingMax: config.SHED_POOL_WAITING_MAX, headers,
    requestId: (req) => requestIdOf(req.headers['x-request-id'])
  })
  const app = Fastify({
    serverFactory: admission.serverFactory,
    logger: logging.logger(logger ?? { level: config.LOG_LEVEL }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Node's default (300 s) would let a client trickling its body hold a connection, and a drain,
    // for minutes; the answer is a 408 problem (clientErrorHandler). Node checks the limit on an
    // interval, which is kept to a fraction of it so the limit holds within about a quarter.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: { connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.REQUEST_TIMEOUT_MS / 4)) },
    // request.ip is the client's address only if the proxies in front are named (TRUST_PROXY).
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // A caller's x-request-id is kept (it ties their logs to ours and to the audit log) only when it
    // is a plain token of at most 200 characters; anything else gets an id of our own.
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers['x-request-id']),
    ...frameworkOptions(headers, config.BODY_LIMIT_BYTES),
    ajv: { customOptions: { removeAdditional: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(createValidatorCompiler())
  app.addHook('preValidation', refuseUnstorableText)
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })

  const db = database ?? await openDatabase(databaseOptions(config))
  await app.register(logging.plugin)
  await app.register(metricsPlugin)
  await app.register(securityHeaders, { publicBaseUrl: config.PUBLIC_BASE_URL })
  // The event-loop bound before authentication, body parsing and the database; after the security headers, which a 503 carries too.
  await app.register(loadShedding, { ...config, admission, embeddedDatabase: db.kind === 'pglite' })
  await app.register(closingPlugin)
  await app.register(errorsPlugin, { bodyLimit: config.BODY_LIMIT_BYTES })
  await app.register(dbPlugin, { database: db, closeOnShutdown: database === undefined })
  await app.register(authPlugin)
  await app.register(rateLimitPlugin, config)
  // Before the routes, so its onRoute hook documents the header on each POST under /v1.
  await app.register(idempotencyPlugin, config)
  await app.register(swaggerPlugin, { version: VERSION })
  await app.register(renderPoolPlugin, config)
  await app.register(issuerPlugin, config)
  await app.register(identityPlugin, config)
  // Background work: the event relay, webhook and mail delivery, schedules (DISPATCHER_ENABLED).
  await app.register(backgroundPlugin, { DISPATCHER_ENABLED: config.DISPATCHER_ENABLED && events })
  await app.register(eventsPlugin, { ...config, eventsOff: !events })
  await app.register(webhooksPlugin, config)
  await app.register(mailPlugin, config)
  await app.register(schedulesPlugin, config)
  await app.register(healthRoutes)
  await app.register(metricsRoute, { token: config.METRICS_TOKEN })
  await app.register(publicRoutes)
  await app.register(v1, { prefix: '/v1', importMaxBytes: config.IMPORT_MAX_BYTES })
  await app.register(scimRoutes, { prefix: '/scim/v2', publicBaseUrl: config.PUBLIC_BASE_URL, bodyLimit: config.BODY_LIMIT_BYTES })
  await app.register(webRoutes, { bodyLimit: config.BODY_LIMIT_BYTES, secureCookies: secureCookiesFor(config.PUBLIC_BASE_URL) })
  return app
}
