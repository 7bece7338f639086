/**
 * What one shard's writer waits for: a DynamoDB client to hand one OnlineStore, forwarding to the bench's client
 * (so bench/ddb-calls.ts still counts every call), that counts the batch's calls by kind and, in `rounds` mode,
 * the critical path in DynamoDB round trips.
 *
 * Rounds are counted by running the batch in lock step: calls the store issues are held until it can issue no more
 * (nothing left but to wait: every chain of its code is parked on a call, which setImmediate sees, as it runs only
 * after every pending continuation), then sent together as one round, and answered together when the last returns.
 * The count is then the number of waits one after another the store's code makes if every call took the same time
 * and its CPU none: reads before puts, puts `concurrency` at a time (mapSettled's workers), a refused put's re-read and
 * retry after it, a BatchGetItem's backoff for unprocessed keys. It comes from the code's structure, not the clock.
 * Lock step costs the overlap of CPU with waits, so the wall time of such a batch is not the writer's: `timed`
 * batches are measured as they run, `rounds` batches only for their count.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Command = Parameters<DynamoDBClient['send']>[0];

interface Held {
  readonly command: Command;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** One batch's calls: by kind (PutItem, refused PutItem, BatchGetItem, GetItem...) and its rounds, when counted. */
export interface BatchCalls {
  readonly byKind: Record<string, number>;
  rounds: number;
  /** The commands sent, in order (for timing the SDK's own work on them apart: sdk-cpu.ts). */
  readonly commands: Command[];
}

export class WriterCalls {
  /** Lock step on (count rounds) or off (the store's calls go straight through). */
  countRounds = false;
  private batch: BatchCalls = { byKind: {}, rounds: 0, commands: [] };
  private held: Held[] = [];
  private flushScheduled = false;
  private inRound = false;

  constructor(private readonly client: DynamoDBClient) {}

  /** The client to give the store: the bench's client's `send`, counted (and held in lock step when counting rounds). */
  asClient(): DynamoDBClient {
    return { send: (command: Command) => this.send(command) } as unknown as DynamoDBClient;
  }

  /** Starts a batch's count; returns it (filled in as the batch runs). */
  startBatch(countRounds: boolean): BatchCalls {
    this.countRounds = countRounds;
    this.batch = { byKind: {}, rounds: 0, commands: [] };
    return this.batch;
  }

  private send(command: Command): Promise<unknown> {
    if (!this.countRounds) return this.forward(command);
    return new Promise((resolve, reject) => {
      this.held.push({ command, resolve, reject });
      this.scheduleRound();
    });
  }

  private async forward(command: Command): Promise<unknown> {
    const kind = command.constructor.name.replace(/Command$/, '');
    this.batch.commands.push(command);
    try {
      const output = await this.client.send(command as never);
      this.count(kind);
      return output;
    } catch (error) {
      this.count((error as Error).name === 'ConditionalCheckFailedException' ? `${kind} refused` : kind);
      throw error;
    }
  }

  private count(kind: string): void {
    this.batch.byKind[kind] = (this.batch.byKind[kind] ?? 0) + 1;
  }

  private scheduleRound(): void {
    if (this.flushScheduled || this.inRound) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.round();
    });
  }

  /** Sends every held call as one round; answers them all once the last has returned. */
  private async round(): Promise<void> {
    const calls = this.held;
    this.held = [];
    if (calls.length === 0) return;
    this.inRound = true;
    this.batch.rounds++;
    const outcomes = await Promise.allSettled(calls.map((call) => this.forward(call.command)));
    this.inRound = false;
    outcomes.forEach((outcome, i) => {
      const call = calls[i] as Held;
      if (outcome.status === 'fulfilled') call.resolve(outcome.value);
      else call.reject(outcome.reason);
    });
    // The answers' continuations run before this check does, and hold their next calls for the next round.
    this.scheduleRound();
  }
}
