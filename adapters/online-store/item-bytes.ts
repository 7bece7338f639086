import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * An item's size as DynamoDB counts it (and bills it: a write unit per started KB): attribute names and values in
 * UTF-8 bytes, a binary value by its byte length, a number about one byte per two digits plus one, a map 3 bytes
 * plus 1 per element on top of its names and values. The online store's size guard, its charge for a refused put
 * and the bench's item sizes all count with this.
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemBytes(value.M);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  return 0;
}

/** Write units one put of an item of this many bytes costs (and a refused conditional put too). */
export const writeUnitsOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
