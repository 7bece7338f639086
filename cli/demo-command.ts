import type { CliIO } from './io.js';

export async function runDemo(_options: { events: number | undefined }, io: CliIO): Promise<number> {
  io.err('demo: not yet\n');
  return 1;
}
