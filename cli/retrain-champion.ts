/**
 * Which registry version a retrain compares with when `--champion` is not given. A file's write time is no
 * record (a git checkout, a copy or an `aws s3 sync` resets it), so the choice is by what each document records:
 * its training's holdout start (`training.holdoutFrom`, the newest data it was fitted before). A registry of one
 * version needs no choice; one where that record does not single out a version needs the champion named.
 */
import type { LogisticModelDocument } from '../adapters/model/embedded-model.js';

export interface RegistryEntry {
  readonly version: string;
  /** Where its document is, for messages. */
  readonly where: string;
  readonly document: LogisticModelDocument;
}

export type ChampionChoice =
  | { readonly version: string; readonly reason: string }
  | { readonly problem: string };

/** The champion the registry's records single out, or the problem naming every file when they do not. */
export function chooseChampion(entries: readonly RegistryEntry[]): ChampionChoice {
  if (entries.length === 1) {
    const only = entries[0] as RegistryEntry;
    return { version: only.version, reason: 'the registry holds no other version' };
  }
  const describe = (entry: RegistryEntry) => {
    const from = entry.document.training?.holdoutFrom;
    return `${entry.where} (${from === undefined ? 'no training record' : `trained before ${iso(from)}`})`;
  };
  const ask = (why: string) => ({
    problem:
      `--champion: ${why}; name the deployed version with --champion VERSION. The registry holds ` +
      `${entries.map(describe).join(', ')}`,
  });
  const untimed = entries.filter((entry) => entry.document.training?.holdoutFrom === undefined);
  if (untimed.length > 0) {
    return ask(`${untimed.map((entry) => entry.version).join(', ')} record no training time to order by`);
  }
  const newest = Math.max(...entries.map((entry) => entry.document.training?.holdoutFrom as number));
  const tied = entries.filter((entry) => entry.document.training?.holdoutFrom === newest);
  if (tied.length > 1) {
    return ask(
      `${tied.map((entry) => entry.version).join(' and ')} were trained on data up to the same time`,
    );
  }
  const chosen = tied[0] as RegistryEntry;
  return {
    version: chosen.version,
    reason: `trained on the newest data of ${entries.length} versions (held out from ${iso(newest)})`,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
