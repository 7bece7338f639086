/**
 * A training set the way a data scientist would build it without streamfeatures: a SQL point-in-time join in DuckDB
 * over the raw Parquet archive and a labels file. It is a second, independent reading of the README's Semantics, kept
 * as close to them as SQL allows, so the benchmark can time it beside our build and check every value of every row.
 *
 * What the SQL expresses (generated from the spec, so any spec's features get a column):
 * - redelivered records (same shard and sequence number) taken once, first in arrival order (ties: archive order);
 * - invalid records set aside: a payload stored as base64, the time missing or not an epoch-ms number, the id or an
 *   entity key missing or empty, an aggregated field missing or of the wrong type (the archive's typed columns are
 *   null then) for a feature whose `where` the event passes, an empty `distinct` value; future and late by the spec;
 * - duplicate ids: the first valid, timely copy in arrival order counts (exact when every copy arrives within the
 *   dedupe horizon of the first, as in the benchmark's traffic);
 * - windows: events of the key with α ≤ t, τ < t and floor(τ/g) > floor(t/g) − W/g, `where` read from the payload;
 * - sums and averages added in the engine's order (within a tile in arrival order, then tile by tile), so they agree
 *   to the last bit; `last` by greatest τ, then arrival, then archive order; `stddev` is DuckDB's stddev_pop;
 *   `distinct` is exact (count(DISTINCT)), where the engine's sketch is exact up to 96 values, then approximate.
 * What it does not: UTF-8 and key length checks, an epoch-ms time written as a JSON string (the archive's text
 * column cannot tell it from a number), keys of JSON booleans (the archive spells them out as text), an id seen again after the dedupe
 * horizon, and the engine's separate keeping of events whose producer clock runs ahead of their arrival (τ ≥ α:
 * their order of addition within a tile, so only the last bits of a sum could differ).
 */
import type { CompiledSpec, TrainingPlan } from '../core/index.js';
import { columnName } from '../core/offline-schema.js';
import type { CompiledFeature } from '../core/spec/compile.js';
import type { WhereFilter } from '../core/spec/types.js';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const text = (value: string) => `'${value.replaceAll("'", "''")}'`;
const jsonPath = (field: string) =>
  text(
    `$${field
      .split('.')
      .map((segment) => `."${segment}"`)
      .join('')}`,
  );

/** A feature's `where` as a SQL condition on the payload (JSON values compared as JSON). */
function whereSql(where: WhereFilter): string {
  const value = `json_extract(data, ${jsonPath(where.field)})`;
  const json = (v: unknown) => `${text(JSON.stringify(v))}::JSON`;
  if (where.eq !== undefined) return `coalesce(${value} = ${json(where.eq)}, false)`;
  if (where.ne !== undefined) return `coalesce(${value} <> ${json(where.ne)}, true)`;
  if (where.in !== undefined) return `coalesce(${value} IN (${where.in.map(json).join(', ')}), false)`;
  const number = `(CASE WHEN json_type(${value}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN ${value}::DOUBLE END)`;
  const [op, bound] =
    where.gt !== undefined
      ? ['>', where.gt]
      : where.gte !== undefined
        ? ['>=', where.gte]
        : where.lt !== undefined
          ? ['<', where.lt]
          : ['<=', where.lte];
  return `coalesce(${number} ${op} ${bound}, false)`;
}

/** Event time in epoch ms: a number, or ISO-8601 with a zone (DuckDB refuses dates that name no real day). */
const timeSql = (column: string) =>
  `coalesce(try_cast(${column} AS DOUBLE), CASE WHEN regexp_matches(${column}, '^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?([Zz]|[+-]\\d{2}:?\\d{2})$') ` +
  `THEN epoch_ms(try_cast(${column} AS TIMESTAMPTZ)) END)`;

/** The first τ a feature's window at label time `l.t` takes: the start of its oldest tile. */
const windowStart = (f: CompiledFeature) => `(floor(l.t / ${f.tileMs}) - ${f.tiles - 1}) * ${f.tileMs}`;

/** One feature's aggregate over the joined events `e` of a label `l`. */
function featureSql(f: CompiledFeature, whereColumn: string | undefined, exactSums: boolean): string {
  const filter = `FILTER (WHERE e.tau >= ${windowStart(f)}${whereColumn ? ` AND e.${whereColumn}` : ''})`;
  const x = f.field ? `e.${quote(columnName(f.field))}` : '';
  // Within a tile in arrival order, then tile by tile: the engine's order of additions.
  // `u` carries the running total (earlier tiles, then the current tile's sum) so one reduction gives it.
  const orderedSum = () =>
    `struct_extract(list_reduce(list({'g': floor(e.tau / ${f.tileMs}), 'x': ${x}} ORDER BY floor(e.tau / ${f.tileMs}), e.alpha, e.ord) ${filter}, ` +
    '(acc, v) -> CASE WHEN acc.g = v.g ' +
    "THEN {'g': acc.g, 's': acc.s + v.x, 't': acc.t, 'u': acc.t + (acc.s + v.x)} " +
    "ELSE {'g': v.g, 's': v.x, 't': acc.t + acc.s, 'u': (acc.t + acc.s) + v.x} END, " +
    "{'g': NULL::DOUBLE, 's': 0::DOUBLE, 't': 0::DOUBLE, 'u': 0::DOUBLE}), 'u')";
  switch (f.agg) {
    case 'count':
      return `count(e.ord) ${filter}`;
    case 'sum':
      return exactSums ? `coalesce(${orderedSum()}, 0)` : `coalesce(sum(${x}) ${filter}, 0)`;
    case 'avg':
      return exactSums ? `${orderedSum()} / nullif(count(e.ord) ${filter}, 0)` : `avg(${x}) ${filter}`;
    case 'min':
      return `min(${x}) ${filter}`;
    case 'max':
      return `max(${x}) ${filter}`;
    case 'stddev':
      return `stddev_pop(${x}) ${filter}`;
    case 'distinct':
      return `count(DISTINCT ${x}) ${filter}`;
    case 'last':
      return `last(${x} ORDER BY e.tau, e.alpha, e.ord) ${filter}`;
  }
}

