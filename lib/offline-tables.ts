import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { Construct } from 'constructs';
import { type Column, type ColumnType, hiveType, PARTITION_KEYS } from '../core/offline-schema.js';

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

/**
 * An Iceberg schema type: a primitive's name, or a nested type as Iceberg's JSON form (every nested field and
 * map key/value takes the next id).
 */
function icebergType(type: ColumnType, nextId: () => number): string | object {
  if (typeof type === 'string') return ICEBERG_PRIMITIVES[type];
  if ('struct' in type) {
    return {
      type: 'struct',
      fields: type.struct.map((f) => ({
        id: nextId(),
        name: f.name,
        required: false,
        type: icebergType(f.type, nextId),
      })),
    };
  }
  return {
    type: 'map',
    'key-id': nextId(),
    key: ICEBERG_PRIMITIVES[type.map.key],
    'value-id': nextId(),
    value: icebergType(type.map.value, nextId),
    'value-required': false,
  };
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
 */
export function icebergTable(scope: Construct, props: OfflineTableProps, location: string): glue.CfnTable {
  const stack = Stack.of(scope);
  const columns = [...props.columns, ...PARTITION_KEYS];
  // Top-level fields take ids 1..n; nested ids follow.
  let lastId = columns.length;
  const nextId = () => ++lastId;
  const fields = columns.map((column, i) => {
    const type = icebergType(column.type, nextId);
    return {
      id: i + 1,
      name: column.name,
      type: typeof type === 'string' ? type : JSON.stringify(type),
      required: false,
      doc: column.comment,
    };
  });
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
              sourceId: columns.indexOf(key) + 1,
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
