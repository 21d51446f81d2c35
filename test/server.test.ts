import t, { type Test } from 'tap'
import { connect } from 'node:net'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// The fresh-clone path: `npm start` on the embedded database, exactly as a new user runs it.
const root = new URL('..', import.meta.url).pathname

function start(dataDir: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ADMIN_API_KEY: '' }
  delete env.DATABASE_URL
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

async function waitFor(predicate: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (predicate()) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return predicate()
}

t.test('first start, a second instance on the same data, and SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-start-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

  const first = start(dataDir)
  t.teardown(() => { first.child.kill('SIGKILL') })
  t.ok(await waitFor(() => /listening on (http:\/\/\S+)/.test(first.output()), 60_000), 'the service starts on the embedded database')
  const out = first.output()
  const base = /listening on (http:\/\/\S+),/.exec(out)?.[1] ?? ''
  const key = /\n\s+(rk_\S+)\n/.exec(out)?.[1]
  t.ok(key, 'the first start prints a generated admin API key')
  t.match(out, /API docs: \S+\/docs/, 'start-up says where the API docs are')

  const ready = await fetch(`${base}/health/ready`)
  t.equal(ready.status, 200, 'ready once the database answers')
  const me = await fetch(`${base}/v1/rubrics`, { headers: { authorization: `Bearer ${key}` } })
  t.equal(me.status, 200, 'the printed key is an admin key that works')
  const rubrics = await me.json() as { items: { key: string }[] }
  t.ok(rubrics.items.some((r) => r.key === 'therapeutic-relationships'), 'the rubrics in rubrics/ were loaded')

  const second = start(dataDir)
  const code = await second.exited
  t.equal(code, 1, 'a second instance on the same data directory refuses to start')
  t.match(second.output(), /in use by another Rapport process/, 'and says why')

  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM shuts down cleanly')
  t.notOk(existsSync(join(dataDir, 'rapport.lock')), 'and releases the data directory')

  const again = start(dataDir)
  t.teardown(() => { again.child.kill('SIGKILL') })
  t.ok(await waitFor(() => /listening on/.test(again.output()), 60_000), 'the data directory can be opened again')
  t.notMatch(again.output(), /Created the first admin API key/, 'the admin key is created only on the first start')
  again.child.kill('SIGTERM')
  t.equal(await again.exited, 0)
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

t.test('SIGTERM with requests in flight: they finish; every other answer is a shutting-down problem or a clean close', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-drain-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const s = start(dataDir)
  t.teardown(() => { s.child.kill('SIGKILL') })
  t.ok(await waitFor(() => /listening on/.test(s.output()), 60_000), 'the service starts')
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(s.output())?.[1])
  const key = /\n\s+(rk_\S+)\n/.exec(s.output())?.[1] ?? ''

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
  t.ok(await waitFor(() => idle.answer().includes('"ok"'), 10_000), 'the keep-alive connection answered once')

  s.child.kill('SIGTERM')
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
  t.equal(await s.exited, 0, 'and the process exits cleanly')
})
