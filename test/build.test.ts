import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parsePdf, squash } from './helpers/pdf.ts'
import { sampleFeedbackData } from './helpers/feedback-report.ts'

// The production path: `npm run build` compiles src/ to dist/, which plain `node` runs with no
// TypeScript loader (`npm run start:prod`, the Docker image). Every child here gets a clean
// environment: tap's own loaders (NODE_OPTIONS) must not make a broken build look fine.
const root = new URL('..', import.meta.url).pathname
const run = promisify(execFile)
const plainEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, ...extra })

/** Renders the job in argv with dist/'s render pool (a script file: workers refuse an inherited --input-type). */
const RENDER = `
import { createRenderPool } from ${JSON.stringify(new URL('../dist/reports/render-pool.js', import.meta.url).href)}
const job = JSON.parse(process.argv[2])
job.data.generatedAt = new Date(job.data.generatedAt)
const pool = createRenderPool({ size: 1 })
const chunks = []
for await (const chunk of pool.render(job)) chunks.push(chunk)
await pool.close()
process.stdout.write(Buffer.concat(chunks))
`

t.test('the compiled build', async (t) => {
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root })

  await t.test('renders a PDF in a worker thread running the compiled worker, without tsx', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-build-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const script = join(dir, 'render.mjs')
    writeFileSync(script, RENDER)
    const data = sampleFeedbackData()
    const { stdout } = await run(process.execPath, [script, JSON.stringify({ kind: 'feedback', data })], {
      cwd: root, env: plainEnv({}), encoding: 'buffer', maxBuffer: 32 * 2 ** 20
    })
    t.equal(stdout.subarray(0, 5).toString(), '%PDF-', 'a PDF')
    const pdf = await parsePdf(stdout)
    t.ok(squash(pdf.text).includes(squash(data.trainee)), 'with the trainee\'s name')
  })

  await t.test('node dist/server.js starts, answers /health/live and stops on SIGTERM', async (t) => {
    // The embedded database in a directory of its own, whatever DATABASE_URL the suite runs with.
    const dataDir = mkdtempSync(join(tmpdir(), 'rapport-build-'))
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    const child = spawn(process.execPath, ['dist/server.js'], {
      cwd: root,
      env: plainEnv({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', RUBRICS_DIR: join(root, 'rubrics') }),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const origin = await Promise.race([
      new Promise<string>((resolve) => {
        const check = () => { const m = /listening on (http:\/\/[^\s,]+)/.exec(out); if (m) resolve(m[1]!) }
        child.stdout.on('data', check)
      }),
      exited.then((code) => { throw new Error(`exited (${code}) before listening:\n${out}`) })
    ])
    const live = await fetch(`${origin}/health/live`)
    t.equal(live.status, 200, '/health/live')
    t.same(await live.json(), { status: 'ok' })
    t.equal((await fetch(`${origin}/health/ready`)).status, 200, '/health/ready: the migrations applied from the compiled path')
    child.kill('SIGTERM')
    const code = await exited
    t.equal(code, 0, 'drained and exited cleanly')
    if (code !== 0) t.comment(out)
  })
})
