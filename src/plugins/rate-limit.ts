import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { Config } from '../config.ts'
import { problem } from '../errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Counts this request against its caller's budget: the API key (or the signed-in account) once
     * authenticated, else the client's address. Adds the RateLimit headers; over budget, a 429.
     * The /v1 scope calls it when authentication fails, so guessed keys spend the address's budget.
     */
    countRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

const WINDOW_SECONDS = 60

/** The quota policies (RateLimit-Policy names) and what each counts. */
export const POLICIES = {
  'per-key': 'requests with one API key',
  'per-account': 'web page requests of one signed-in person',
  'per-address': 'anonymous requests from one client address (an IPv6 /64)'
} as const

type PolicyName = keyof typeof POLICIES

function partitionOf(request: FastifyRequest): { policy: PolicyName; key: string } {
  const principal = request.principal
  if (principal?.apiKeyId) return { policy: 'per-key', key: `per-key:${principal.apiKeyId}` }
  if (principal) return { policy: 'per-account', key: `per-account:${principal.accountId}` }
  // A socket already gone has no address; such requests share one budget rather than fail.
  return { policy: 'per-address', key: `per-address:${normalizeIP(request.ip ?? 'unknown')}` }
}

const policyOf = (key: string): PolicyName => key.slice(0, key.indexOf(':')) as PolicyName

/**
 * API rate limits, counted in this process (each instance enforces the whole budget on its own:
 * behind a load balancer of n instances a caller may reach up to n times it), so that
 * authentication stays a read. The count runs once the caller is known (preParsing: after the
 * /v1 key check and the web session lookup, before the body is read); routes whose config says
 * `rateLimit: false` (the health checks) are not counted.
 */
export default fp(async function rateLimitPlugin(app: FastifyInstance, config: Pick<Config, 'RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_ANONYMOUS_PER_MINUTE'>) {
  const quota = (policy: PolicyName) => (policy === 'per-address' ? config.RATE_LIMIT_ANONYMOUS_PER_MINUTE : config.RATE_LIMIT_PER_MINUTE)
  await app.register(rateLimit, {
    global: false,
    timeWindow: WINDOW_SECONDS * 1000,
    // Least recently seen callers are forgotten first (their count starts again): enough room that
    // a flood from many addresses does not push out the budgets of keys in use.
    cache: 50_000,
    keyGenerator: (request) => partitionOf(request).key,
    max: (_request, key) => quota(policyOf(key))
  })
  const check = app.createRateLimit()
  const counted = new WeakSet<FastifyRequest>()

  app.decorate('countRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (counted.has(request) || request.routeOptions.config.rateLimit === false) return
    counted.add(request)
    const limit = await check(request)
    if (limit.isAllowed) return
    const policy = policyOf(limit.key)
    const reset = limit.ttlInSeconds
    reply.header('ratelimit-policy', `"${policy}";q=${limit.max};w=${WINDOW_SECONDS}`)
    reply.header('ratelimit', `"${policy}";r=${limit.remaining};t=${reset}`)
    if (limit.isExceeded) {
      reply.header('retry-after', String(reset))
      throw problem('rate-limited', `More than ${limit.max} requests in ${WINDOW_SECONDS} seconds (${POLICIES[policy]}); try again in ${reset} s.`,
        { extensions: { 'violated-policies': [policy] } })
    }
  })

  app.addHook('preParsing', async (request, reply, payload) => {
    await app.countRequest(request, reply)
    return payload
  })
}, { name: 'rate-limit' })
