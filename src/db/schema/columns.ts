import { sql } from 'drizzle-orm'
import { boolean, timestamp, uuid } from 'drizzle-orm/pg-core'

/** A timestamp with time zone, read as a Date. */
export const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
export const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`)
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
export const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
/** Records are deactivated, never deleted, so that reports keep their history. */
export const active = () => boolean('active').notNull().default(true)
