import t from 'tap'
import { runAccessMatrix } from './helpers/access-matrix-run.ts'

/** The access matrix (see access-matrix.test.ts) over integrations (SCIM group mappings), certificates and eligibility. */
t.test('integrations, certificates and eligibility: no role of A reaches anything of B', (t) => runAccessMatrix(t, 'credentials'))
