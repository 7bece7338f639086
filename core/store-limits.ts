/**
 * What the online store (DynamoDB) can hold, stated once. The engine checks every record against these when it
 * classifies it, the same in the online path, the replay and the training set: a record whose key or id the store
 * could not write is invalid with its own rule, so it never holds back the batch it came in.
 *
 * DynamoDB's documented limits (Amazon DynamoDB Developer Guide, "Quotas in Amazon DynamoDB", "Partition keys and
 * sort keys" and "Supported data types and naming rules"): a partition key value is 1 to 2,048 bytes of UTF-8 (a
 * sort key value 1 to 1,024, but the online-store table has none); names of index keys and projected attributes at
 * most 255.
 */
export const DYNAMODB_PARTITION_KEY_MAX_BYTES = 2048;
export const DYNAMODB_KEY_ATTRIBUTE_NAME_MAX_BYTES = 255;

/**
 * Room kept in a partition key for what the store adds around the keys the engine forms (the id ledger's `id!`
 * prefix; a suffix such as a shard's name if a layout ever splits an item).
 */
export const STORE_KEY_RESERVE_BYTES = 48;

/** The most UTF-8 bytes an item key (`card#c1`, after escaping) or an event id may have. */
export const MAX_KEY_BYTES = DYNAMODB_PARTITION_KEY_MAX_BYTES - STORE_KEY_RESERVE_BYTES;

/**
 * The most UTF-8 bytes of a name the store or the offline tables may write as a name or key prefix (entity and
 * feature names): DynamoDB's bound for key and projected attribute names (Glue and Athena allow 255 too).
 */
export const MAX_NAME_BYTES = DYNAMODB_KEY_ATTRIBUTE_NAME_MAX_BYTES;

/**
 * The most UTF-8 bytes of JSON a `last` feature's value may have. `last` is the one aggregation that keeps an event's
 * value as it came, in each tile it is the last of (up to 64 a window), and an item holds at most 400 KB (DynamoDB's
 * item size limit): without a bound, one record with a huge value would make its item unwritable and hold back its
 * batch. Other aggregations keep numbers or hashes.
 */
export const MAX_LAST_VALUE_BYTES = 1024;

/** The UTF-8 length of a string as the AWS SDK sends it: a lone surrogate becomes U+FFFD (3 bytes). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** The UTF-8 length of a value's JSON over MAX_LAST_VALUE_BYTES, or undefined when it fits. */
export function lastValueBytesOver(value: unknown): number | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return undefined;
  // A string's JSON has at most 6 bytes per UTF-16 unit (`\u0000`) and its quotes: a short one costs one comparison.
  if (typeof value === 'string' && value.length * 6 + 2 <= MAX_LAST_VALUE_BYTES) return undefined;
  const bytes = utf8Bytes(JSON.stringify(value) ?? '');
  return bytes > MAX_LAST_VALUE_BYTES ? bytes : undefined;
}

/**
 * The UTF-8 length of a key or id over MAX_KEY_BYTES, or undefined when it fits. A string has at most 3 bytes per
 * UTF-16 unit, so a short one (every usual key) costs one comparison.
 */
export function keyBytesOver(text: string): number | undefined {
  if (text.length * 3 <= MAX_KEY_BYTES) return undefined;
  const bytes = utf8Bytes(text);
  return bytes > MAX_KEY_BYTES ? bytes : undefined;
}
