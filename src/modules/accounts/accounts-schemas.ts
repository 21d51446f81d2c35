import { Type, type Static } from 'typebox'
import { roles } from '../../db/schema/accounts.ts'
import { DateTime, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

const Role = Type.Enum([...roles], {
  description: 'admin: everything; coordinator: their programmes; supervisor: their assigned trainees; trainee: themself; integrator: an organisation\'s trainees (HR systems).'
})
const Name = Type.String({ minLength: 1, maxLength: 200 })
const Email = Type.String({ format: 'email', maxLength: 320 })
const KeyName = Type.String({ minLength: 1, maxLength: 100 })
const KeyPrefix = (o: { description?: string } = {}) => Type.String({ maxLength: 32, ...o })
const ProgramIds = Type.Array(Uuid, { uniqueItems: true, maxItems: 200, description: 'Programmes a coordinator is responsible for.' })

export const AccountSchema = Type.Object({
  id: Uuid,
  role: Role,
  name: Name,
  email: Nullable(Email),
  supervisorId: Nullable(Uuid),
  traineeId: Nullable(Uuid),
  organizationId: Nullable(Uuid),
  programIds: Type.Array(Uuid, { maxItems: 10_000 }),
  active: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime
})

export const AccountPage = Page(AccountSchema)

export const CreateAccountBody = Type.Object({
  role: Role,
  name: Name,
  email: Type.Optional(Nullable(Email)),
  supervisorId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Required for, and only allowed for, role supervisor.' })),
  traineeId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Required for, and only allowed for, role trainee.' })),
  organizationId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Required for, and only allowed for, role integrator.' })),
  programIds: Type.Optional(ProgramIds)
}, { additionalProperties: false })

export const UpdateAccountBody = Type.Object({
  name: Type.Optional(Name),
  email: Type.Optional(Nullable(Email)),
  programIds: Type.Optional(ProgramIds)
}, { additionalProperties: false, minProperties: 1 })

export const AccountListQuery = Type.Object({
  ...PageQuery,
  role: Type.Optional(Role),
  active: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const ApiKeySchema = Type.Object({
  id: Uuid,
  accountId: Uuid,
  name: KeyName,
  prefix: KeyPrefix({ description: 'The first characters of the key, to recognise it; not a secret.' }),
  createdAt: DateTime,
  lastUsedAt: Nullable(DateTime),
  revokedAt: Nullable(DateTime),
  /** From then on the key answers 401 (`api-key-expired`); null: until revoked. */
  expiresAt: Nullable(DateTime),
  readOnly: Type.Boolean({ description: 'Only GET and HEAD; anything else answers 403 (`api-key-read-only`).' })
})

export const ApiKeyPage = Page(ApiKeySchema)
export const ApiKeyListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })

export const CreatedApiKeySchema = Type.Object({
  id: Uuid,
  accountId: Uuid,
  name: KeyName,
  prefix: KeyPrefix(),
  createdAt: DateTime,
  expiresAt: Nullable(DateTime),
  readOnly: Type.Boolean(),
  key: Type.String({ maxLength: 200, description: 'The secret. Shown only in this response: store it now, it cannot be retrieved again.' })
})

export const CreateApiKeyBody = Type.Object({
  name: { ...KeyName, description: 'What the key is for, e.g. "laptop" or "HR sync".' },
  expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'When the key stops working (in the future); omit for a key that works until revoked.' })),
  readOnly: Type.Optional(Type.Boolean({ default: false, description: 'A key for reading only: any method other than GET or HEAD answers 403.' }))
}, { additionalProperties: false })

export const MeSchema = Type.Object({
  account: AccountSchema,
  apiKey: Type.Object({ id: Uuid, name: KeyName, prefix: KeyPrefix() }, { description: 'The key this request was made with.' }),
  emailReminders: Type.Boolean({ description: 'Whether this person gets reminder emails (observations to acknowledge, drafts left open). Other mail (invitations, resets, notices) is always sent.' })
})

export const UpdateMeBody = Type.Object({
  emailReminders: Type.Optional(Type.Boolean({ description: 'false turns reminder emails off for the calling account.' }))
}, { additionalProperties: false, minProperties: 1 })

export type Account = Static<typeof AccountSchema>
export type CreateAccountInput = Static<typeof CreateAccountBody>
export type UpdateAccountInput = Static<typeof UpdateAccountBody>
export type AccountListFilter = Static<typeof AccountListQuery>
export type ApiKey = Static<typeof ApiKeySchema>
export type CreatedApiKey = Static<typeof CreatedApiKeySchema>
export type Me = Static<typeof MeSchema>
export type UpdateMeInput = Static<typeof UpdateMeBody>
