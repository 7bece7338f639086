/**
 * The local Glue Data Catalog: the databases and tables a deploy creates, Hive tables as their `TableInput`
 * gives them and Iceberg tables as Glue's CreateTable with `OpenTableFormatInput.IcebergInput` makes them (their
 * first metadata file written to S3, `table_type=ICEBERG`, `metadata_location`). Writers commit an Iceberg table
 * by swapping its metadata location (`commitIceberg`), as Iceberg's Glue catalog does with UpdateTable. Names are
 * kept in lower case, as Glue keeps them. The catalog lives in memory: deleting an entry never touches S3.
 */

import { tableLocation } from '../iceberg/metadata.js';
import { AwsApiError } from '../services/aws-errors.js';
import { invalid, notFound } from './errors.js';
import { icebergTableBody, parseIcebergInput } from './iceberg-table-input.js';
import { type ObjectStore, writeTableMetadata } from './iceberg-table-metadata.js';

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
    const definition = parseIcebergInput(name, icebergInput);
    const now = Date.now();
    const removed = this.removedIceberg.get(`${db.name}.${name}`)?.iceberg;
    const metadataLocation = await writeTableMetadata(
      this.store,
      `${db.name}.${name}`,
      definition,
      removed,
      now,
    );
    this.removedIceberg.delete(`${db.name}.${name}`);
    this.storeNew(db.name, name, now, icebergTableBody(name, definition), {
      location: tableLocation(definition.location),
      metadataLocation,
      ...(removed !== undefined && metadataLocation !== removed.metadataLocation
        ? { previousMetadataLocation: removed.metadataLocation }
        : {}),
    });
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
