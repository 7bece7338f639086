/** The local Firehose: its streams, its lifecycle and its public (non-API) methods. See ../firehose-emulator.ts. */

import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { NO_SERVICE_METRICS, type ServiceMetrics } from '../cloudwatch/service-metrics.js';
import { closeServer, listenLocal } from '../http-server.js';
import { type FirehoseApiHost, handleRequest } from './api.js';
import { type DeliverySink, DeliveryStream, type StreamLimits } from './buffer.js';
import { type StreamConfig, streamConfig } from './config.js';
import { FirehoseApiError, invalidArgument, validation } from './errors.js';
import { type GlueColumn, glueFields, type HiveField } from './glue-columns.js';
import { type IcebergTarget, icebergStreamConfig } from './iceberg-config.js';
import type { IcebergIo } from './iceberg-delivery.js';
import { getObject, putObject } from './s3-upload.js';
import { describe, type Json, objectAt, stringAt } from './values.js';

export interface FirehoseEmulatorOptions {
  /** Where objects are delivered: the local cloud's endpoint, or the S3 emulator's own. */
  readonly s3Endpoint: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** The S3 client's credentials. @default test/test */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** 0 picks a free port on 127.0.0.1. @default 0 */
  readonly port?: number;
  /**
   * Per-stream DirectPut throughput quotas: past them PutRecord fails and PutRecordBatch fails records with
   * ServiceUnavailableException "Slow down.", as AWS does. @default - no limits
   */
  readonly limits?: StreamLimits;
  /** Delivery notices and failures. */
  readonly onLog?: (line: string) => void;
  /** The Glue catalog (with S3 access) that Iceberg destinations read and commit to. @default - none: they are refused */
  readonly iceberg?: Pick<IcebergIo, 'icebergTable' | 'commitIceberg'>;
  /** Where its AWS/Firehose metrics go: its cloud's (`services.cloudwatch.serviceMetrics`). @default nowhere */
  readonly serviceMetrics?: ServiceMetrics;
}

/** Counts of one stream since it was created. */
export interface DeliveryStreamStats {
  readonly recordsIn: number;
  readonly bytesIn: number;
  /** Records written to the destination (converted rows, or raw records). */
  readonly recordsDelivered: number;
  /** Records written to the error prefix (format-conversion-failed). */
  readonly recordsFailed: number;
  readonly objectsWritten: number;
  readonly bytesWritten: number;
  /** Records still buffered or being delivered. */
  readonly recordsPending: number;
}

export class FirehoseEmulator {
  private server: http.Server | undefined;
  private readonly streams = new Map<string, DeliveryStream>();
  private readonly glueTables = new Map<string, HiveField[]>();
  private readonly s3: S3Client;
  private readonly region: string;
  private readonly accountId: string;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private originUrl: string | undefined;
  private readonly sink: DeliverySink;
  private readonly api: FirehoseApiHost;

