import { loadSpecFile } from '../adapters/files/spec-file.js';
import { diffSpecs, SPEC_DIFF_EXIT, type SpecDiff } from '../core/spec-diff.js';
import type { CliIO } from './io.js';

/**
 * `streamfeatures spec diff OLD NEW [--json]`: what deploying NEW over OLD does to the stored features. Exit 0 when
 * it is safe to deploy as is, 3 when features will read empty until backfilled (listed, with the archive each
 * needs), 4 when the change is breaking and refused (the reason says why); 1 for a spec that does not load.
 */
export async function specDiffCommand(
  oldPath: string,
  newPath: string,
  json: boolean,
  io: CliIO,
): Promise<number> {
  const diff = diffSpecs(await loadSpecFile(oldPath), await loadSpecFile(newPath));
  io.out(json ? `${JSON.stringify(diff, null, 2)}\n` : renderDiff(diff, newPath));
  if (diff.verdict === 'breaking') io.err(`streamfeatures: refused: ${diff.breaking.join('; ')}\n`);
  return SPEC_DIFF_EXIT[diff.verdict];
}

export function renderDiff(diff: SpecDiff, newPath: string): string {
  const lines: string[] = [];
  const list = (label: string, items: readonly string[]) => {
    if (items.length > 0) lines.push(`${label.padEnd(20)}${items.join(', ')}`);
  };
  list('entities added', diff.entities.added);
  list('entities removed', diff.entities.removed);
  list(
    'entities rekeyed',
    diff.entities.rekeyed.map((r) => `${r.name} (${r.before.join(', ')} -> ${r.after.join(', ')})`),
  );
  list('features added', diff.features.added);
  list('features removed', diff.features.removed);
  list(
    'features changed',
    diff.features.changed.map((c) => `${c.name} (${c.what.join('; ')})`),
  );
  lines.push(
    `${'features kept'.padEnd(20)}${diff.features.unchanged.length} (their stored state stays readable)`,
  );
  list(
    'event fields added',
    diff.fields.added.map((f) => `${f.field} (${f.type})`),
  );
  list(
    'event fields removed',
    diff.fields.removed.map((f) => `${f.field} (${f.type})`),
  );
  list(
    'event fields retyped',
    diff.fields.retyped.map((f) => `${f.field} (${f.before} -> ${f.after})`),
  );
  for (const note of diff.notes) lines.push(`note: ${note}`);
  if (diff.verdict === 'breaking') {
    for (const reason of diff.breaking) lines.push(`breaking: ${reason}`);
    lines.push('verdict: refused, not deployable as is');
  } else if (diff.verdict === 'backfill') {
    lines.push(
      'verdict: deployable; these features read empty until backfilled (or until their window passes):',
    );
    for (const b of diff.backfill)
      lines.push(`  ${b.feature.padEnd(32)} needs ${b.archive} of archive (window + lateness + skew)`);
    const features = diff.backfill.map((b) => b.feature).join(',');
    lines.push(
      `  after the deploy: streamfeatures backfill --spec ${newPath} --archive A --table T --features ${features}`,
    );
  } else lines.push('verdict: safe to deploy as is (no feature reads empty)');
  return `${lines.join('\n')}\n`;
}
