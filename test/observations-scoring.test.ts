import t from 'tap'
import { round2, summarize, type WeightedArea } from '../src/modules/observations/scoring.ts'

const areas: WeightedArea[] = [
  { key: 'a', title: 'A', weight: 2, criteria: [{ key: 'a1', weight: 1 }, { key: 'a2', weight: 3 }] },
  { key: 'b', title: 'B', weight: 1, criteria: [{ key: 'b1', weight: 1 }, { key: 'b2', weight: 1 }, { key: 'b3', weight: 1 }] },
  { key: 'c', title: 'C', weight: 5, criteria: [{ key: 'c1', weight: 1 }] }
]

t.test('area scores are weighted means of scored criteria', async (t) => {
  const s = summarize(areas, new Map([['a1', 3], ['a2', 4], ['b1', 2], ['b2', null]]))
  t.same(s.areas[0], { areaKey: 'a', title: 'A', score: 3.75, scoredCriteria: 2, totalCriteria: 2 }, '(3*1 + 4*3) / 4')
  t.same(s.areas[1], { areaKey: 'b', title: 'B', score: 2, scoredCriteria: 1, totalCriteria: 3 }, 'not observed (b2) and unscored (b3) are left out, not counted as zero')
  t.same(s.areas[2], { areaKey: 'c', title: 'C', score: null, scoredCriteria: 0, totalCriteria: 1 }, 'an area with nothing scored has no score')
  t.equal(s.overall, 3.17, 'overall: (3.75*2 + 2*1) / 3, area C excluded despite its weight')
})

t.test('overall uses unrounded area scores and rounds once', async (t) => {
  const one: WeightedArea[] = [
    { key: 'x', title: 'X', weight: 1, criteria: [{ key: 'x1', weight: 1 }, { key: 'x2', weight: 1 }, { key: 'x3', weight: 1 }] },
    { key: 'y', title: 'Y', weight: 1, criteria: [{ key: 'y1', weight: 1 }, { key: 'y2', weight: 1 }, { key: 'y3', weight: 1 }] }
  ]
  const s = summarize(one, new Map([['x1', 1], ['x2', 1], ['x3', 1], ['y1', 1], ['y2', 2], ['y3', 2]]))
  t.equal(s.areas[0]!.score, 1)
  t.equal(s.areas[1]!.score, 1.67)
  t.equal(s.overall, 1.33, '(1 + 5/3) / 2 = 1.333...; averaging the rounded 1.67 would give 1.34')
})

t.test('nothing scored at all', async (t) => {
  const s = summarize(areas, new Map([['a1', null]]))
  t.equal(s.overall, null)
  t.ok(s.areas.every((a) => a.score === null))
})

t.test('rounding to two decimals', async (t) => {
  t.equal(round2(1.005), 1.01, 'half away from zero, despite 1.005 being 1.00499... in binary')
  t.equal(round2(2.675), 2.68)
  t.equal(round2(3.14159), 3.14)
  t.equal(round2(2), 2)
})
