/**
 * The local Glue Data Catalog: the databases and tables a deploy creates, Hive tables as their `TableInput`
 * gives them and Iceberg tables as Glue's CreateTable with `OpenTableFormatInput.IcebergInput` makes them (their
 * first metadata file written to S3, `table_type=ICEBERG`, `metadata_location`). Writers commit an Iceberg table
 * by swapping its metadata location (`commitIceberg`), as Iceberg's Glue catalog does with UpdateTable. Names are
 * kept in lower case, as Glue keeps them. The catalog lives in memory: deleting an entry never touches S3.
 */

import {
  evolvedMetadata,
  initialMetadata,
  metadataFilePath,
  metadataVersion,
  type PartitionSpec,
  type TableMetadata,
  tableLocation,
} from '../iceberg/metadata.js';
import {
  type IcebergField,
  type IcebergSchema,
  IcebergSchemaError,
  type IcebergType,
  parseFields,
} from '../iceberg/schema.js';
import { AwsApiError } from '../services/aws-errors.js';

/** Where Iceberg metadata files are written and read: the cloud's S3. */
export interface ObjectStore {
  put(bucket: string, key: string, body: Uint8Array): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer>;
}

type Json = Record<string, unknown>;

interface DatabaseEntry {
  readonly name: string;
  readonly description?: string;
  readonly locationUri?: string;
  readonly parameters: Record<string, string>;
  readonly createTime: number;
}

interface TableEntry {
  readonly databaseName: string;
  readonly name: string;
  readonly createTime: number;
  updateTime: number;
  versionId: number;
  /** The table as GetTable answers it, less the fields kept apart (times, version, Iceberg parameters). */
  readonly body: Json;
  readonly iceberg?: { location: string; metadataLocation: string; previousMetadataLocation?: string };
}

/** Glue's names (lower-cased): letters, digits, underscores and hyphens, 1 to 255 characters. */
const GLUE_NAME = /^[a-z0-9_-]{1,255}$/;

export const notFound = (what: string) => new AwsApiError('EntityNotFoundException', `${what} not found.`);
const invalid = (message: string) => new AwsApiError('InvalidInputException', message);

