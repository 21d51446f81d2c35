import t from 'tap'
import { runAccessMatrix } from './helpers/access-matrix-run.ts'

/** The access matrix (see access-matrix.test.ts) over accounts, keys, audit, rubrics and any tag no other file names. */
t.test('accounts, rubrics and the rest: no role of A reaches anything of B', (t) => runAccessMatrix(t, 'rest'))
