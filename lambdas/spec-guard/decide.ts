import { createHash } from 'node:crypto';
import { parseSpec, type Spec } from '../../core/index.js';
import { diffSpecs, type SpecDiff } from '../../core/spec-diff.js';

/**
 * Whether a deploy may change the spec, decided from the custom resource's request alone (pure: no I/O).
 *
 * The resource's properties carry the normalized spec (`Spec`, JSON text: CloudFormation sends every property as a
 * string), `BackfillPlanned` ("true" or "false"), and the table and raw archive the backfill command needs. Its
 * physical id names the spec deployed (a hash of `Spec`), so an Update can tell the spec the stored features were
 * written under even when OldResourceProperties says otherwise: on the rollback of a refused update CloudFormation
 * sends Update back to the deployed spec with the refused one as OldResourceProperties, and that must pass.
 *
 * - Create and Delete always succeed (a new stack has nothing stored; a guard that blocks a delete helps no one).
 * - Update to the spec already deployed (the physical id's): succeeds.
 * - Otherwise the change is judged by `spec diff`'s rules (core/spec-diff.ts): breaking is refused with its
 *   reason; features that would read empty are refused unless `BackfillPlanned` is "true"; the rest passes.
 */

/** The resource's properties, as the template sets them (lib/spec-guard.ts). */
export const SPEC_GUARD_PROPERTIES = {
  spec: 'Spec',
  backfillPlanned: 'BackfillPlanned',
  table: 'TableName',
  archive: 'RawArchive',
} as const;

export interface SpecGuardRequest {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly physicalResourceId?: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly oldProperties?: Readonly<Record<string, unknown>>;
}

export type SpecGuardDecision =
  | { readonly status: 'SUCCESS'; readonly physicalResourceId: string; readonly note: string }
  | { readonly status: 'FAILED'; readonly physicalResourceId: string; readonly reason: string };

/** Reasons go into the response, whose body CloudFormation caps at 4096 bytes. */
export const MAX_REASON_CHARS = 3000;

/** The physical id of the guard of one spec: what the stored features were written under. */
export function specGuardId(specText: string): string {
  return `streamfeatures-spec-${createHash('sha256').update(specText).digest('hex').slice(0, 20)}`;
}

export function decideSpecGuard(request: SpecGuardRequest): SpecGuardDecision {
  const specText = request.properties[SPEC_GUARD_PROPERTIES.spec];
  const current = request.physicalResourceId ?? '';
  if (request.requestType === 'Delete') {
    return { status: 'SUCCESS', physicalResourceId: current, note: 'deleted (nothing to check)' };
  }
  const next = specOf(specText, 'Spec');
  if ('error' in next) return failed(current, next.error);
  const id = specGuardId(specText as string);
  if (request.requestType === 'Create') {
    return { status: 'SUCCESS', physicalResourceId: id, note: 'created: nothing is stored yet' };
  }
  if (id === current) {
    return { status: 'SUCCESS', physicalResourceId: id, note: 'the spec deployed: no feature changes' };
  }
  const planned = request.properties[SPEC_GUARD_PROPERTIES.backfillPlanned] === 'true';
  const previous = specOf(request.oldProperties?.[SPEC_GUARD_PROPERTIES.spec], 'the deployed Spec');
  if ('error' in previous) {
    return planned
      ? { status: 'SUCCESS', physicalResourceId: id, note: `backfill planned; ${previous.error}` }
      : failed(current, `${previous.error}: which features would read empty cannot be told. ${planHint()}`);
  }
  const diff = diffSpecs(previous.spec, next.spec);
  if (diff.verdict === 'breaking') {
    return failed(
      current,
      `streamfeatures: spec change refused: ${diff.breaking.join('; ')}. Nothing was changed: the stack rolls back.`,
    );
  }
  if (diff.verdict === 'backfill' && !planned) {
    return failed(current, backfillMessage(diff, request.properties));
  }
  const note =
    diff.verdict === 'backfill'
      ? `backfill planned for ${diff.backfill.map((b) => b.feature).join(', ')}`
      : 'no feature reads empty';
  return { status: 'SUCCESS', physicalResourceId: id, note };
}

/** spec diff's verdict in one message: the features, the archive each needs, the backfill command. */
export function backfillMessage(diff: SpecDiff, properties: Readonly<Record<string, unknown>>): string {
  const changed = new Map(diff.features.changed.map((c) => [c.name, c.what.join('; ')]));
  const features = diff.backfill.map((b) => {
    const how = changed.has(b.feature) ? `changed: ${changed.get(b.feature)}` : 'added';
    return `${b.feature} (${how}; needs ${b.archive} of archive)`;
  });
  const allNames = diff.backfill.map((b) => b.feature).join(',');
  const names = allNames.length <= LIST_CHARS ? allNames : '<the features spec diff lists>';
  const archive = stringOr(properties[SPEC_GUARD_PROPERTIES.archive], 'A');
  const table = stringOr(properties[SPEC_GUARD_PROPERTIES.table], 'T');
  return (
    `streamfeatures: this spec change leaves ${diff.backfill.length} feature(s) empty until a backfill: ` +
    `${capped(features)}. ${planHint()} After the deploy: streamfeatures backfill --spec <new spec> ` +
    `--archive ${archive} --table ${table} --features ${names}`
  );
}

/** How much of the reason a list may take, so the whole message stays within MAX_REASON_CHARS. */
const LIST_CHARS = 1200;

/** The items, as many as fit in LIST_CHARS, then how many more (spec diff lists them all). */
function capped(items: readonly string[]): string {
  let text = '';
  for (const [i, item] of items.entries()) {
    const next = text === '' ? item : `${text}, ${item}`;
    if (next.length > LIST_CHARS)
      return `${text}, and ${items.length - i} more (streamfeatures spec diff lists them all)`;
    text = next;
  }
  return text;
}

function planHint(): string {
  return (
    'Nothing was changed: the stack rolls back. Once the backfill is planned, deploy again with ' +
    'backfillPlanned: true (cdk deploy -c backfillPlanned=true).'
  );
}

function specOf(text: unknown, what: string): { spec: Spec } | { error: string } {
  if (typeof text !== 'string' || text === '') {
    return { error: `${what} is missing (got ${JSON.stringify(text) ?? 'nothing'})` };
  }
  try {
    return { spec: parseSpec(JSON.parse(text), what) };
  } catch (error) {
    return { error: `${what} is not a valid spec: ${(error as Error).message}` };
  }
}

function failed(physicalResourceId: string, reason: string): SpecGuardDecision {
  const text = reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
  return {
    status: 'FAILED',
    physicalResourceId: physicalResourceId || 'streamfeatures-spec-none',
    reason: text,
  };
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
