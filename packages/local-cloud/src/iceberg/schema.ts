/**
 * Iceberg schemas (table spec v2, "Schemas and Data Types") as the local cloud reads them: from Glue's
 * `IcebergInput` (a nested type is a JSON string there), into the column model the Firehose conversion uses
 * (../firehose/glue-columns.ts) and into a Parquet schema that carries every field id, as Iceberg writers do.
 */

import type { SchemaElement } from 'hyparquet-writer';
import type { HiveField, HiveType } from '../firehose/glue-columns.js';

export type IcebergType = string | IcebergStruct | IcebergMap | IcebergList;

export interface IcebergField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly doc?: string;
}

export interface IcebergStruct {
  readonly type: 'struct';
  readonly fields: readonly IcebergField[];
}

export interface IcebergMap {
  readonly type: 'map';
  readonly 'key-id': number;
  readonly key: IcebergType;
  readonly 'value-id': number;
  readonly value: IcebergType;
  readonly 'value-required': boolean;
}

export interface IcebergList {
  readonly type: 'list';
  readonly 'element-id': number;
  readonly element: IcebergType;
  readonly 'element-required': boolean;
}

export interface IcebergSchema extends IcebergStruct {
  readonly 'schema-id': number;
}

/** A schema problem, naming the table and the field. */
export class IcebergSchemaError extends Error {}

/** The Iceberg primitives the local writer converts JSON into, as the Hive kinds of the Firehose conversion. */
const PRIMITIVE_KINDS: Readonly<Record<string, HiveType>> = {
  long: { kind: 'bigint' },
  int: { kind: 'int' },
  double: { kind: 'double' },
  float: { kind: 'float' },
  string: { kind: 'string' },
  boolean: { kind: 'boolean' },
};

/** A type as Glue's `IcebergStructField.Type` holds it: a primitive's name, or a nested type's JSON text. */
export function parseIcebergType(value: unknown, where: string): IcebergType {
  if (typeof value === 'string') {
    const text = value.trim();
    if (!text.startsWith('{')) return text;
    try {
      return parseIcebergType(JSON.parse(text), where);
    } catch (error) {
      if (error instanceof IcebergSchemaError) throw error;
      throw new IcebergSchemaError(`${where}: type ${JSON.stringify(value)} is not JSON`);
    }
  }
  if (typeof value !== 'object' || value === null) {
    throw new IcebergSchemaError(`${where}: type ${JSON.stringify(value)} is not an Iceberg type`);
  }
  const nested = value as Record<string, unknown>;
  switch (nested.type) {
    case 'struct':
      return { type: 'struct', fields: parseFields(nested.fields, where) };
    case 'map':
      return {
        type: 'map',
        'key-id': idOf(nested['key-id'], `${where}.key`),
        key: parseIcebergType(nested.key, `${where}.key`),
        'value-id': idOf(nested['value-id'], `${where}.value`),
        value: parseIcebergType(nested.value, `${where}.value`),
        'value-required': nested['value-required'] === true,
      };
    case 'list':
      return {
        type: 'list',
        'element-id': idOf(nested['element-id'], `${where}.element`),
        element: parseIcebergType(nested.element, `${where}.element`),
        'element-required': nested['element-required'] === true,
      };
    default:
      throw new IcebergSchemaError(`${where}: type ${JSON.stringify(nested.type)} is not an Iceberg type`);
  }
}

function idOf(value: unknown, where: string): number {
  const id = typeof value === 'string' ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 2 ** 31 - 1) {
    throw new IcebergSchemaError(`${where}: field id ${JSON.stringify(value)} is not a 32-bit field id`);
  }
  return id;
}

