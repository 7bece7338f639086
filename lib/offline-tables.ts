import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { Construct } from 'constructs';
import { type Column, type ColumnType, hiveType, PARTITION_KEYS } from '../core/offline-schema.js';
import { throwIfProblems } from './errors.js';

/** The Glue tables of the offline store: a Hive table read as Parquet, or an Apache Iceberg table. */

export interface OfflineTableProps {
  readonly database: glue.CfnDatabase;
  readonly tableName: string;
  readonly description: string;
  readonly columns: readonly Column[];
}

function glueColumns(columns: readonly Column[]): glue.CfnTable.ColumnProperty[] {
  return columns.map(({ name, type, comment }) => ({ name, type: hiveType(type), comment }));
}

export function parquetTable(scope: Construct, props: OfflineTableProps, location: string): glue.CfnTable {
  const stack = Stack.of(scope);
  return new glue.CfnTable(scope, 'Table', {
    catalogId: stack.account,
    databaseName: props.database.ref,
    tableInput: {
      name: props.tableName,
      description: props.description,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        classification: 'parquet',
        'parquet.compression': 'SNAPPY',
        // Partition projection: Athena computes the dt/hour partitions; no crawler, no MSCK REPAIR.
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': 'NOW-3YEARS,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
        'projection.hour.digits': '2',
        'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/`,
      },
      partitionKeys: glueColumns(PARTITION_KEYS),
      storageDescriptor: {
        columns: glueColumns(props.columns),
        location,
        inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        serdeInfo: {
          serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          parameters: { 'serialization.format': '1' },
        },
        compressed: true,
      },
    },
  });
}

const ICEBERG_PRIMITIVES = {
  bigint: 'long',
  string: 'string',
  double: 'double',
  boolean: 'boolean',
} as const;

/** Iceberg field ids are 32-bit signed; ours stay at or below 2^30, leaving room for ids an engine adds. */
const FIELD_ID_SPACE = 2 ** 30;

/**
 * The Iceberg field id of a field, from its path in the table (`arrival_ms`, `features.card_txn_count_10m`,
 * `entities.value.key`): the first 30 bits of its SHA-256, plus one. Iceberg finds columns by id, not by name or
 * position, so an id must not change while the column lives: an id from the path stays the same when a spec adds,
 * removes or reorders fields anywhere. `icebergSchemaFields` fails on two paths with one id.
 */
export function icebergFieldId(path: string): number {
  return (createHash('sha256').update(path).digest().readUInt32BE(0) % FIELD_ID_SPACE) + 1;
}

/** Gives out field ids by path, and remembers them to report two paths with the same id. */
class FieldIds {
  private readonly byId = new Map<number, string>();
  readonly collisions: string[] = [];

  idOf(path: string): number {
    const id = icebergFieldId(path);
    const earlier = this.byId.get(id);
    if (earlier !== undefined && earlier !== path) {
      this.collisions.push(`fields "${earlier}" and "${path}" get the same Iceberg field id ${id}`);
    }
    this.byId.set(id, path);
    return id;
  }
}

/** An Iceberg schema type: a primitive's name, or a nested type as Iceberg's JSON form, ids from paths. */
function icebergType(type: ColumnType, path: string, ids: FieldIds): string | object {
  if (typeof type === 'string') return ICEBERG_PRIMITIVES[type];
  if ('struct' in type) {
    return {
      type: 'struct',
      fields: type.struct.map((f) => ({
        id: ids.idOf(`${path}.${f.name}`),
        name: f.name,
        required: false,
        type: icebergType(f.type, `${path}.${f.name}`, ids),
      })),
    };
  }
  return {
    type: 'map',
    'key-id': ids.idOf(`${path}.key`),
    key: ICEBERG_PRIMITIVES[type.map.key],
    'value-id': ids.idOf(`${path}.value`),
    value: icebergType(type.map.value, `${path}.value`, ids),
    'value-required': false,
  };
}

export interface IcebergSchemaField {
  readonly id: number;
  readonly name: string;
  /** A primitive's name, or a nested type's Iceberg JSON as a string (what Glue's `IcebergStructField` takes). */
  readonly type: string;
  readonly required: false;
  readonly doc: string;
}

/**
 * The top-level fields of an Iceberg schema for these columns, every id (nested ones too) from the field's path,
 * and a problem naming the table and both fields for each two paths that get the same id.
 */
export function icebergSchemaFields(
  columns: readonly Column[],
  table: string,
): { fields: IcebergSchemaField[]; problems: string[] } {
  const ids = new FieldIds();
  const fields = columns.map((column): IcebergSchemaField => {
    const id = ids.idOf(column.name);
    const type = icebergType(column.type, column.name, ids);
    return {
      id,
      name: column.name,
      type: typeof type === 'string' ? type : JSON.stringify(type),
      required: false,
      doc: column.comment,
    };
  });
  const problems = ids.collisions.map(
    (collision) =>
      `Iceberg table ${table}: ${collision} (ids come from field paths, so that they stay the same when the ` +
      'spec changes); rename one of the fields',
  );
  return { fields, problems };
}

/**
 * An Apache Iceberg table in the shape AWS documents for CloudFormation: the table's name at the top level and
 * everything else (location, schema, partition spec, properties) in `OpenTableFormatInput.IcebergInput
 * .IcebergTableInput`, with no `TableInput` at all. Glue refuses table metadata in both places ("Table metadata
 * is expected only via TableInput or via IcebergTableInputProperties inside OpenTableFormatInput"), and a table
 * described by `TableInput.StorageDescriptor` loses `table_type`/`metadata_location` on its first CloudFormation
 * update. docs/deploy.md (Iceberg tables) cites the sources.
 *
 * The table partitions by identity on `dt` and `hour`, which the writers put in every record (`partitionValues`
 * in core/offline-schema.ts): Firehose's Iceberg destination writes the columns it gets, nothing from a prefix.
 * Field ids come from field paths (`icebergFieldId`), so a spec change keeps every remaining column's id.
 */
export function icebergTable(scope: Construct, props: OfflineTableProps, location: string): glue.CfnTable {
  const stack = Stack.of(scope);
  const { fields, problems } = icebergSchemaFields([...props.columns, ...PARTITION_KEYS], props.tableName);
  throwIfProblems(scope, problems);
  return new glue.CfnTable(scope, 'Table', {
    catalogId: stack.account,
    databaseName: props.database.ref,
    name: props.tableName,
    openTableFormatInput: {
      icebergInput: {
        metadataOperation: 'CREATE',
        version: '2',
        icebergTableInput: {
          location,
          schema: { type: 'struct', schemaId: 0, fields },
          partitionSpec: {
            specId: 0,
            fields: PARTITION_KEYS.map((key, i) => ({
              fieldId: 1000 + i,
              name: key.name,
              // A top-level field's path is its name.
              sourceId: icebergFieldId(key.name),
              transform: 'identity',
            })),
          },
          properties: {
            comment: props.description,
            'write.format.default': 'parquet',
            'write.parquet.compression-codec': 'zstd',
          },
        },
      },
    },
  });
}
