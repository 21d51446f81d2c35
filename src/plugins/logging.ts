import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { LogFn } from 'pino'
import { describeError, redactUrl, serializeError, type RouteShape } from '../lib/log-redaction.ts'

/**
 * Logging that never holds what people wrote (README, Operating Rapport: Logs). The serializers
 * and the message hook go into whatever logger options the app is built with (a test's stream
 * included), so every `{ err }` and `{ req }` in any log line passes through them.
 */
type LoggerOption = FastifyServerOptions['logger']

function routeOf(req: FastifyRequest): RouteShape {
  const options = (req as Partial<FastifyRequest>).routeOptions
  if (!options?.url) return {}
  return { pattern: options.url, params: req.params as Record<string, unknown>, schema: options.schema as RouteShape['schema'] }
}

/** `log.error(err)` and `log.error({ err }, err.message)` would put the message in the line: it becomes the error's name and code. */
function logMethod(this: unknown, args: Parameters<LogFn>, method: LogFn): void {
  const [first, second, ...rest] = args as unknown[]
  if (first instanceof Error) {
    method.apply(this, [{ err: first }, typeof second === 'string' && second !== first.message ? second : describeError(first), ...rest] as Parameters<LogFn>)
    return
  }
  const err = first && typeof first === 'object' ? (first as { err?: unknown }).err : undefined
  if (err instanceof Error && (second === undefined || second === err.message)) {
    method.apply(this, [first, describeError(err), ...rest] as Parameters<LogFn>)
    return
  }
  method.apply(this, args)
}

export function requestLogging() {
  // Fixed path segments of every route: an unmatched path keeps these and loses the rest.
  const known = new Set<string>()
  const serializers = {
    // Fastify's type wants a message and a stack; a line without them is the point.
    err: (err: unknown) => serializeError(err) as { type: string; message: string; stack: string },
    req: (req: FastifyRequest) => ({
      method: req.method,
      url: redactUrl(req.url ?? '', routeOf(req), known),
      route: routeOf(req).pattern,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort
    }),
    res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode })
  }

  /** The given logger options with the redacting serializers and hook merged in (false stays false). */
  function logger(given: LoggerOption): LoggerOption {
    if (given === false || given === undefined) return given
    const options = given === true ? {} : given
    return { level: 'info', ...options, serializers: { ...options.serializers, ...serializers }, hooks: { ...options.hooks, logMethod } }
  }

  const plugin = fp(async function logging(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      for (const segment of route.url.split('/')) if (segment && !segment.startsWith(':') && !segment.includes('*')) known.add(segment)
    })
    // Every line after routing names the route's pattern, so an error line says where it happened.
    app.addHook('onRequest', async (request, reply) => {
      const pattern = request.routeOptions.url
      if (!pattern) return
      request.log = request.log.child({ route: pattern })
      reply.log = request.log
    })
  }, { name: 'logging' })

  return { logger, plugin }
}
