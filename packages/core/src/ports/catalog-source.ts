/** `etl produce`: the users and products events may name. Implemented by PostgresEventStore. */

/** The users and products events may name: those that exist in PostgreSQL. */
export interface CatalogSource {
  ids(): Promise<{ readonly userIds: readonly number[]; readonly productIds: readonly number[] }>;
}
