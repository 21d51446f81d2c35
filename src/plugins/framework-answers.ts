import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { problem, type AppError } from '../errors.ts'
import { problemBody, problemOf, sendProblem } from './errors.ts'

/**
 * The answers Fastify and Node write themselves, before a route (or any hook) runs: a path that
 * is not valid percent-encoding, a path segment over `maxParamLength`, a request Node's parser
 * refuses (oversized headers, a timeout, garbage), and requests arriving while the service drains.
 * Each is a problem+json with its code and the API's security headers, like every other answer.
 */
export type FrameworkOptions = Required<Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'return503OnClosing'>>

function frameworkProblem(err: FastifyError, request: FastifyRequest, bodyLimit: number): AppError {
  switch (err.code) {
    case 'FST_ERR_BAD_URL': return problem('bad-url', 'The path is not a valid URL: it has a malformed percent-encoding.')
    case 'FST_ERR_MAX_PARAM_LENGTH': return problem('uri-too-long', 'A path segment is longer than 100 characters.')
    default: return problemOf(err, request, bodyLimit)
  }
}

function parserProblem(code: string | undefined): AppError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return problem('header-fields-too-large', 'The request line and headers are larger than 16 KiB.')
    case 'ERR_HTTP_REQUEST_TIMEOUT': return problem('request-timeout', 'The request was not received in time.')
    default: return problem('bad-request', 'The HTTP request is malformed.')
  }
}

export function frameworkOptions(headers: Record<string, string>, bodyLimit: number): FrameworkOptions {
  return {
    frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(request, reply.headers(headers), frameworkProblem(err, request, bodyLimit)),
    // Node has not parsed a request, so the answer is written to the socket as Fastify's own default does.
    clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Socket) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return
      const p = parserProblem(err.code)
      this.log.trace({ err }, 'client error')
      if (socket.writable) {
        const body = JSON.stringify(problemBody(p))
        const lines = Object.entries({ ...headers, 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
          .map(([name, value]) => `${name}: ${value}\r\n`).join('')
        socket.write(`HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? ''}\r\n${lines}\r\n${body}`)
      }
      socket.destroy(err)
    },
    // Fastify's own 503 while closing is plain JSON; closingPlugin answers instead.
    return503OnClosing: false
  }
}

/** While the service drains (after SIGTERM), new requests on open connections get a 503 problem and the connection closes. */
export const closingPlugin = fp(async function closing(app: FastifyInstance) {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return
    reply.header('connection', 'close')
    throw problem('shutting-down', 'This instance is shutting down; send the request again.')
  })
  // A request already in flight finishes, then its keep-alive connection closes: otherwise it would
  // hold the drain open until the keep-alive timeout (72 s), past SHUTDOWN_TIMEOUT_MS.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
}, { name: 'closing' })