/**
 * The SQL that writes the training set of `plan` (its columns, in its order, one row per label in label order) to
 * `out` as Parquet: `archive` is the raw archive's Parquet files in key order, `labels` a Parquet file with the
 * plan's key fields, `t`, the id field when the plan has it, and `label`.
 */
export function pointInTimeSql(
  spec: CompiledSpec,
  plan: TrainingPlan,
  archive: readonly string[],
  labels: string,
  out: string,
  exactSums = true,
): string {
  const features = plan.entities.flatMap((entity) => entity.features.map(({ feature }) => feature));
  const wheres = new Map<CompiledFeature, string>();
  features.forEach((f, i) => {
    if (f.definition.where) wheres.set(f, `w${i}`);
  });
  const timeColumn = quote(columnName(spec.timeField));
  const keyColumns = [...new Set(spec.entities.flatMap((e) => e.keyFields))].map(columnName);
  const fieldColumns = [...new Set(features.flatMap((f) => (f.field ? [columnName(f.field)] : [])))];
  const required = features
    .filter((f) => f.field)
    .map((f) => {
      const present =
        f.agg === 'distinct'
          ? `coalesce(${quote(columnName(f.field as string))} <> '', false)`
          : `${quote(columnName(f.field as string))} IS NOT NULL`;
      return f.definition.where ? `(NOT ${whereSql(f.definition.where)} OR ${present})` : present;
    });
  const idColumn = spec.idField !== undefined ? quote(columnName(spec.idField)) : undefined;
  const valid = [
    'data_encoding IS NULL',
    'tau IS NOT NULL',
    ...(idColumn ? [`coalesce(${idColumn} <> '', false)`] : []),
    ...keyColumns.map((k) => `coalesce(${quote(k)} <> '', false)`),
    ...[...new Set(required)],
    `tau - alpha <= ${spec.maxFutureSkewMs}`,
    `alpha - tau <= ${spec.allowedLatenessMs}`,
  ];
  const files = `[${archive.map(text).join(', ')}]`;
  const perEntity = plan.entities.map((entity, i) => {
    const own = entity.features.map(({ feature }) => feature);
    const keys = entity.keyFields.map((k) => `e.${quote(columnName(k))} = l.${quote(k)}`);
    const earliest = own.map(windowStart);
    return (
      `f${i} AS (SELECT l.lid, ${own.map((f) => `${featureSql(f, wheres.get(f), exactSums)} AS ${quote(f.name)}`).join(', ')} ` +
      `FROM labels l LEFT JOIN counted e ON ${keys.join(' AND ')} AND e.alpha <= l.t AND e.tau < l.t ` +
      `AND e.tau >= ${earliest.length > 1 ? `least(${earliest.join(', ')})` : earliest[0]} GROUP BY l.lid)`
    );
  });
  const labelColumns = plan.columns
    .slice(0, plan.columns.length - features.length)
    .map((c) => `l.${quote(c.name)}`);
  return [
    `COPY (WITH raw AS (SELECT *, row_number() OVER (ORDER BY filename, file_row_number) AS ord FROM read_parquet(${files}, filename = true, file_row_number = true, hive_partitioning = false)),`,
    'taken AS (SELECT * FROM raw QUALIFY row_number() OVER (PARTITION BY shard_id, sequence_number ORDER BY arrival_ms, ord) = 1),',
    `typed AS (SELECT *, arrival_ms AS alpha, ${timeSql(timeColumn)} AS tau${[...wheres].map(([f, w]) => `, ${whereSql(f.definition.where as WhereFilter)} AS ${w}`).join('')} FROM taken),`,
    `valid AS (SELECT ord, alpha, tau${idColumn ? `, ${idColumn}` : ''}, ${[...new Set([...keyColumns, ...fieldColumns])].map(quote).join(', ')}${[...wheres.values()].map((w) => `, ${w}`).join('')} FROM typed WHERE ${valid.join(' AND ')}),`,
    idColumn
      ? `counted AS (SELECT * FROM valid QUALIFY row_number() OVER (PARTITION BY ${idColumn} ORDER BY alpha, ord) = 1),`
      : 'counted AS (SELECT * FROM valid),',
    `labels AS (SELECT row_number() OVER () AS lid, * FROM read_parquet(${text(labels)})),`,
    `${perEntity.join(',\n')}`,
    `SELECT ${[...labelColumns, ...features.map((f) => quote(f.name))].join(', ')} FROM labels l ` +
      `${plan.entities.map((_, i) => `JOIN f${i} USING (lid)`).join(' ')} ORDER BY l.lid)`,
    `TO ${text(out)} (FORMAT parquet)`,
  ].join('\n');
}
