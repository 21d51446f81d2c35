import t from 'tap'
import { runFuzz } from './helpers/fuzz-run.ts'

/** Fuzzing (see fuzz.test.ts) of every operation on observations and reports. */
t.test('observations and reports survive hostile input', (t) => runFuzz(t, 'observations'))
