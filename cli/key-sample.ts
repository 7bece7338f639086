import type { CompiledSpec, InputRecord } from '../core/index.js';
import { seededRandom } from '../core/seeded-random.js';

export interface SampledKey {
  readonly entity: string;
  readonly key: Record<string, string | number>;
}

/**
 * A uniform sample of the entity keys in a stream of records (reservoir sampling, seeded, so a run can be
 * repeated): up to `size` keys per entity, taken from the records as they flow past, parsing only the few kept.
 */
export class KeySample {
  private readonly reservoirs: Map<string, SampledKey>[];
  private readonly seen: number[];
  private readonly random: () => number;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly spec: CompiledSpec,
    private readonly size: number,
    seed: number,
  ) {
    this.reservoirs = spec.entities.map(() => new Map());
    this.seen = spec.entities.map(() => 0);
    this.random = seededRandom(seed >>> 0 || 1);
  }

  /** Passes the chunks through, sampling from each record. */
  async *tap(chunks: AsyncIterable<InputRecord[]>): AsyncGenerator<InputRecord[]> {
    for await (const chunk of chunks) {
      for (const record of chunk) this.offer(record);
      yield chunk;
    }
  }

  /** The sampled keys, each once (a hot key may have been drawn more than once). */
  keys(): SampledKey[] {
    const unique = new Map<string, SampledKey>();
    for (const reservoir of this.reservoirs) {
      for (const sampled of reservoir.values()) unique.set(JSON.stringify(sampled), sampled);
    }
    return [...unique.values()];
  }

  private offer(record: InputRecord): void {
    // Decide first which reservoirs would take this record; parse it only if one would.
    const takers: { ei: number; slot: number }[] = [];
    for (let ei = 0; ei < this.reservoirs.length; ei++) {
      const seen = ++(this.seen[ei] as number);
      const slot = seen <= this.size ? seen - 1 : Math.floor(this.random() * seen);
      if (slot < this.size) takers.push({ ei, slot });
    }
    if (takers.length === 0) return;
    let body: unknown;
    try {
      body = JSON.parse(this.decoder.decode(record.data));
    } catch {
      return;
    }
    if (body === null || typeof body !== 'object') return;
    for (const { ei, slot } of takers) {
      const entity = this.spec.entities[ei];
      if (!entity) continue;
      const values = entity.keyGetters.map((get) => get(body as Record<string, unknown>));
      if (!values.every((v) => (typeof v === 'string' && v !== '') || typeof v === 'number')) continue;
      const key = Object.fromEntries(
        entity.keyFields.map((field, i) => [field, values[i] as string | number]),
      );
      (this.reservoirs[ei] as Map<string, SampledKey>).set(String(slot), { entity: entity.name, key });
    }
  }
}
