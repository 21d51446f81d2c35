import t from 'tap'
import { join } from 'node:path'
import { lockDataDir } from '../src/db/lock.ts'
import { testRubric } from './fixtures/rubric.ts'
import { copy, rubricDir, rubricYaml, runImportCli, SHIPPED_RUBRICS_DIR } from './helpers/rubrics.ts'

// The CLI always runs on its own embedded database in a temporary directory (see runImportCli).
// Each run that opens a database costs a PGlite start and the migrations, so only one does; the
// import outcomes themselves (unchanged, next version) are proven in rubrics-import.test.ts.
t.test('the import CLI prints one line per rubric', async (t) => {
  const first = await runImportCli(t, [SHIPPED_RUBRICS_DIR])
  t.equal(first.code, 0, first.stderr)
  t.equal(first.stdout, 'therapeutic-relationships  v1  created\n')
})

t.test('invalid input exits 1 with every problem, before the database is touched', async (t) => {
  const dataDir = rubricDir(t)
  // Holding the data directory as a running server would: files are still checked first.
  const release = lockDataDir(dataDir)
  t.teardown(release)
  const bad = copy(testRubric)
  bad.scale[1]!.label = 'beginning'
  bad.areas[0]!.criteria[0]!.levels.pop()
  const dir = rubricDir(t, { 'bad.yaml': rubricYaml('bad-cli', bad) })
  const failed = await runImportCli(t, [join(SHIPPED_RUBRICS_DIR, 'therapeutic-relationships.yaml'), dir], dataDir)
  t.equal(failed.code, 1, 'exit code 1')
  t.equal(failed.stdout, '', 'nothing imported')
  t.equal(failed.stderr, [
    'Rubric files have problems; nothing was imported:',
    `  ${dir}/bad.yaml: /areas/0/criteria/0/levels: expected 4 descriptors, one per scale level (1, 2, 3, 4) (line 20)`,
    `  ${dir}/bad.yaml: /scale/1/label: "beginning" is already the label of /scale/0 (line 7)`,
    ''
  ].join('\n'))

  const locked = await runImportCli(t, [SHIPPED_RUBRICS_DIR], dataDir)
  t.equal(locked.code, 1, 'valid files, but the embedded database is in use')
  t.match(locked.stderr, /is in use by another Rapport process/)
})
