import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { ERRORS, problem } from '../errors.ts'
import { BodyTooLarge, parseIdempotencyKey, RequestDigest } from '../lib/idempotency-key.ts'
import { claimKey, pruneExpired, releaseKey, storeAnswer, type CreatedObject, type StoredKey } from '../db/idempotency.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's 2xx answer shows a secret once (an API key, a one-time link). Such an answer is
     * never stored: a retry with the same Idempotency-Key gets 409 `idempotency-secret-not-replayed`
     * naming what this function says was created, never the secret.
     */
    revealsSecret?: (answer: { params: unknown; body: unknown }) => CreatedObject
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key'
/** Says an answer is a stored one, not a new execution (as Stripe's and others' APIs do). */
export const REPLAYED_HEADER = 'idempotent-replayed'
/** The answer headers a replay repeats; the rest (request id, rate limit) belong to the new request. */
const KEPT_HEADERS = ['content-type', 'location', 'etag'] as const
/** An answer larger than this is not kept (a big import report): the retry executes again. */
const MAX_STORED_BODY = 4 * 1024 * 1024
const PRUNE_EVERY_MS = 60_000
const PRUNE_BATCH = 500

const DOCUMENTED = {
  type: 'string', maxLength: 600,
  description: 'Makes a retry safe (IETF httpapi draft "The Idempotency-Key HTTP Header Field"): 1 to 255 printable characters, unique per request, per API key. ' +
    'The same key with the same method, path and body for at least 24 hours replays the stored answer (2xx and 4xx; never 429 or 5xx) with `Idempotent-Replayed: true`; ' +
    'with another request 422 `idempotency-key-reused`; while the first is still running 409 `idempotency-key-in-use`. ' +
    'An answer that showed a secret is not stored: its retry gets 409 `idempotency-secret-not-replayed` naming what was created.'
}

/** Idempotency applies to POSTs under /v1 sent with the header. */
const applies = (request: FastifyRequest): boolean =>
  request.method === 'POST' && request.headers[IDEMPOTENCY_HEADER] !== undefined && (request.routeOptions.url ?? '').startsWith('/v1/')

interface Held { apiKeyId: string; key: string; token: string; digest: RequestDigest }

/** Stands for the digest of a body the handler has not read yet (a streamed CSV); the real one is stored with the answer. */
const PENDING = 'pending'

/** Fastify parses a body only when one is announced; without, there is nothing to hash. */
const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0'

