import t from 'tap'
import { runFuzz } from './helpers/fuzz-run.ts'

/** Fuzzing (see fuzz.test.ts) of accounts, keys, audit, eligibility, certificates, rubrics, health and every other tag. */
t.test('accounts, rubrics and the rest survive hostile input', (t) => runFuzz(t, 'rest'))
