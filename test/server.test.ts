import t from 'tap'
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