  constructor(private readonly options: FirehoseEmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.s3 = new S3Client({
      endpoint: options.s3Endpoint,
      region: this.region,
      forcePathStyle: true,
      credentials: options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.sink = {
      isStopping: () => this.stopping,
      putObject: (bucket, key, body) => putObject(this.s3, bucket, key, body),
      log: (line) => this.options.onLog?.(line),
      metrics: options.serviceMetrics ?? NO_SERVICE_METRICS,
      ...(options.iceberg === undefined ? {} : { iceberg: this.icebergIo(options.iceberg) }),
    };
    this.api = {
      isStopping: () => this.stopping,
      streams: this.streams,
      stream: (name, orDeleting) => this.stream(name, orDeleting),
      create: (input) => this.create(input),
      remove: (stream) => {
        if (stream.deleted) return;
        // DELETING until what the stream holds is delivered (or given up and reported), as Firehose keeps a
        // stream it deletes; the name is free once it is gone.
        stream.deleted = true;
        void stream.flush().finally(() => {
          if (this.streams.get(stream.name) === stream) this.streams.delete(stream.name);
        });
      },
      log: (line) => this.options.onLog?.(line),
    };
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get origin(): string {
    if (this.originUrl === undefined) throw new Error('the Firehose emulator is not started');
    return this.originUrl;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const { server, origin } = await listenLocal((req, res) => handleRequest(this.api, req, res), {
      port: this.options.port ?? 0,
      keepAliveTimeout: 5_000,
    });
    this.server = server;
    this.originUrl = origin;
    return this;
  }

  /**
   * Delivers every buffered record and stops listening. Rejects, after closing, when some records could not
   * be delivered (naming how many and why).
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    const server = this.server;
    if (server) await closeServer(server);
    await this.flush();
    this.s3.destroy();
    const lost = [...this.streams.values()].flatMap((s) => s.lost);
    if (lost.length > 0)
      throw new Error(`The local Firehose could not deliver every record:\n${lost.join('\n')}`);
  }

  /** Delivers what the named stream (or every stream) holds now; resolves once it is in S3. */
  async flush(name?: string): Promise<void> {
    const streams = name === undefined ? [...this.streams.values()] : [this.stream(name)];
    await Promise.all(streams.map((stream) => stream.flush()));
  }

  /** Registers a Glue table's columns (no partition keys) for streams that convert to its schema. */
  registerGlueTable(databaseName: string, tableName: string, columns: readonly GlueColumn[]): void {
    this.glueTables.set(`${databaseName}.${tableName}`.toLowerCase(), glueFields(columns));
  }

  /**
   * Registers the columns of an `AWS::Glue::Table` resource (its properties, intrinsics resolved), for a
   * deployer's Glue hook: the template's delivery streams depend on their tables, so they find them.
   */
  registerGlueTableFromTemplate(resolvedProps: Json): void {
    const input = objectAt(resolvedProps.TableInput, 'TableInput');
    const databaseName = stringAt(resolvedProps.DatabaseName, 'DatabaseName');
    const tableName = stringAt(input?.Name, 'TableInput.Name');
    const columns = objectAt(input?.StorageDescriptor, 'TableInput.StorageDescriptor')?.Columns;
    if (!databaseName || !tableName || !Array.isArray(columns)) {
      throw invalidArgument(
        'an AWS::Glue::Table needs DatabaseName, TableInput.Name and StorageDescriptor.Columns',
      );
    }
    this.registerGlueTable(databaseName, tableName, columns as GlueColumn[]);
  }

  /**
   * Creates a stream from an `AWS::KinesisFirehose::DeliveryStream` resource's properties, intrinsics resolved
   * (`BucketARN` an ARN, `DatabaseName` a name), and the Glue table's columns (`StorageDescriptor.Columns`) its
   * conversion reads (or none, when registered before). Without `DeliveryStreamName` the stream takes
   * `physicalName` (a deployer's generated name), else a name as CloudFormation makes them
   * (`<stack>-<logical id>-<random>`).
   */
  createFromTemplate(
    logicalId: string,
    resolvedProps: Json,
    glueColumns?: readonly GlueColumn[],
    options: { stackName?: string; physicalName?: string } = {},
  ): { name: string; arn: string } {
    const destination = objectAt(
      resolvedProps.ExtendedS3DestinationConfiguration,
      'ExtendedS3DestinationConfiguration',
    );
    const schema = objectAt(
      objectAt(destination?.DataFormatConversionConfiguration, 'DataFormatConversionConfiguration')
        ?.SchemaConfiguration,
      'SchemaConfiguration',
    );
    if (glueColumns && schema) {
      this.registerGlueTable(String(schema.DatabaseName), String(schema.TableName), glueColumns);
    }
    const name =
      stringAt(resolvedProps.DeliveryStreamName, 'DeliveryStreamName') ??
      options.physicalName ??
      physicalName(options.stackName ?? 'streamfeatures', logicalId);
    const arn = this.create({ ...resolvedProps, DeliveryStreamName: name });
    return { name, arn };
  }

  /** Counts for a stream. */
  stats(name: string): DeliveryStreamStats {
    return { ...this.stream(name).stats };
  }

  // -------------------------------------------------------------------------------------------------------

  private stream(name: unknown, orDeleting = false): DeliveryStream {
    const stream = typeof name === 'string' ? this.streams.get(name) : undefined;
    if (!stream || (stream.deleted && !orDeleting)) {
      throw new FirehoseApiError(
        'ResourceNotFoundException',
        `Firehose stream ${String(name)} under account ${this.accountId} not found.`,
      );
    }
    return stream;
  }

  /** What the Iceberg destination reads and writes: this emulator's S3 client and the attached catalog. */
  private icebergIo(catalog: NonNullable<FirehoseEmulatorOptions['iceberg']>): IcebergIo {
    return {
      putObject: (bucket, key, body) => putObject(this.s3, bucket, key, body),
      getObject: (bucket, key) => getObject(this.s3, bucket, key),
      icebergTable: (db, table) => catalog.icebergTable(db, table),
      commitIceberg: (db, table, expected, next) => catalog.commitIceberg(db, table, expected, next),
    };
  }

  /** An Iceberg destination's configuration, its table checked in the attached Glue catalog (as Firehose checks it). */
  private icebergConfig(destination: Json): StreamConfig {
    const config = icebergStreamConfig(destination);
    const target = config.iceberg as IcebergTarget;
    const catalog = this.options.iceberg;
    if (catalog === undefined) {
      throw invalidArgument('IcebergDestinationConfiguration: no Glue catalog is attached to this Firehose.');
    }
    try {
      catalog.icebergTable(target.databaseName, target.tableName);
    } catch (error) {
      throw invalidArgument(
        `IcebergDestinationConfiguration: table ${target.databaseName}.${target.tableName}: ${(error as Error).message}`,
      );
    }
    return config;
  }

  private create(input: Json): string {
    const name = stringAt(input.DeliveryStreamName, 'DeliveryStreamName');
    if (name === undefined || !/^[a-zA-Z0-9_.-]{1,64}$/.test(name)) {
      throw validation(
        `1 validation error detected: Value ${describe(name)} at 'deliveryStreamName' failed to satisfy constraint: ` +
          'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length 1 to 64',
      );
    }
    if (this.streams.has(name)) {
      throw new FirehoseApiError(
        'ResourceInUseException',
        `Firehose stream ${name} under account ${this.accountId} already exists.`,
      );
    }
    const type = stringAt(input.DeliveryStreamType, 'DeliveryStreamType') ?? 'DirectPut';
    if (type !== 'DirectPut') {
      throw invalidArgument(
        `DeliveryStreamType ${type}: the local Firehose emulates DirectPut streams only.`,
      );
    }
    const icebergDestination = objectAt(
      input.IcebergDestinationConfiguration,
      'IcebergDestinationConfiguration',
    );
    for (const other of [
      'RedshiftDestinationConfiguration',
      'ElasticsearchDestinationConfiguration',
      'AmazonopensearchserviceDestinationConfiguration',
      'SplunkDestinationConfiguration',
      'HttpEndpointDestinationConfiguration',
      'SnowflakeDestinationConfiguration',
    ]) {
      if (input[other] !== undefined) {
        throw invalidArgument(
          `${other}: the local Firehose delivers to S3 (ExtendedS3DestinationConfiguration) and Iceberg tables (IcebergDestinationConfiguration) only.`,
        );
      }
    }
    const extended = objectAt(input.ExtendedS3DestinationConfiguration, 'ExtendedS3DestinationConfiguration');
    const plain = objectAt(input.S3DestinationConfiguration, 'S3DestinationConfiguration');
    const destinations = [extended, plain, icebergDestination].filter((d) => d !== undefined);
    if (destinations.length !== 1) {
      throw invalidArgument(
        'Exactly one of ExtendedS3DestinationConfiguration, S3DestinationConfiguration and IcebergDestinationConfiguration is required.',
      );
    }
    const config = icebergDestination
      ? this.icebergConfig(icebergDestination)
      : streamConfig((extended ?? plain) as Json, extended !== undefined, {
          glueTables: this.glueTables,
          accountId: this.accountId,
          region: this.region,
        });
    const encryption = objectAt(
      input.DeliveryStreamEncryptionConfigurationInput,
      'DeliveryStreamEncryptionConfigurationInput',
    );
    const arn = `arn:aws:firehose:${this.region}:${this.accountId}:deliverystream/${name}`;
    this.streams.set(
      name,
      new DeliveryStream(name, arn, type, config, encryption, Date.now(), this.options.limits, this.sink),
    );
    return arn;
  }
}

/** Starts a Firehose emulator (see FirehoseEmulatorOptions). */
export async function startFirehoseEmulator(options: FirehoseEmulatorOptions): Promise<FirehoseEmulator> {
  return new FirehoseEmulator(options).start();
}

/** CloudFormation's physical name: `<stack>-<logical id, cut>-<12 random characters>`, at most 64 characters. */
function physicalName(stackName: string, logicalId: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const suffix = Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  const room = 64 - suffix.length - 2;
  const stack = stackName.slice(0, Math.max(1, Math.floor(room / 2)));
  return `${stack}-${logicalId.slice(0, room - stack.length)}-${suffix}`;
}
