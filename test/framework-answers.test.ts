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

t.test('a request that does not arrive within REQUEST_TIMEOUT_MS: 408 problem and the connection closes', async (t) => {
  const { app } = await buildTestApp(t, { REQUEST_TIMEOUT_MS: '1000' })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  // The request line and one header, then nothing: the headers never end.
  const res = await rawExchange(port, 'GET /v1/organizations HTTP/1.1\r\nHost: x\r\n')
  isProblemAnswer(t, res, 408, 'request-timeout', 'request-timeout', 'trickled headers')
  t.equal(res.headers.connection, 'close', 'the connection is closed')
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

/** A raw connection: what the server wrote on it by the time it closed, and whether connecting failed. */
function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1')
  let data = ''
  let refused = false
  socket.setEncoding('latin1')
  socket.on('data', (c: string) => { data += c })
  socket.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ECONNREFUSED') refused = true })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return { socket, closed, answer: () => data, refused: () => refused }
}

/** Every answer written while closing is a shutting-down problem with Retry-After (a clean close is fine too). */
function isShutdownAnswer(t: Test, data: string, what: string) {
  for (const answer of data.split(/(?=HTTP\/1\.1 )/).filter(Boolean)) {
    const [head = '', body = ''] = answer.split('\r\n\r\n', 2)
    if (!/^HTTP\/1\.1 503 /.test(head)) continue
    t.match(head, /content-type: application\/problem\+json/i, `${what}: a 503 is problem+json`)
    t.match(head, /retry-after: \d+/i, `${what}: with Retry-After`)
    t.match(JSON.parse(body), { code: 'shutting-down', status: 503 }, `${what}: shutting-down`)
  }
}

// src/server.ts answers SIGTERM with app.close(): the same drain, without a process to spawn.
t.test('closing with requests in flight: they finish; every other answer is a shutting-down problem or a clean close', async (t) => {
  const { app, adminKey: key } = await buildTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }

  // In flight when SIGTERM comes: a write whose body is not all sent yet.
  const body = JSON.stringify({ name: 'Drained Hospice' })
  const slow = rawConnection(port)
  slow.socket.write(`POST /v1/organizations HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`)
  // A keep-alive connection that answered once and is idle, one opened with no bytes, one mid-headers.
  const idle = rawConnection(port)
  idle.socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n')
  const silent = rawConnection(port)
  const partial = rawConnection(port)
  partial.socket.write('GET /health/live HTTP/1.1\r\nHo')
  while (!idle.answer().includes('"ok"')) await new Promise((resolve) => setTimeout(resolve, 10))

  const closing = app.close()
  // The listener closes at once: from then on the service is draining.
  let late = rawConnection(port)
  while (await late.closed.then(() => !late.refused())) late = rawConnection(port)
  t.ok(late.refused(), 'new connections are refused while draining')

  partial.socket.write('st: x\r\n\r\n')
  silent.socket.write('GET /v1/me HTTP/1.1\r\nHost: x\r\n\r\n')
  idle.socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n')
  slow.socket.write(body.slice(5))
  await Promise.all([slow.closed, idle.closed, silent.closed, partial.closed])
  t.match(slow.answer(), /^HTTP\/1\.1 201 /, 'the request in flight finished')
  t.match(partial.answer(), /^HTTP\/1\.1 503 /, 'a request completed during the drain gets a 503')
  for (const [what, c] of Object.entries({ slow, idle, silent, partial })) {
    t.notMatch(c.answer(), /content-type: text\/plain/i, `${what}: no plain-text answer`)
    isShutdownAnswer(t, c.answer(), what)
  }
  await closing
})
