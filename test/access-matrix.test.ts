import t from 'tap'
import { runAccessMatrix } from './helpers/access-matrix-run.ts'

/**
 * The access matrix, generated from the OpenAPI document (test/helpers/access-matrix-run.ts): every
 * operation on organizations, programs and people that names a tenant's object is sent as each role
 * of organization A, with A's objects and then with each reference pointing into organization B, an
 * unrelated employer with a program of its own. Nothing of B may answer 2xx to A's people.
 */
t.test('organizations, programs and people: no role of A reaches anything of B', (t) => runAccessMatrix(t, 'structure'))
