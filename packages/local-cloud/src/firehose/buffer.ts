/** A delivery stream's buffer: records wait for its size or interval hint, then go to S3 in order. */

import type { ServiceMetrics } from '../cloudwatch/service-metrics.js';
import type { StreamConfig } from './config.js';
import {
  deliverToIceberg,
  failedRecordsObject,
  ICEBERG_ERROR_TYPE,
  type IcebergIo,
  type IcebergOutcome,
} from './iceberg-delivery.js';
import { publishIcebergDelivery } from './metrics.js';
import { type Buffered, objectsOf, type S3Object } from './objects.js';
import type { Json } from './values.js';

/** Per-stream DirectPut throughput quotas. */
export interface StreamLimits {
  readonly recordsPerSecond?: number;
  readonly bytesPerSecond?: number;
}

/** Where a stream's deliveries go and are reported. */
export interface DeliverySink {
  /** True once the emulator is stopping: failed writes are then given up after a few attempts. */
  isStopping(): boolean;
  putObject(bucket: string, key: string, body: Uint8Array): Promise<void>;
  log(line: string): void;
  /** Where the stream's AWS/Firehose metrics go. */
  readonly metrics: ServiceMetrics;
  /** The cloud's S3 and Glue catalog, for streams with an Iceberg destination. */
  readonly iceberg?: IcebergIo;
}

class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(private readonly rate: number) {
    this.tokens = rate;
  }
  take(n: number): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

