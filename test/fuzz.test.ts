import { connect } from 'node:net'
import t from 'tap'
import { runFuzz } from './helpers/fuzz-run.ts'

/**
 * Fuzzing, generated from the OpenAPI document with a fixed seed (test/helpers/fuzz-run.ts):
 * malformed, mistyped, oversized and hostile values in every place of every operation on
 * organizations, programs and people, with each role's key and without one. No 5xx; every
 * error is application/problem+json. Then what only a real socket can send.
 */

/** Writes raw bytes to the server and reads the status line and content type of the answer. */
function raw(port: number, request: string): Promise<{ status: number; type: string; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request))
    let data = ''
    socket.on('data', (chunk) => { data += chunk.toString('latin1') })
    socket.on('error', reject)
    socket.on('close', () => {
      const head = data.split('\r\n\r\n')[0] ?? ''
      resolve({ status: Number(head.split(' ')[1]), type: /content-type: *([^\r;]+)/i.exec(head)?.[1] ?? '', head: head.slice(0, 200) })
    })
  })
}

t.test('organizations, programs and people survive hostile input', async (t) => {
  const w = await runFuzz(t, 'structure')

  await t.test('framework answers over a real socket are problems too, and a bad Origin is no 5xx', async (t) => {
    await w.app.listen({ port: 0, host: '127.0.0.1' })
    const port = (w.app.server.address() as { port: number }).port
    const cases: [string, string][] = [
      ['a 70 KB header', `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(70_000)}\r\n\r\n`],
      ['a 20 KB URL', `GET /v1/trainees?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
      ['a malformed request line', 'GET /v1/me HTTP/9\r\nHost: x\r\n\r\n'],
      ['a header without a colon', 'GET /v1/me HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'],
      ['bad percent-encoding in the path', 'GET /v1/trainees/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n']
    ]
    for (const [what, request] of cases) {
      const res = await raw(port, request)
      t.ok(res.status >= 400 && res.status < 500, `${what}: a 4xx (${res.head.split('\r\n')[0]})`)
      t.equal(res.type, 'application/problem+json', `${what}: answered as a problem (${res.head.replace(/\r\n/g, ' | ')})`)
    }
    for (const origin of ['null', 'http://[::1', '%zz', 'javascript:alert(1)', 'http://exa mple.org', 'https://attacker.example']) {
      const res = await w.app.inject({
        method: 'POST', url: '/sign-in', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40example.org&password=x'
      })
      t.ok(res.statusCode < 500, `the sign-in form with Origin ${JSON.stringify(origin)} is no 5xx (${res.statusCode})`)
    }
  })
})
