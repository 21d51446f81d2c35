import t from 'tap'
import { runFuzz } from './helpers/fuzz-run.ts'

/** Fuzzing (see fuzz.test.ts) over integrations (SCIM group mappings), certificates and eligibility. */
t.test('integrations, certificates and eligibility survive hostile input', (t) => runFuzz(t, 'credentials'))