export class DeliveryStream {
  buffer: Buffered[] = [];
  bufferedBytes = 0;
  timer: NodeJS.Timeout | undefined;
  chain: Promise<void> = Promise.resolve();
  sequence = 0n;
  deleted = false;
  readonly stats = {
    recordsIn: 0,
    bytesIn: 0,
    recordsDelivered: 0,
    recordsFailed: 0,
    objectsWritten: 0,
    bytesWritten: 0,
    recordsPending: 0,
  };
  readonly lost: string[] = [];
  readonly recordBucket: TokenBucket | undefined;
  readonly byteBucket: TokenBucket | undefined;

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly type: string,
    readonly config: StreamConfig,
    readonly encryption: Json | undefined,
    readonly createdAt: number,
    limits: StreamLimits | undefined,
    private readonly sink: DeliverySink,
  ) {
    this.recordBucket = limits?.recordsPerSecond ? new TokenBucket(limits.recordsPerSecond) : undefined;
    this.byteBucket = limits?.bytesPerSecond ? new TokenBucket(limits.bytesPerSecond) : undefined;
  }

  /** Takes `bytes` of the throughput quotas; false when past them. */
  admit(bytes: number): boolean {
    if (this.recordBucket && !this.recordBucket.take(1)) return false;
    if (this.byteBucket && !this.byteBucket.take(bytes)) return false;
    return true;
  }

  accept(data: Buffer, arrivalMs: number): void {
    this.sequence += 1n;
    this.buffer.push({ data, arrivalMs, sequenceNumber: this.sequence.toString().padStart(20, '0') });
    this.bufferedBytes += data.length;
    this.stats.recordsIn++;
    this.stats.bytesIn += data.length;
    this.stats.recordsPending++;
    if (this.bufferedBytes >= this.config.sizeBytes) {
      void this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.config.intervalMs);
    }
  }

  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer.length > 0) {
      const batch = this.buffer;
      this.buffer = [];
      this.bufferedBytes = 0;
      this.chain = this.chain.then(() => this.deliver(batch));
    }
    return this.chain;
  }

  /** Builds the batch's objects and writes them, retrying failed writes; never rejects. */
  async deliver(batch: Buffered[]): Promise<void> {
    if (this.config.iceberg) return this.deliverIceberg(batch);
    let objects: S3Object[];
    try {
      objects = await objectsOf(this.name, this.config, batch);
    } catch (error) {
      this.stats.recordsPending -= batch.length;
      this.lost.push(
        `${this.name}: ${batch.length} records could not be converted: ${(error as Error).message}`,
      );
      this.sink.log(this.lost.at(-1) as string);
      return;
    }
    for (const object of objects) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.sink.putObject(this.config.bucket, object.key, object.body);
          this.stats.objectsWritten++;
          this.stats.bytesWritten += object.body.length;
          this.sink.log(
            `${this.name}: delivered s3://${this.config.bucket}/${object.key} (${object.records} records${object.failed ? ', format-conversion-failed' : ''})`,
          );
          if (object.failed) this.stats.recordsFailed += object.records;
          else this.stats.recordsDelivered += object.records;
          break;
        } catch (error) {
          const message = `${this.name}: s3://${this.config.bucket}/${object.key} (${object.records} records) failed (attempt ${attempt}): ${(error as Error).message}`;
          this.sink.log(message);
          if (this.sink.isStopping() && attempt >= 3) {
            this.lost.push(message);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
        }
      }
      this.stats.recordsPending -= object.records;
    }
  }

  /**
   * Appends the batch to the stream's Iceberg table (iceberg-delivery.ts); records that fail conversion go to the
   * error output. A failed delivery is tried again until the stream's RetryOptions duration has passed (or, once
   * the stream is deleted or the emulator stopping, after a few attempts); then the batch goes to the error
   * output, as Firehose backs up failed data. Publishes the DeliveryToIceberg metrics of each attempt.
   */
  private async deliverIceberg(batch: Buffered[]): Promise<void> {
    const io = this.sink.iceberg;
    const oldestArrivalMs = batch.reduce((min, r) => Math.min(min, r.arrivalMs), Number.POSITIVE_INFINITY);
    const retryUntil = Date.now() + (this.config.iceberg?.retryMs ?? 0);
    let outcome: IcebergOutcome | undefined;
    for (let attempt = 1; outcome === undefined; attempt++) {
      try {
        if (io === undefined) throw new Error('no Glue catalog is attached to this Firehose');
        outcome = await deliverToIceberg(this.name, this.config, batch, io);
      } catch (error) {
        const message = `${this.name}: Iceberg delivery of ${batch.length} records failed (attempt ${attempt}): ${(error as Error).message}`;
        this.sink.log(message);
        publishIcebergDelivery(this.sink.metrics, this.name, {
          success: false,
          oldestArrivalMs,
          failedRows: 0,
        });
        const ending = (this.sink.isStopping() || this.deleted) && attempt >= 3;
        if (ending || Date.now() >= retryUntil) {
          const failures = batch.map((record) => ({ record, message: (error as Error).message }));
          await this.writeFailed(failedRecordsObject(this.name, this.config, failures, 'retries'));
          publishIcebergDelivery(this.sink.metrics, this.name, {
            success: false,
            oldestArrivalMs,
            failedRows: batch.length,
          });
          this.stats.recordsPending -= batch.length;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
      }
    }
    // Committed: what remains must not commit the rows again, whatever happens to the error output.
    if (outcome.metadataLocation !== undefined) {
      this.sink.log(
        `${this.name}: committed ${outcome.rows} rows (${outcome.recordsDelivered} records) in ${outcome.dataFiles.length} data files: ${outcome.metadataLocation}`,
      );
    }
    if (outcome.errors) await this.writeFailed(outcome.errors);
    this.stats.recordsDelivered += outcome.recordsDelivered;
    this.stats.objectsWritten += outcome.dataFiles.length;
    this.stats.recordsPending -= batch.length;
    const failedRows = outcome.errors?.records ?? 0;
    publishIcebergDelivery(this.sink.metrics, this.name, { success: true, oldestArrivalMs, failedRows });
  }

  /**
   * Writes an error-output object of the Iceberg destination, retried as S3 deliveries are (given up after a few
   * attempts once stopping or deleted, then reported as lost), and counts its records as failed.
   */
  private async writeFailed(object: S3Object): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sink.putObject(this.config.bucket, object.key, object.body);
        this.sink.log(
          `${this.name}: delivered s3://${this.config.bucket}/${object.key} (${object.records} records, ${ICEBERG_ERROR_TYPE})`,
        );
        this.stats.objectsWritten++;
        this.stats.bytesWritten += object.body.length;
        this.stats.recordsFailed += object.records;
        return;
      } catch (error) {
        const message = `${this.name}: s3://${this.config.bucket}/${object.key} (${object.records} records) failed (attempt ${attempt}): ${(error as Error).message}`;
        this.sink.log(message);
        if ((this.sink.isStopping() || this.deleted) && attempt >= 3) {
          this.lost.push(message);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
      }
    }
  }
}