/** s3://bucket/key → { bucket, key }, or an InvalidInputException naming the location. */
export function s3Location(uri: string): { bucket: string; key: string } {
  const match = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw invalid(`Location ${JSON.stringify(uri)} is not an s3:// URI`);
  return { bucket: match[1] as string, key: match[2] as string };
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

export class GlueCatalog {
  private readonly databases = new Map<string, DatabaseEntry>();
  private readonly tables = new Map<string, TableEntry>();
  /**
   * Iceberg tables removed while their database stays: a stack update removes a hooked table and creates it again,
   * and the table created again at the same location carries on from the removed one's metadata.
   */
  private readonly removedIceberg = new Map<string, TableEntry>();

  constructor(
    private readonly store: ObjectStore,
    readonly accountId = '000000000000',
  ) {}

  createDatabase(input: Json): string {
    const name = String(input.Name ?? '').toLowerCase();
    if (!GLUE_NAME.test(name)) {
      throw invalid(`DatabaseInput.Name ${JSON.stringify(input.Name)} is not a Glue database name`);
    }
    if (this.databases.has(name))
      throw new AwsApiError('AlreadyExistsException', `Database ${name} already exists.`);
    this.databases.set(name, {
      name,
      ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
      ...(typeof input.LocationUri === 'string' ? { locationUri: input.LocationUri } : {}),
      parameters: (input.Parameters as Record<string, string> | undefined) ?? {},
      createTime: Date.now(),
    });
    return name;
  }

  /** Removes a database and its tables from the catalog (their data stays in S3). */
  deleteDatabase(name: string): void {
    const key = name.toLowerCase();
    if (!this.databases.delete(key)) throw notFound(`Database ${name}`);
    for (const [tableKey, table] of this.tables) if (table.databaseName === key) this.tables.delete(tableKey);
    for (const [tableKey, table] of this.removedIceberg) {
      if (table.databaseName === key) this.removedIceberg.delete(tableKey);
    }
  }

  /** A Hive table from its `TableInput`, stored as given. */
  createTable(databaseName: string, input: Json): string {
    const db = this.database(databaseName);
    const name = this.newTableName(db.name, input.Name);
    this.storeNew(db.name, name, Date.now(), { ...input, Name: name });
    return name;
  }

  /** A table just created (or created again): version 0, created and updated at `now`. */
  private storeNew(
    databaseName: string,
    name: string,
    now: number,
    body: Json,
    iceberg?: TableEntry['iceberg'],
  ) {
    this.tables.set(`${databaseName}.${name}`, {
      databaseName,
      name,
      createTime: now,
      updateTime: now,
      versionId: 0,
      body,
      ...(iceberg === undefined ? {} : { iceberg }),
    });
  }

  /**
   * An Iceberg table from `OpenTableFormatInput.IcebergInput` (its `IcebergTableInput`: Location, Schema,
   * PartitionSpec, Properties): writes metadata file 00000 (format v2, no snapshot) under the location, then
   * records the table with `table_type=ICEBERG` and that file as its `metadata_location`. A table a stack update
   * removed and creates again at the same location keeps its snapshots: its changed schema, partition spec or
   * properties go into its next metadata file (`evolvedMetadata`).
   */
  async createIcebergTable(databaseName: string, tableName: unknown, icebergInput: Json): Promise<string> {
    const db = this.database(databaseName);
    const name = this.newTableName(db.name, tableName);
    const version = String(icebergInput.Version ?? '2');
    if (version !== '2')
      throw invalid(`IcebergInput.Version ${version}: the local catalog creates format v2 tables`);
    const operation = String(icebergInput.MetadataOperation ?? 'CREATE');
    if (operation !== 'CREATE') throw invalid(`IcebergInput.MetadataOperation ${operation} is not CREATE`);
    const input = (icebergInput.IcebergTableInput ?? {}) as Json;
    const location = input.Location;
    if (typeof location !== 'string')
      throw invalid(`Iceberg table ${name}: IcebergTableInput.Location is required`);
    s3Location(location);
    const schemaInput = (input.Schema ?? {}) as Json;
    const specInput = (input.PartitionSpec ?? {}) as Json;
    let schema: IcebergSchema;
    let spec: PartitionSpec;
    try {
      schema = {
        type: 'struct',
        'schema-id': Number(schemaInput.SchemaId ?? 0),
        fields: parseFields(schemaInput.Fields, `Iceberg table ${name}`),
      };
      spec = {
        'spec-id': Number(specInput.SpecId ?? 0),
        fields: ((specInput.Fields as Json[] | undefined) ?? []).map((f) => ({
          name: String(f.Name),
          transform: String(f.Transform ?? 'identity'),
          'source-id': Number(f.SourceId),
          'field-id': Number(f.FieldId),
        })),
      };
    } catch (error) {
      if (error instanceof IcebergSchemaError) throw invalid(error.message);
      throw error;
    }
    const now = Date.now();
    const properties = Object.fromEntries(
      Object.entries((input.Properties as Json | undefined) ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const removed = this.removedIceberg.get(`${db.name}.${name}`);
    let metadata: TableMetadata | undefined;
    let metadataLocation: string;
    try {
      if (removed?.iceberg !== undefined && removed.iceberg.location === tableLocation(location)) {
        // Created again by a stack update: the table carries on, its definition evolved (no new file if unchanged).
        const previousFile = removed.iceberg.metadataLocation;
        const previousObject = s3Location(previousFile);
        const previous = JSON.parse(
          (await this.store.get(previousObject.bucket, previousObject.key)).toString('utf8'),
        ) as TableMetadata;
        // The new definition is checked as a new table's would be (ids, partition sources), then evolved.
        initialMetadata({
          location,
          schema,
          partitionSpec: spec,
          properties,
          nowMs: now,
          table: `${db.name}.${name}`,
        });
        metadata = evolvedMetadata(previous, previousFile, { schema, partitionSpec: spec, properties }, now);
        metadataLocation =
          metadata === undefined
            ? previousFile
            : metadataFilePath(
                location,
                (metadataVersion(previousFile) ?? previous['metadata-log'].length) + 1,
              );
      } else {
        metadata = initialMetadata({
          location,
          schema,
          partitionSpec: spec,
          properties,
          nowMs: now,
          table: `${db.name}.${name}`,
        });
        metadataLocation = metadataFilePath(location, 0);
      }
    } catch (error) {
      if (error instanceof IcebergSchemaError) throw invalid(error.message);
      throw error;
    }
    if (metadata !== undefined) {
      const { bucket, key } = s3Location(metadataLocation);
      await this.store.put(bucket, key, Buffer.from(JSON.stringify(metadata, null, 2)));
    }
    this.removedIceberg.delete(`${db.name}.${name}`);
    this.storeNew(
      db.name,
      name,
      now,
      {
        Name: name,
        TableType: 'EXTERNAL_TABLE',
        StorageDescriptor: {
          Columns: schema.fields.map(icebergColumn),
          Location: tableLocation(location),
          AdditionalLocations: [],
          Compressed: false,
          NumberOfBuckets: 0,
          SortColumns: [],
          StoredAsSubDirectories: false,
        },
        // Iceberg partitions are hidden: Glue lists no Hive partition keys for them.
        PartitionKeys: [],
        Retention: 0,
      },
      {
        location: tableLocation(location),
        metadataLocation,
        ...(removed?.iceberg !== undefined && metadataLocation !== removed.iceberg.metadataLocation
          ? { previousMetadataLocation: removed.iceberg.metadataLocation }
          : {}),
      },
    );
    return name;
  }

  /** Removes a table from the catalog (its data and metadata files stay in S3). */
  deleteTable(databaseName: string, tableName: string): void {
    const db = this.database(databaseName);
    const key = `${db.name}.${tableName.toLowerCase()}`;
    const table = this.tables.get(key);
    if (table === undefined) throw notFound(`Table ${tableName}`);
    this.tables.delete(key);
    if (table.iceberg !== undefined) this.removedIceberg.set(key, table);
  }

  /** An Iceberg table's location and current metadata file, or EntityNotFoundException. */
  iceberg(databaseName: string, tableName: string): { location: string; metadataLocation: string } {
    const table = this.table(databaseName, tableName);
    if (table.iceberg === undefined) {
      throw invalid(
        `Table ${table.databaseName}.${table.name} is not an Iceberg table (no table_type ICEBERG)`,
      );
    }
    return table.iceberg;
  }

  /**
   * Points an Iceberg table at its next metadata file, if it still points at `expected` (else a
   * ConcurrentModificationException: another writer committed first).
   */
  commitIceberg(databaseName: string, tableName: string, expected: string, next: string): void {
    const table = this.table(databaseName, tableName);
    const current = this.iceberg(databaseName, tableName);
    if (current.metadataLocation !== expected) {
      throw new AwsApiError(
        'ConcurrentModificationException',
        `Table ${table.databaseName}.${table.name} moved to ${current.metadataLocation} (expected ${expected})`,
      );
    }
    const replaced: TableEntry = {
      ...table,
      updateTime: Date.now(),
      versionId: table.versionId + 1,
      iceberg: { ...current, metadataLocation: next, previousMetadataLocation: expected },
    };
    this.tables.set(`${table.databaseName}.${table.name}`, replaced);
  }

  // ---------------------------------------------------------------------------------------------------
  // What the API answers

  getDatabase(name: string): Json {
    const db = this.database(name);
    return {
      Name: db.name,
      ...(db.description === undefined ? {} : { Description: db.description }),
      ...(db.locationUri === undefined ? {} : { LocationUri: db.locationUri }),
      Parameters: db.parameters,
      CreateTime: db.createTime / 1000,
      CreateTableDefaultPermissions: [
        { Principal: { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, Permissions: ['ALL'] },
      ],
      CatalogId: this.accountId,
    };
  }

  getDatabases(): Json[] {
    return [...this.databases.keys()].sort().map((name) => this.getDatabase(name));
  }

  getTable(databaseName: string, tableName: string): Json {
    const table = this.table(databaseName, tableName);
    const parameters = {
      ...((table.body.Parameters as Record<string, string> | undefined) ?? {}),
      ...(table.iceberg === undefined
        ? {}
        : {
            table_type: 'ICEBERG',
            metadata_location: table.iceberg.metadataLocation,
            ...(table.iceberg.previousMetadataLocation === undefined
              ? {}
              : { previous_metadata_location: table.iceberg.previousMetadataLocation }),
          }),
    };
    return {
      ...table.body,
      Name: table.name,
      DatabaseName: table.databaseName,
      CreateTime: table.createTime / 1000,
      UpdateTime: table.updateTime / 1000,
      Parameters: parameters,
      CreatedBy: `arn:aws:sts::${this.accountId}:assumed-role/cloudformation/local`,
      IsRegisteredWithLakeFormation: false,
      CatalogId: this.accountId,
      VersionId: String(table.versionId),
      IsMultiDialectView: false,
    };
  }

  /** The tables of a database, names matching `expression` (Glue's pattern: a regular expression, `*` any). */
  getTables(databaseName: string, expression?: string): Json[] {
    const db = this.database(databaseName);
    let pattern: RegExp | undefined;
    if (expression !== undefined && expression !== '') {
      try {
        pattern = new RegExp(`^(?:${expression.replace(/(^|[^.])\*/g, '$1.*')})$`, 'i');
      } catch {
        throw invalid(`Expression ${JSON.stringify(expression)} is not a valid pattern`);
      }
    }
    return [...this.tables.values()]
      .filter((t) => t.databaseName === db.name && (pattern === undefined || pattern.test(t.name)))
      .map((t) => t.name)
      .sort()
      .map((name) => this.getTable(db.name, name));
  }

  // ---------------------------------------------------------------------------------------------------

  private database(name: string): DatabaseEntry {
    const db = this.databases.get(String(name).toLowerCase());
    if (db === undefined) throw notFound(`Database ${name}`);
    return db;
  }

  private table(databaseName: string, tableName: string): TableEntry {
    const db = this.database(databaseName);
    const table = this.tables.get(`${db.name}.${String(tableName).toLowerCase()}`);
    if (table === undefined) throw notFound(`Table ${tableName}`);
    return table;
  }

  private newTableName(databaseName: string, value: unknown): string {
    const name = String(value ?? '').toLowerCase();
    if (!GLUE_NAME.test(name)) {
      throw invalid(`Table name ${JSON.stringify(value)} is not a Glue table name`);
    }
    if (this.tables.has(`${databaseName}.${name}`)) {
      throw new AwsApiError('AlreadyExistsException', `Table ${name} already exists.`);
    }
    return name;
  }
}
