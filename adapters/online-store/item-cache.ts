import type { TileItem } from './tile-item.js';

/**
 * The items this writer last wrote or read, least recently used evicted first. A hit saves the read before a
 * write; a stale hit costs nothing but a retry, because every write is conditioned on the version it read.
 */
export class ItemCache {
  private readonly items = new Map<string, TileItem>();

  constructor(private readonly capacity: number) {}

  get(key: string): TileItem | undefined {
    const item = this.items.get(key);
    if (item) {
      this.items.delete(key);
      this.items.set(key, item);
    }
    return item;
  }

  set(item: TileItem): void {
    if (this.capacity <= 0) return;
    this.items.delete(item.key);
    this.items.set(item.key, item);
    if (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value as string);
  }

  delete(key: string): void {
    this.items.delete(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }
}
