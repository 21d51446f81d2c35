import t from 'tap'
import { join } from 'node:path'
import { testRubric } from './fixtures/rubric.ts'
import { copy, rubricDir, rubricYaml, SHIPPED_RUBRICS_DIR } from './helpers/rubrics.ts'
import { listRubricFiles, loadRubricFiles, RubricFilesInvalid } from '../src/modules/rubrics/rubric-files.ts'
import { canonicalJson, contentHashOf, definitionProblems } from '../src/modules/rubrics/rubric-validation.ts'

t.test('the shipped rubric validates: 3 areas, 3 to 5 criteria each, one descriptor per level of a 4-level scale', async (t) => {
  const files = await listRubricFiles([SHIPPED_RUBRICS_DIR])
  t.ok(files.some((f) => f.endsWith('therapeutic-relationships.yaml')), 'the rubric file is found in rubrics/')
  const [rubric] = await loadRubricFiles([join(SHIPPED_RUBRICS_DIR, 'therapeutic-relationships.yaml')])
  t.equal(rubric?.key, 'therapeutic-relationships')
  const def = rubric!.definition
  t.same(definitionProblems(def), [], 'no problems')
  t.same(def.scale.map((s) => s.value), [1, 2, 3, 4], 'a 4-level scale')
  t.equal(def.areas.length, 3, 'three areas')
  t.same(def.areas.map((a) => a.key), ['safe-environment', 'active-listening', 'empathy-validation'])
  for (const area of def.areas) {
    t.ok(area.criteria.length >= 3 && area.criteria.length <= 5, `${area.key} has 3 to 5 criteria (${area.criteria.length})`)
    for (const c of area.criteria) {
      t.same(c.levels.map((l) => l.value), [1, 2, 3, 4], `${c.key} has a level per scale value`)
      t.ok(c.levels.every((l) => l.descriptor.trim().length >= 60), `${c.key}: every descriptor is a full behavioural description`)
    }
  }
  const notObserved = def.areas.flatMap((a) => a.criteria).filter((c) => c.allowNotObserved)
  t.ok(notObserved.length >= 1 && notObserved.length <= 2, 'one or two criteria may be scored "not observed"')
  t.ok(notObserved.every((c) => c.description), 'and say when that applies')
})

t.test('a definition reports every problem at once, each with its pointer', async (t) => {
  const def = copy(testRubric)
  def.scale[2]!.value = 2 // not ascending
  def.scale[3]!.label = 'beginning' // same label as level 1, in other case
  def.areas[1]!.key = 'safety' // area key repeated
  def.areas[1]!.criteria[0]!.key = 'eye-contact' // criterion key repeated across areas
  def.areas[0]!.criteria[1]!.levels.pop()
  const problems = definitionProblems(def)
  t.same(problems, [
    { pointer: '/areas/1/criteria/0/key', detail: '"eye-contact" is already the key of /areas/0/criteria/0' },
    { pointer: '/areas/1/key', detail: '"safety" is already the key of /areas/0' },
    { pointer: '/scale/2/value', detail: 'must be greater than the previous level\'s value (2); scale values ascend, lowest first, and are unique' },
    { pointer: '/scale/3/label', detail: '"beginning" is already the label of /scale/0' }
  ], 'values out of order hide the level checks (levels cannot be matched to them); everything else is listed')

  const levels = copy(testRubric)
  levels.areas[1]!.criteria[2]!.levels.pop()
  levels.areas[0]!.criteria[0]!.levels[1]!.value = 3
  levels.areas[0]!.criteria[0]!.levels[2]!.value = 2
  levels.areas[1]!.criteria[0]!.levels[3]!.descriptor = ` ${levels.areas[1]!.criteria[0]!.levels[0]!.descriptor.toUpperCase()}`
  levels.areas[0]!.title = '   '
  t.same(definitionProblems(levels), [
    { pointer: '/areas/0/criteria/0/levels/1/value', detail: 'expected 2: levels follow the scale in order (1, 2, 3, 4)' },
    { pointer: '/areas/0/criteria/0/levels/2/value', detail: 'expected 3: levels follow the scale in order (1, 2, 3, 4)' },
    { pointer: '/areas/0/title', detail: 'must not be blank' },
    { pointer: '/areas/1/criteria/0/levels/3/descriptor', detail: 'repeats the descriptor of /areas/1/criteria/0/levels/0; each level must describe different behaviour' },
    { pointer: '/areas/1/criteria/2/levels', detail: 'expected 4 descriptors, one per scale level (1, 2, 3, 4)' }
  ])

  const structure = copy(testRubric) as unknown as Record<string, unknown> & { areas: Record<string, unknown>[] }
  delete structure.title
  structure.colour = 'blue'
  structure.areas[0]!.weight = 0
  t.same(definitionProblems(structure).map((p) => p.pointer), ['/areas/0/weight', '/colour', '/title'], 'schema problems are listed the same way')
})

t.test('the content hash ignores key order and changes with content', async (t) => {
  const reordered = JSON.parse(JSON.stringify(testRubric, Object.keys(testRubric).reverse())) as typeof testRubric
  t.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}')
  t.equal(contentHashOf({ ...reordered, ...testRubric }), contentHashOf(testRubric))
  const edited = copy(testRubric)
  edited.areas[0]!.criteria[0]!.levels[0]!.descriptor += ' Edited.'
  t.not(contentHashOf(edited), contentHashOf(testRubric))
  t.match(contentHashOf(testRubric), /^[0-9a-f]{64}$/)
})

t.test('bad files: every problem of every file, as file: pointer: detail lines', async (t) => {
  const bad = copy(testRubric)
  bad.areas[0]!.criteria[0]!.levels.pop()
  const dir = rubricDir(t, {
    'good.yaml': rubricYaml('good-rubric', testRubric),
    'bad.yaml': rubricYaml('bad-rubric', bad).replace('title: Test rubric', 'title: Test rubric\nversion: 3'),
    'broken.yml': 'key: broken\ntitle: [unclosed\n',
    'dup.json': JSON.stringify({ key: 'good-rubric', ...testRubric }),
    'notes.txt': 'not a rubric file'
  })
  const err = await loadRubricFiles(await listRubricFiles([dir])).catch((e: unknown) => e)
  t.ok(err instanceof RubricFilesInvalid, 'one error for all files')
  const problems = (err as RubricFilesInvalid).problems
  t.same(problems.map((p) => [p.file.replace(`${dir}/`, ''), p.pointer]), [
    ['bad.yaml', '/areas/0/criteria/0/levels'],
    ['bad.yaml', '/version'],
    ['broken.yml', ''],
    ['good.yaml', '/key']
  ], 'files are read in name order; notes.txt is not a rubric file and is ignored')
  const message = (err as Error).message
  t.match(message, 'bad.yaml: /areas/0/criteria/0/levels: expected 4 descriptors, one per scale level (1, 2, 3, 4) (line ')
  t.match(message, 'bad.yaml: /version: is not a known field (line 3)')
  t.match(message, /broken\.yml: \/: not valid YAML: .* \(line 3\)/)
  t.match(message, `good.yaml: /key: "good-rubric" is also the key of ${dir}/dup.json; each rubric has one file`)
})
