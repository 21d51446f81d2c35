import type { Db } from '../../db/client.ts'
import { programs } from '../../db/schema/index.ts'
import { activeFilter, getRow, insertAudited, lockForWrite, listRows, setActiveInScope, updateAudited, type RowOf } from '../../lib/crud.ts'
import { problem } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { programScope } from '../access/policy.ts'
import { findRubricVersion, rubricPins } from './programs-repository.ts'
import type { CreateProgram, ProgramListFilter, UpdateProgram } from './programs-schemas.ts'

const OBJECT = 'program'

export type ProgramRow = RowOf<typeof programs> & { rubricKey: string; rubricVersion: number }

/** Programs are shown with the rubric key and version they are pinned to. */
async function withRubric(db: Db, rows: RowOf<typeof programs>[]): Promise<ProgramRow[]> {
  const pins = await rubricPins(db, rows.map((r) => r.rubricVersionId))
  return rows.map((row) => {
    const pin = pins.get(row.rubricVersionId)
    if (!pin) throw new Error(`rubric version ${row.rubricVersionId} of program ${row.id} is missing`)
    return { ...row, rubricKey: pin.key, rubricVersion: pin.version }
  })
}
const one = async (db: Db, row: RowOf<typeof programs>) => (await withRubric(db, [row]))[0]!

export function createProgram(db: Db, ctx: RequestContext, body: CreateProgram) {
  return db.transaction(async (tx) => {
    const { rubricExists, pin } = await findRubricVersion(tx, body.rubricKey, body.rubricVersion)
    if (!rubricExists) {
      throw problem('rubric-unknown', `There is no rubric with key ${body.rubricKey}.`, { errors: [{ pointer: '/rubricKey', detail: 'no rubric with this key' }] })
    }
    if (pin?.status !== 'published') {
      throw problem('rubric-version-not-published', `Rubric ${body.rubricKey} has no published version ${body.rubricVersion}; programmes are pinned to published versions only.`,
        { errors: [{ pointer: '/rubricVersion', detail: pin ? 'this version is a draft, not published' : 'no such version of this rubric' }] })
    }
    const row = await insertAudited(tx, ctx, programs, OBJECT, {
      name: body.name, description: body.description ?? null, rubricVersionId: pin.id,
      acknowledgeReminderDays: body.acknowledgeReminderDays ?? null, draftReminderDays: body.draftReminderDays ?? null
    })
    return { ...row, rubricKey: pin.key, rubricVersion: pin.version }
  })
}

export async function getProgram(db: Db, ctx: RequestContext, id: string) {
  return one(db, await getRow(db, programs, id, programScope(ctx.principal), OBJECT))
}

export async function listPrograms(db: Db, ctx: RequestContext, query: ProgramListFilter) {
  const page = await listRows(db, programs, [programScope(ctx.principal), activeFilter(programs, query.active)], query)
  return { items: await withRubric(db, page.items), nextCursor: page.nextCursor }
}

export function updateProgram(db: Db, ctx: RequestContext, id: string, patch: UpdateProgram, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, programs, id, programScope(ctx.principal), OBJECT, ifMatch)
    return one(tx, await updateAudited(tx, ctx, { table: programs, objectType: OBJECT, current, patch }))
  })
}

export async function setProgramActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) {
  const row = await setActiveInScope(db, ctx, { table: programs, objectType: OBJECT, scope: programScope(ctx.principal), id, active, ifMatch })
  return one(db, row)
}
