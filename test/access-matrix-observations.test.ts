import t from 'tap'
import { runAccessMatrix } from './helpers/access-matrix-run.ts'

/** The access matrix (see access-matrix.test.ts) over observations and reports. */
t.test('observations and reports: no role of A reaches anything of B', (t) => runAccessMatrix(t, 'observations'))
