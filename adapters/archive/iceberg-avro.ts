import avro from 'avsc';
import { snappyUncompress } from 'hyparquet';

/**
 * Reads an Avro object container file (Iceberg's manifest lists and manifests) from its bytes: the records, decoded
 * with the schema the file carries, and the file's key/value metadata. Longs come back as bigint: snapshot ids use
 * all 64 bits, past what a JavaScript number holds exactly.
 */

/** An Avro long as a bigint (avsc's own long is a number and refuses values past 2^53). */
export const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as string | number),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** An Avro schema as a type whose longs are bigints. */
export function avroType(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, { registry: { long: BIGINT_LONG } });
}

type Codec = (buffer: Buffer, done: (error: Error | null, result?: Buffer) => void) => void;

/** Avro's snappy: the block compressed by Snappy, then its CRC-32 (4 bytes), which is left unchecked. */
const snappy: Codec = (buffer, done) => {
  try {
    const input = buffer.subarray(0, buffer.length - 4);
    const output = new Uint8Array(snappyLength(input));
    snappyUncompress(input, output);
    done(null, Buffer.from(output.buffer, output.byteOffset, output.byteLength));
  } catch (error) {
    done(error as Error);
  }
};

/** A Snappy block starts with its uncompressed length as a varint. */
function snappyLength(input: Uint8Array): number {
  let length = 0;
  for (let i = 0, shift = 0; i < 5 && i < input.length; i++, shift += 7) {
    const byte = input[i] as number;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return length;
  }
  throw new Error('a Snappy block without a length');
}

/** The codecs Iceberg writers use for Avro: none, deflate (Iceberg's `gzip`, its default) and snappy. */
const CODECS = { ...avro.streams.BlockDecoder.defaultCodecs(), snappy };

export interface AvroFile {
  readonly records: Record<string, unknown>[];
  /** The container's metadata as text: Iceberg puts `format-version`, `content`, the table schema here. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The records of an Avro container; a file that is not one fails with `name` and why. */
export async function readAvro(bytes: Uint8Array, name: string): Promise<AvroFile> {
  const decoder = new avro.streams.BlockDecoder({ codecs: CODECS, parseHook: avroType });
  const metadata: Record<string, string> = {};
  decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
    for (const [key, value] of Object.entries(header.meta)) metadata[key] = value.toString('utf8');
  });
  const records: Record<string, unknown>[] = [];
  try {
    decoder.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    for await (const record of decoder) records.push(record as Record<string, unknown>);
  } catch (error) {
    throw new Error(`${name}: not a readable Avro file (${(error as Error).message})`);
  }
  return { records, metadata };
}