export default fp(async function idempotencyPlugin(app: FastifyInstance, config: Pick<Config, 'IDEMPOTENCY_LOCK_TIMEOUT_MS' | 'IDEMPOTENCY_RETENTION_HOURS'>) {
  // Per app instance, so a second app in the process sees none of this.
  const digests = new WeakMap<FastifyRequest, RequestDigest>()
  const held = new WeakMap<FastifyRequest, Held>()
  let nextPrune = 0

  // The OpenAPI document shows the header on every POST under /v1. Unconstrained here: the plugin
  // checks it itself, so that a bad key gets its own code.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.schema || route.schema.hide || !route.url.startsWith('/v1/') || ![route.method].flat().includes('POST')) return
    const headers = route.schema.headers as { type?: string; properties?: Record<string, unknown> } | undefined
    route.schema.headers = { ...headers, type: 'object', properties: { ...headers?.properties, [IDEMPOTENCY_HEADER]: DOCUMENTED } }
  })

  // The digest covers the body's bytes as sent (JSON or CSV alike), read as the parser reads them.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!applies(request)) return payload
    if (!hasBody(request)) {
      digests.set(request, RequestDigest.bodyless(request.method, request.url))
      return payload
    }
    const digest = new RequestDigest(request.method, request.url)
    digests.set(request, digest)
    return digest.tee(payload)
  })

  app.addHook('preHandler', async (request, reply) => {
    const digest = digests.get(request)
    const apiKeyId = request.principal?.apiKeyId
    if (!digest || !apiKeyId) return
    const key = parseIdempotencyKey(String(request.headers[IDEMPOTENCY_HEADER]))
    if (key === undefined) {
      throw problem('idempotency-key-invalid', 'Idempotency-Key must be 1 to 255 printable ASCII characters, bare or as a quoted string.',
        { errors: [{ pointer: `/headers/${IDEMPOTENCY_HEADER}`, detail: 'must be 1 to 255 printable ASCII characters' }] })
    }
    // A streamed body (a CSV import) is read by the handler: its digest is known only afterwards.
    const claim = await claimKey(app.db, {
      apiKeyId, key, digest: digest.complete ? digest.value() : PENDING,
      lockMs: config.IDEMPOTENCY_LOCK_TIMEOUT_MS, retentionHours: config.IDEMPOTENCY_RETENTION_HOURS
    })
    if (claim.owned) {
      held.set(request, { apiKeyId, key, token: claim.token, digest })
      return
    }
    if (!claim.stored || claim.stored.inFlight) return answerFromStore(reply, claim.stored, digest.complete ? digest.value() : undefined)
    const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024
    try {
      return await answerFromStore(reply, claim.stored, await digest.drain(limit))
    } catch (err) {
      throw err instanceof BodyTooLarge ? ERRORS.payloadTooLarge(err.limit) : err
    }
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const mine = held.get(request)
    if (!mine) return payload
    held.delete(request)
    const status = reply.statusCode
    const text = payload === undefined || payload === null ? '' : typeof payload === 'string' ? payload : undefined
    // A 429 or 5xx says "try again": keeping it would make the retry fail the same way. An answer
    // given before the handler read the whole body (a 413) has no digest to be matched against.
    const storable = status >= 200 && status < 500 && status !== 429 && status !== 408 && text !== undefined &&
      text.length <= MAX_STORED_BODY && mine.digest.complete
    try {
      if (!storable) {
        await releaseKey(app.db, mine.apiKeyId, mine.key, mine.token)
        return payload
      }
      const reveals = request.routeOptions.config.revealsSecret
      const created = reveals && status < 300 ? reveals({ params: request.params, body: JSON.parse(text) as unknown }) : null
      const headers: Record<string, string> = {}
      for (const name of KEPT_HEADERS) {
        const value = reply.getHeader(name)
        if (value !== undefined && !created) headers[name] = String(value)
      }
      // Awaited before the answer leaves: a client that has its answer can always have it replayed.
      const stored = await storeAnswer(app.db, mine.apiKeyId, mine.key, mine.token, { digest: mine.digest.value(), status, headers, body: created ? null : text, created })
      if (!stored) request.log.warn({ idempotencyKey: mine.key }, 'the request outlived its Idempotency-Key marker; its answer is not stored')
      if (Date.now() >= nextPrune) {
        nextPrune = Date.now() + PRUNE_EVERY_MS
        await pruneExpired(app.db, PRUNE_BATCH)
      }
    } catch (err) {
      // The write (if any) has committed; the answer still goes out. The marker expires on its own.
      request.log.warn({ err, idempotencyKey: mine.key }, 'could not store the answer for an Idempotency-Key')
    }
    return payload
  })
}, { name: 'idempotency', dependencies: ['db', 'auth'] })

/** Another request holds the key, or held it: replay its answer, or say why not. */
async function answerFromStore(reply: FastifyReply, stored: StoredKey | undefined, digest: string | undefined): Promise<FastifyReply> {
  // Gone between the claim and the read (released or taken over): treat it as held.
  if (!stored || stored.inFlight) {
    if (stored && digest !== undefined && stored.requestDigest !== PENDING && stored.requestDigest !== digest) throw reused()
    throw problem('idempotency-key-in-use', 'A request with this Idempotency-Key is still being handled; retry when it has finished.')
  }
  if (stored.requestDigest !== digest) throw reused()
  if (stored.created) {
    const { kind, id, url } = stored.created
    throw problem('idempotency-secret-not-replayed',
      `This request already created ${kind} ${id} (${url}); its answer showed a secret, which is never stored. Create another if the secret was lost.`,
      { extensions: { created: stored.created } })
  }
  for (const [name, value] of Object.entries(stored.headers ?? {})) void reply.header(name, value)
  void reply.header(REPLAYED_HEADER, 'true')
  return reply.code(stored.status ?? 200).send(stored.body ?? '')
}

const reused = () => problem('idempotency-key-reused',
  'This Idempotency-Key was already used with another method, path or body; send a new key for a new request.',
  { errors: [{ pointer: `/headers/${IDEMPOTENCY_HEADER}`, detail: 'already used for another request' }] })
