/** Glue (Hive) column types: parsing the types Glue stores into the local Firehose's column model. */

import { invalidArgument } from './errors.js';

/** A Glue column as the template's `TableInput.StorageDescriptor.Columns` (or the Glue API) spells it. */
export type GlueColumn =
  | { readonly Name: string; readonly Type: string }
  | { readonly name: string; readonly type: string };

export type HiveType =
  | { readonly kind: 'bigint' | 'int' | 'smallint' | 'tinyint' | 'double' | 'float' | 'string' | 'boolean' }
  | { readonly kind: 'struct'; readonly fields: readonly HiveField[] }
  | { readonly kind: 'map'; readonly key: HiveType; readonly value: HiveType }
  | { readonly kind: 'array'; readonly element: HiveType };

export interface HiveField {
  readonly name: string;
  readonly type: HiveType;
}

const PRIMITIVES: Readonly<Record<string, HiveType>> = {
  bigint: { kind: 'bigint' },
  int: { kind: 'int' },
  integer: { kind: 'int' },
  smallint: { kind: 'smallint' },
  tinyint: { kind: 'tinyint' },
  double: { kind: 'double' },
  float: { kind: 'float' },
  string: { kind: 'string' },
  boolean: { kind: 'boolean' },
};

/** Parses a Hive type as Glue stores it: `bigint`, `struct<a:double,b:string>`, `map<string,array<int>>`. */
export function parseHiveType(text: string): HiveType {
  let pos = 0;
  const fail = (what: string): never => {
    throw invalidArgument(
      `Glue column type ${JSON.stringify(text)}: ${what} at position ${pos}. The local Firehose reads bigint, ` +
        'int, smallint, tinyint, double, float, string, varchar, char, boolean, struct, map and array.',
    );
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const name = (): string => {
    skip();
    const quoted = text[pos] === '`';
    const match = (quoted ? /^`([^`]+)`/ : /^([A-Za-z0-9_]+)/).exec(text.slice(pos));
    if (!match) return fail('expected a name');
    pos += match[0].length;
    return match[1] as string;
  };
  const expect = (ch: string) => {
    skip();
    if (text[pos] !== ch) fail(`expected "${ch}"`);
    pos++;
  };
  const type = (): HiveType => {
    const word = name().toLowerCase();
    const primitive = PRIMITIVES[word];
    if (primitive) return primitive;
    switch (word) {
      case 'varchar':
      case 'char':
        expect('(');
        name();
        expect(')');
        return PRIMITIVES.string as HiveType;
      case 'struct': {
        expect('<');
        const fields: HiveField[] = [];
        do {
          const fieldName = name();
          expect(':');
          fields.push({ name: fieldName, type: type() });
          skip();
        } while (text[pos] === ',' && ++pos);
        expect('>');
        return { kind: 'struct', fields };
      }
      case 'map': {
        expect('<');
        const key = type();
        if (key.kind === 'struct' || key.kind === 'map' || key.kind === 'array')
          fail('a map key must be primitive');
        expect(',');
        const value = type();
        expect('>');
        return { kind: 'map', key, value };
      }
      case 'array': {
        expect('<');
        const element = type();
        expect('>');
        return { kind: 'array', element };
      }
      default:
        return fail(`type "${word}" is not supported`);
    }
  };
  const parsed = type();
  skip();
  if (pos !== text.length) fail('unexpected text');
  return parsed;
}

export function glueFields(columns: readonly GlueColumn[]): HiveField[] {
  return columns.map((column) => {
    const name = 'Name' in column ? column.Name : column.name;
    const type = 'Type' in column ? column.Type : column.type;
    if (typeof name !== 'string' || name === '' || typeof type !== 'string') {
      throw invalidArgument(`Glue column ${JSON.stringify(column)} needs a Name and a Type`);
    }
    return { name, type: parseHiveType(type) };
  });
}
