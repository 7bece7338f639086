/**
 * A local Amazon Data Firehose for the embedded local cloud: DirectPut delivery streams into S3, as the CDK app
 * defines them (lib/offline-dataset.ts). It speaks Firehose's JSON protocol (`X-Amz-Target:
 * Firehose_20150804.<Operation>`), so the gateway's `firehose` route reaches it and the AWS SDK's
 * FirehoseClient works unchanged.
 *
 * Operations: CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream,
 * PutRecord, PutRecordBatch. A stream is created by the API (its Glue table's columns registered first with
 * `registerGlueTable`, as there is no Glue emulator) or from the template with `createFromTemplate`.
 *
 * As AWS does:
 * - Buffers per stream and delivers when the buffer holds `BufferingHints.SizeInMBs` or its oldest record has
 *   waited `IntervalInSeconds` (and on `flush()` / `stop()`); deliveries of one stream happen in order.
 * - Object keys `<evaluated prefix><stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>`, dated (prefix and
 *   suffix) by the arrival time of the oldest record in the object, in UTC or `CustomTimeZone`. A prefix without
 *   expressions gets `YYYY/MM/dd/HH/` appended; `!{timestamp:<Java DateTimeFormatter pattern>}`,
 *   `!{firehose:random-string}` and (error prefix only) `!{firehose:error-output-type}` are evaluated; a prefix
 *   with expressions needs an ErrorOutputPrefix.
 * - Data format conversion (OpenX or Hive JSON SerDe in, Parquet out): one row per JSON object in a record, and a
 *   record may hold several, one after another (`{"a":1}{"a":2}`, or one a line), mapped to the Glue columns by
 *   name, case-insensitively unless
 *   `CaseInsensitive: false`, with `ColumnToJsonKeyMappings` and `ConvertDotsInJsonKeysToUnderscores`; a missing
 *   key is null. Nested types are real Parquet nested types: struct → group, map → MAP, array → LIST.
 *   A record holding anything but JSON objects, or a value that does not fit its column's type, goes whole to the
 *   error prefix (`format-conversion-failed`) as the documented JSON document (rawData in base64), one per line
 *   (AWS does not document how it splits a record with a bad document among good ones: here none of it is kept).
 * - PutRecordBatch: at most 500 records and 4 MiB of data, a record at most 1,000 KiB; per-record failures are
 *   reported in `RequestResponses` with `FailedPutCount` (only the optional throughput limits produce them).
 *
 * Differences from AWS (the local cloud's choices):
 * - Streams are ACTIVE as soon as CreateDeliveryStream returns; objects are not KMS-encrypted (the local S3 has
 *   no KMS), though `Encrypted` answers true when the stream asks for SSE; no CloudWatch logs or metrics.
 * - Type coercion follows the OpenX SerDe's lenient reading as documented, not its Java code: numeric strings
 *   are read into numeric columns, a number or boolean into a string column is its JSON text, an object or array
 *   into a string column is its JSON text; integers above 2^53 lose precision (JSON.parse).
 * - Column types: bigint, int, smallint, tinyint, double, float, string, varchar, char, boolean, struct, map,
 *   array. decimal, timestamp, date and binary fail CreateDeliveryStream with a message saying so, as do ORC
 *   output, Lambda processors, dynamic partitioning, Iceberg and the other destinations, and SNAPPY/ZIP/
 *   HADOOP_SNAPPY object compression (UNCOMPRESSED and GZIP are supported).
 * - A failed S3 delivery is retried with backoff (AWS retries for up to 24 hours); `stop()` gives up after a few
 *   attempts and reports the records it could not deliver.
 * - Conversion and Parquet encoding run on this process's event loop, yielding between chunks.
 * - Error documents always carry ErrorCode `DataFormatConversion.MalformedData` and our own ErrorMessage. Without
 *   an ErrorOutputPrefix (allowed when the Prefix has no expressions) errors go under
 *   `<Prefix>format-conversion-failed/yyyy/MM/dd/HH/`; an ErrorOutputPrefix without expressions gets
 *   `<error-output-type>/yyyy/MM/dd/HH/` appended. Both follow the documented defaults, unchecked against AWS.
 */

export type { DeliveryStreamStats, FirehoseEmulatorOptions } from './firehose/emulator.js';
export { FirehoseEmulator, startFirehoseEmulator } from './firehose/emulator.js';
export { FirehoseApiError } from './firehose/errors.js';
export type { GlueColumn, HiveField, HiveType } from './firehose/glue-columns.js';
export { parseHiveType } from './firehose/glue-columns.js';