/** Fields as Glue (`Id`, `Name`, `Type`, `Required`, `Doc`) or the Iceberg JSON (`id`, `name`...) spell them. */
export function parseFields(value: unknown, where: string): IcebergField[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new IcebergSchemaError(`${where}: the schema needs a non-empty list of fields`);
  }
  return value.map((raw, i) => {
    const f = (raw ?? {}) as Record<string, unknown>;
    const name = f.Name ?? f.name;
    if (typeof name !== 'string' || name === '') {
      throw new IcebergSchemaError(`${where}: field ${i + 1} has no name`);
    }
    const required = f.Required ?? f.required;
    const doc = f.Doc ?? f.doc;
    return {
      id: idOf(f.Id ?? f.id, `${where}.${name}`),
      name,
      required: required === true || required === 'true',
      type: parseIcebergType(f.Type ?? f.type, `${where}.${name}`),
      ...(typeof doc === 'string' ? { doc } : {}),
    };
  });
}

/** Every field id of a schema, nested ones too (for `last-column-id` and the duplicate check). */
export function fieldIds(type: IcebergType): number[] {
  if (typeof type === 'string') return [];
  switch (type.type) {
    case 'struct':
      return type.fields.flatMap((f) => [f.id, ...fieldIds(f.type)]);
    case 'map':
      return [type['key-id'], type['value-id'], ...fieldIds(type.key), ...fieldIds(type.value)];
    case 'list':
      return [type['element-id'], ...fieldIds(type.element)];
  }
}

/** The column model the Firehose conversion reads JSON into; fails naming a type the local writer cannot write. */
export function icebergColumns(schema: IcebergStruct, table: string): HiveField[] {
  const hive = (type: IcebergType, where: string): HiveType => {
    if (typeof type === 'string') {
      const kind = PRIMITIVE_KINDS[type];
      if (kind === undefined) {
        throw new IcebergSchemaError(
          `Iceberg table ${table}: column ${where} has type ${type}, which the local Firehose does not write ` +
            `(it writes ${Object.keys(PRIMITIVE_KINDS).join(', ')}, struct, map and list)`,
        );
      }
      return kind;
    }
    switch (type.type) {
      case 'struct':
        return {
          kind: 'struct',
          fields: type.fields.map((f) => ({ name: f.name, type: hive(f.type, `${where}.${f.name}`) })),
        };
      case 'map':
        return {
          kind: 'map',
          key: hive(type.key, `${where}.key`),
          value: hive(type.value, `${where}.value`),
        };
      case 'list':
        return { kind: 'array', element: hive(type.element, `${where}.element`) };
    }
  };
  return schema.fields.map((f) => ({ name: f.name, type: hive(f.type, f.name) }));
}

/** The Parquet schema of a data file: Iceberg's names, every element with its Iceberg field id. */
export function icebergParquetSchema(schema: IcebergStruct): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'table', num_children: schema.fields.length }];
  const add = (name: string, id: number, type: IcebergType, required: boolean) => {
    const base = { name, field_id: id, repetition_type: required ? 'REQUIRED' : 'OPTIONAL' } as const;
    if (typeof type === 'string') {
      switch (type) {
        case 'long':
          out.push({ ...base, type: 'INT64' });
          return;
        case 'int':
          out.push({ ...base, type: 'INT32' });
          return;
        case 'double':
          out.push({ ...base, type: 'DOUBLE' });
          return;
        case 'float':
          out.push({ ...base, type: 'FLOAT' });
          return;
        case 'boolean':
          out.push({ ...base, type: 'BOOLEAN' });
          return;
        default:
          out.push({ ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' });
          return;
      }
    }
    switch (type.type) {
      case 'struct':
        out.push({ ...base, num_children: type.fields.length });
        for (const f of type.fields) add(f.name, f.id, f.type, f.required);
        return;
      case 'map':
        out.push({ ...base, converted_type: 'MAP', num_children: 1 });
        out.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 });
        add('key', type['key-id'], type.key, true);
        add('value', type['value-id'], type.value, type['value-required']);
        return;
      case 'list':
        out.push({ ...base, converted_type: 'LIST', num_children: 1 });
        out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
        add('element', type['element-id'], type.element, type['element-required']);
        return;
    }
  };
  for (const f of schema.fields) add(f.name, f.id, f.type, f.required);
  return out;
}
