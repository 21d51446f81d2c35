import t from 'tap'
import { runAccessMatrix } from './helpers/access-matrix-run.ts'

/** The access matrix (see access-matrix.test.ts) over accounts, keys, audit, eligibility, certificates and any other tag. */
t.test('accounts, eligibility, certificates and the rest: no role of A reaches anything of B', (t) => runAccessMatrix(t, 'rest'))
