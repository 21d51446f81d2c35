import { Type, type Static } from 'typebox'
import { Count, Label, Nullable, Uuid } from '../../lib/schemas.ts'

/** The columns of an HR export, named as the API's fields; the first four are required. */
export const IMPORT_COLUMNS = ['externalHrId', 'name', 'email', 'role', 'discipline', 'cohortId', 'active'] as const
export type ImportColumn = (typeof IMPORT_COLUMNS)[number]
export const REQUIRED_COLUMNS: readonly ImportColumn[] = ['externalHrId', 'name', 'email', 'role']

/** Rows at most in one file: far above an employer's headcount, and it bounds the report. */
export const MAX_IMPORT_ROWS = 100_000

export const ImportParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const ImportQuery = Type.Object({
  dryRun: Type.Boolean({ default: false, description: 'Answer the plan without writing anything.' }),
  mode: Type.Union([Type.Literal('upsert'), Type.Literal('full')], {
    default: 'upsert', description: 'full: also deactivate the organization\'s people of the roles in the file who are absent from it.'
  }),
  fullSync: Type.Optional(Type.Boolean({ description: 'Same as mode=full.' }))
}, { additionalProperties: false })

/** JSON rows are checked row by row (a wrong type is an error row of the report, not a 400 for the whole file). */
export const ImportJsonBody = Type.Array(
  Type.Record(Type.String({ maxLength: 100 }), Type.Unknown()),
  {
    maxItems: MAX_IMPORT_ROWS, description: 'One object per person, with the CSV columns as fields.',
    examples: [[
      { externalHrId: '012345', name: 'Ada Okafor', email: 'ada.okafor@example.org', role: 'trainee', discipline: 'nursing' },
      { externalHrId: 'S-1', name: 'Dana Reyes', email: 'dana.reyes@example.org', role: 'supervisor' }
    ]]
  }
)

/** The CSV body is read as a stream, not validated as a value: the schema only documents it (no `type`, which the validator would check). */
export const ImportCsvBody = Type.Unsafe<unknown>({
  description: 'RFC 4180 CSV, UTF-8 with or without a byte-order mark; the first line names the columns.'
})

export const IMPORT_ACTIONS = ['create', 'update', 'unchanged', 'deactivate', 'error'] as const
export type ImportAction = (typeof IMPORT_ACTIONS)[number]

export const ImportRowResult = Type.Object({
  line: Nullable(Count({ description: 'The CSV line the row starts on (the header is line 1), or the 1-based position in a JSON array; null for a person absent from a full sync.' })),
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('unchanged'), Type.Literal('deactivate'), Type.Literal('error')]),
  externalHrId: Nullable(Type.String({ maxLength: 1000 })),
  role: Nullable(Type.Union([Type.Literal('trainee'), Type.Literal('supervisor')])),
  personId: Nullable(Uuid),
  /** What changes (update), or why the row cannot be imported (error). */
  message: Label(),
  field: Type.Optional(Type.String({ maxLength: 100, description: 'The column an error is about.' }))
})

export const ImportTotals = Type.Object({
  rows: Count({ description: 'Rows in the file.' }),
  create: Count(), update: Count(), unchanged: Count(), deactivate: Count(), error: Count()
})

export const ImportReport = Type.Object({
  organizationId: Uuid,
  dryRun: Type.Boolean(),
  mode: Type.Union([Type.Literal('upsert'), Type.Literal('full')]),
  applied: Type.Boolean({ description: 'True once the changes are committed; false for a dry run.' }),
  totals: ImportTotals,
  rows: Type.Array(ImportRowResult, { maxItems: MAX_IMPORT_ROWS * 2 })
}, { description: 'Per row what the import does (or did), with totals.' })

export type ImportQueryString = Static<typeof ImportQuery>
export type ImportRowResultT = Static<typeof ImportRowResult>
export type ImportReportT = Static<typeof ImportReport>
export type ImportTotalsT = Static<typeof ImportTotals>
