/**
 * What Glue's CreateTable reads from `OpenTableFormatInput.IcebergInput` (its `IcebergTableInput`: Location,
 * Schema, PartitionSpec, Properties), checked and named as Glue names it, and the table entry Glue keeps for such
 * a table: its columns in Hive spelling with Iceberg's field parameters, as Iceberg's Glue catalog writes them.
 */

import type { PartitionSpec } from '../iceberg/metadata.js';
import { tableLocation } from '../iceberg/metadata.js';
import {
  type IcebergField,
  type IcebergSchema,
  IcebergSchemaError,
  type IcebergType,
  parseFields,
} from '../iceberg/schema.js';
import { invalid, s3Location } from './errors.js';

type Json = Record<string, unknown>;

/** An Iceberg table's definition as the deploy gives it. */
export interface IcebergDefinition {
  readonly location: string;
  readonly schema: IcebergSchema;
  readonly partitionSpec: PartitionSpec;
  readonly properties: Record<string, string>;
}

/** The definition in `icebergInput`, or an InvalidInputException naming what Glue would refuse. */
export function parseIcebergInput(tableName: string, icebergInput: Json): IcebergDefinition {
  const version = String(icebergInput.Version ?? '2');
  if (version !== '2')
    throw invalid(`IcebergInput.Version ${version}: the local catalog creates format v2 tables`);
  const operation = String(icebergInput.MetadataOperation ?? 'CREATE');
  if (operation !== 'CREATE') throw invalid(`IcebergInput.MetadataOperation ${operation} is not CREATE`);
  const input = (icebergInput.IcebergTableInput ?? {}) as Json;
  const location = input.Location;
  if (typeof location !== 'string')
    throw invalid(`Iceberg table ${tableName}: IcebergTableInput.Location is required`);
  s3Location(location);
  const schemaInput = (input.Schema ?? {}) as Json;
  const specInput = (input.PartitionSpec ?? {}) as Json;
  try {
    return {
      location,
      schema: {
        type: 'struct',
        'schema-id': Number(schemaInput.SchemaId ?? 0),
        fields: parseFields(schemaInput.Fields, `Iceberg table ${tableName}`),
      },
      partitionSpec: {
        'spec-id': Number(specInput.SpecId ?? 0),
        fields: ((specInput.Fields as Json[] | undefined) ?? []).map((f) => ({
          name: String(f.Name),
          transform: String(f.Transform ?? 'identity'),
          'source-id': Number(f.SourceId),
          'field-id': Number(f.FieldId),
        })),
      },
      properties: Object.fromEntries(
        Object.entries((input.Properties as Json | undefined) ?? {}).map(([k, v]) => [k, String(v)]),
      ),
    };
  } catch (error) {
    if (error instanceof IcebergSchemaError) throw invalid(error.message);
    throw error;
  }
}

/** The table entry Glue keeps for an Iceberg table (GetTable's answer less times, version and parameters). */
export function icebergTableBody(name: string, definition: IcebergDefinition): Json {
  return {
    Name: name,
    TableType: 'EXTERNAL_TABLE',
    StorageDescriptor: {
      Columns: definition.schema.fields.map(icebergColumn),
      Location: tableLocation(definition.location),
      AdditionalLocations: [],
      Compressed: false,
      NumberOfBuckets: 0,
      SortColumns: [],
      StoredAsSubDirectories: false,
    },
    // Iceberg partitions are hidden: Glue lists no Hive partition keys for them.
    PartitionKeys: [],
    Retention: 0,
  };
}

/** An Iceberg type in Glue's (Hive) spelling, as Iceberg's Glue catalog writes a table's columns. */
function hiveTypeOf(type: IcebergType): string {
  if (typeof type === 'string') {
    const hive: Record<string, string> = { long: 'bigint', int: 'int', string: 'string', double: 'double' };
    return hive[type] ?? type;
  }
  switch (type.type) {
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${hiveTypeOf(f.type)}`).join(',')}>`;
    case 'map':
      return `map<${hiveTypeOf(type.key)},${hiveTypeOf(type.value)}>`;
    case 'list':
      return `array<${hiveTypeOf(type.element)}>`;
  }
}

function icebergColumn(field: IcebergField): Json {
  return {
    Name: field.name,
    Type: hiveTypeOf(field.type),
    ...(field.doc === undefined ? {} : { Comment: field.doc }),
    Parameters: {
      'iceberg.field.current': 'true',
      'iceberg.field.id': String(field.id),
      'iceberg.field.optional': String(!field.required),
    },
  };
}
