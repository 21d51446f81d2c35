import t, { type Test } from 'tap'
import { connect } from 'node:net'
import { request } from 'node:http'
import { buildTestApp } from './helpers/app.ts'

interface Raw { status: number; headers: Record<string, string>; body: string }

/** Sends bytes as they are over TCP and reads the answer until the server closes (or ends) it. */
function rawExchange(port: number, bytes: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { data += chunk })
    socket.on('error', (err: NodeJS.ErrnoException) => (data ? undefined : reject(err)))
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n', 2)
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body })
    })
    socket.write(bytes)
  })
}

/** An ordinary request through node's http client. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function isProblemAnswer(t: Test, res: Raw, status: number, code: string, type: string, what: string) {
  t.equal(res.status, status, `${what}: ${status}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
  const body = JSON.parse(res.body) as Record<string, unknown>
  t.match(body, { type: `/problems/${type}`, code, status }, `${what}: type ${type}, code ${code}`)
  t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
  t.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", `${what}: the API's CSP`)
  t.equal(res.headers['referrer-policy'], 'no-referrer', `${what}: a referrer policy`)
}

t.test('answers written by Fastify and Node themselves are problems, with the security headers', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }

  await t.test('headers over 16 KiB: 431', async (t) => {
    const res = await rawExchange(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    isProblemAnswer(t, res, 431, 'header-fields-too-large', 'header-fields-too-large', 'a huge header')
  })

  await t.test('a URL over 16 KiB: 431 (the request line counts toward the header limit)', async (t) => {
    const res = await rawExchange(port, `GET /v1/organizations?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
    isProblemAnswer(t, res, 431, 'header-fields-too-large', 'header-fields-too-large', 'a huge URL')
  })

  await t.test('a path segment over maxParamLength: 414', async (t) => {
    const res = await get(port, `/v1/organizations/${'a'.repeat(500)}`)
    isProblemAnswer(t, res, 414, 'uri-too-long', 'uri-too-long', 'a long id')
  })

  await t.test('a path with a malformed percent-encoding: 400', async (t) => {
    const res = await get(port, '/v1/organizations/%E0%A4%A')
    isProblemAnswer(t, res, 400, 'bad-url', 'bad-request', 'a bad URL')
  })

  await t.test('bytes that are not HTTP: 400', async (t) => {
    const res = await rawExchange(port, 'HELLO THERE\r\n\r\n')
    isProblemAnswer(t, res, 400, 'bad-request', 'bad-request', 'garbage')
  })

  await t.test('no route, or a method the route has not: 404 route-not-found', async (t) => {
    isProblemAnswer(t, await get(port, '/no/such/thing'), 404, 'route-not-found', 'not-found', 'an unknown path')
    const del = await new Promise<Raw>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/organizations', method: 'DELETE' }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body }))
      })
      req.on('error', reject)
      req.end()
    })
    isProblemAnswer(t, del, 404, 'route-not-found', 'not-found', 'a method the path has not')
  })
})

t.test('while the service drains, a request on an open connection is a 503 problem and the connection closes', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  // A keep-alive connection that is busy (its headers not finished) when the close begins.
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write('GET /v1/organizations HTTP/1.1\r\nHost: x\r\n')
  let data = ''
  socket.setEncoding('latin1')
  socket.on('data', (c: string) => { data += c })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const closing = app.close()
  // The server stops listening only after the preClose hooks ran: from then on, the app is draining.
  while (app.server.listening) await new Promise((resolve) => setTimeout(resolve, 10))
  socket.write('\r\n')
  await closed
  await closing
  const [head = '', body = ''] = data.split('\r\n\r\n', 2)
  t.match(head, /^HTTP\/1\.1 503 /, 'a 503')
  t.match(head, /content-type: application\/problem\+json/i, 'problem+json')
  t.match(head, /connection: close/i, 'the connection closes')
  t.match(head, /x-content-type-options: nosniff/i, 'with the security headers')
  t.match(JSON.parse(body), { type: '/problems/unavailable', code: 'shutting-down', status: 503 })
})
