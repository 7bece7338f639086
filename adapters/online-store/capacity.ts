import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';

/** Adds up what DynamoDB reports it consumed (ReturnConsumedCapacity: TOTAL), and the round trips made. */
export class CapacityMeter {
  readUnits = 0;
  writeUnits = 0;
  requests = 0;

  /** `kind` says which units a call spends: TOTAL reports CapacityUnits, not always split by kind. */
  record(kind: 'read' | 'write', consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    this.requests++;
    for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      const units = c.CapacityUnits ?? (kind === 'read' ? c.ReadCapacityUnits : c.WriteCapacityUnits) ?? 0;
      if (kind === 'read') this.readUnits += units;
      else this.writeUnits += units;
    }
  }

  /** For calls that fail without a report: a rejected conditional write still costs its units. */
  charge(kind: 'read' | 'write', units: number): void {
    this.requests++;
    if (kind === 'read') this.readUnits += units;
    else this.writeUnits += units;
  }

  snapshot(): { readUnits: number; writeUnits: number; requests: number } {
    return { readUnits: this.readUnits, writeUnits: this.writeUnits, requests: this.requests };
  }
}
