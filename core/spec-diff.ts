import { parseDuration } from './duration.js';
import { featureFingerprint } from './engine/feature-fingerprint.js';
import { RAW_ARCHIVE_BASE_COLUMNS, rawArchiveColumns } from './offline-schema.js';
import { compileSpec } from './spec/compile.js';
import type { FeatureSpec, Spec } from './spec/types.js';

/**
 * What a spec change does to the running pipeline: which features keep their stored state (the online store keys
 * each feature's partials by a fingerprint of its definition: engine/feature-fingerprint.ts), which start empty and
 * need a backfill from how much archive, what the raw archive's typed columns do, and whether the change can be
 * deployed at all.
 */
export interface SpecDiff {
  readonly entities: {
    readonly added: string[];
    readonly removed: string[];
    /** Entities whose key fields changed: every item of theirs is keyed anew. */
    readonly rekeyed: { name: string; before: string[]; after: string[] }[];
  };
  readonly features: {
    readonly added: string[];
    readonly removed: string[];
    /** Same name, another meaning: what differs (`window 1h -> 2h`). */
    readonly changed: { name: string; what: string[] }[];
    readonly unchanged: string[];
  };
  /** The raw archive's typed columns (offline-schema.ts), by spec field. */
  readonly fields: {
    readonly added: { field: string; type: string }[];
    readonly removed: { field: string; type: string }[];
    readonly retyped: { field: string; before: string; after: string }[];
  };
  /** The features that read empty once deployed until a backfill fills them, and the archive each needs. */
  readonly backfill: { feature: string; entity: string; archiveMs: number; archive: string }[];
  /** Why the change cannot be deployed as it is; empty when it can. */
  readonly breaking: string[];
  /** What else to know: changed event rules, fields that make events invalid that were valid. */
  readonly notes: string[];
  /** safe: deploy as is; backfill: deploy, then backfill the features listed; breaking: refused. */
  readonly verdict: 'safe' | 'backfill' | 'breaking';
}

/** Compares two normalized specs (parseSpec output). */
export function diffSpecs(before: Spec, after: Spec): SpecDiff {
  const old = compileSpec(before);
  const next = compileSpec(after);
  const breaking: string[] = [];
  const notes: string[] = [];

  const entityNames = (spec: Spec) => Object.keys(spec.entities);
  const rekeyed = entityNames(after)
    .filter(
      (name) => before.entities[name] && !sameList(before.entities[name] ?? [], after.entities[name] ?? []),
    )
    .map((name) => ({ name, before: before.entities[name] ?? [], after: after.entities[name] ?? [] }));
  for (const { name, before: keys, after: now } of rekeyed) {
    const gone = keys.filter((key) => !now.includes(key));
    breaking.push(
      gone.length > 0
        ? `entity "${name}" loses key field(s) ${gone.map((k) => `"${k}"`).join(', ')} (keys ${keys.join(', ')} -> ${now.join(', ')}): ` +
            'every stored item of it is keyed by the old fields; add a new entity instead and remove the old one later'
        : `entity "${name}" changes its key fields (${keys.join(', ')} -> ${now.join(', ')}): every stored item of it ` +
            'is keyed by the old fields; add a new entity instead',
    );
  }
  if (before.event.timeField !== after.event.timeField) {
    breaking.push(
      `the event time field changes ("${before.event.timeField}" -> "${after.event.timeField}"): every stored tile ` +
        'is indexed by the old one',
    );
  }

  const oldByName = new Map(old.entities.flatMap((e) => e.features.map((f) => [f.feature.name, f.feature])));
  const newFeatures = next.entities.flatMap((e) => e.features.map((f) => f.feature));
  const newNames = new Set(newFeatures.map((f) => f.name));
  const added: string[] = [];
  const changed: { name: string; what: string[] }[] = [];
  const unchanged: string[] = [];
  const stale = new Set(rekeyed.map((r) => r.name));
  for (const feature of newFeatures) {
    const was = oldByName.get(feature.name);
    if (!was) added.push(feature.name);
    else if (featureFingerprint(was) !== featureFingerprint(feature))
      changed.push({ name: feature.name, what: differences(was.definition, feature.definition) });
    else if (stale.has(feature.definition.entity))
      changed.push({ name: feature.name, what: ['entity key fields'] });
    else unchanged.push(feature.name);
  }
  const removed = [...oldByName.keys()].filter((name) => !newNames.has(name));

  const backfill = [...added, ...changed.map((c) => c.name)].map((name) => {
    const feature = newFeatures.find((f) => f.name === name) as (typeof newFeatures)[number];
    const archiveMs = feature.windowMs + next.allowedLatenessMs + next.maxFutureSkewMs;
    return { feature: name, entity: feature.definition.entity, archiveMs, archive: durationText(archiveMs) };
  });

  const typed = (spec: Spec) => {
    const base = new Set(RAW_ARCHIVE_BASE_COLUMNS.map((c) => c.name));
    return new Map(
      rawArchiveColumns(spec)
        .filter((c) => !base.has(c.name))
        .map((c) => [c.comment.slice(c.comment.lastIndexOf(': ') + 2), String(c.type)]),
    );
  };
  const oldFields = typed(before);
  const newFields = typed(after);
  const fields = {
    added: [...newFields].filter(([f]) => !oldFields.has(f)).map(([field, type]) => ({ field, type })),
    removed: [...oldFields].filter(([f]) => !newFields.has(f)).map(([field, type]) => ({ field, type })),
    retyped: [...newFields]
      .filter(([f, type]) => oldFields.has(f) && oldFields.get(f) !== type)
      .map(([field, type]) => ({ field, before: oldFields.get(field) as string, after: type })),
  };
  const keyFields = new Set([...Object.values(before.entities), ...Object.values(after.entities)].flat());
  for (const { field, before: was, after: now } of fields.retyped) {
    if (keyFields.has(field)) {
      breaking.push(
        `key field "${field}" changes type ${was} -> ${now}: stored items and archived records are keyed by its ` +
          'values as they were; add a new entity (and field) instead',
      );
    } else if (WIDENINGS.has(`${was}->${now}`)) {
      notes.push(
        `the raw archive's column for "${field}" widens ${was} -> ${now}: the Glue table's column is retyped in ` +
          `place; files written before keep ${was}, and the replay and backfill read the payload, so they replay ` +
          'with the new ones',
      );
    } else if (after.event.fields?.[field] !== undefined) {
      breaking.push(
        `event field "${field}" narrows ${was} -> ${now} (event.fields declares it ${after.event.fields[field]}): ` +
          `values the archive holds as ${was} may not fit ${now}; widen instead, or declare a new field`,
      );
    } else {
      notes.push(
        `the raw archive's column for "${field}" changes type ${was} -> ${now} with its use by the features: ` +
          `files written before keep ${was} (the replay and backfill read the payload, not this column; an ` +
          'Athena query over old partitions may not); declare its type in event.fields to keep the column as it is',
      );
    }
  }
  for (const { field, type } of fields.added) {
    notes.push(
      `the raw archive gains a ${type} column for "${field}": the Glue table is updated in place, and files ` +
        'written before lack it (null when queried; the replay reads the payload)',
    );
  }
  for (const { field, type } of fields.removed) {
    notes.push(
      `the raw archive's ${type} column for "${field}" goes: files written before keep it, the Glue table no ` +
        'longer shows it (the payload keeps the field, and the replay reads the payload)',
    );
  }

  const required = (spec: Spec) => new Set(spec.features.flatMap((f) => (f.field ? [f.field] : [])));
  const oldRequired = required(before);
  for (const field of required(after)) {
    if (!oldRequired.has(field)) {
      notes.push(
        `events whose "${field}" is missing or of the wrong type become invalid for every feature (a feature now ` +
          'aggregates it): if producers may omit it, kept features will count fewer events than before',
      );
    }
  }
  const rules: (keyof Spec['event'])[] = [
    'idField',
    'allowedLateness',
    'maxFutureSkew',
    'dedupeHorizon',
    'dedupeScope',
  ];
  for (const rule of rules) {
    if (before.event[rule] !== after.event[rule]) {
      notes.push(
        `event rule ${rule} changes (${before.event[rule] ?? 'none'} -> ${after.event[rule] ?? 'none'}): stored ` +
          'features were counted under the old rule; they agree with a replay of the new spec once their windows pass',
      );
    }
  }

  const verdict = breaking.length > 0 ? 'breaking' : backfill.length > 0 ? 'backfill' : 'safe';
  return {
    entities: {
      added: entityNames(after).filter((n) => !before.entities[n]),
      removed: entityNames(before).filter((n) => !after.entities[n]),
      rekeyed,
    },
    features: { added, removed, changed, unchanged },
    fields,
    backfill,
    breaking,
    notes,
    verdict,
  };
}

/** Column type changes that keep every value the archive holds: the rest narrow. */
const WIDENINGS = new Set(['bigint->double', 'bigint->string', 'double->string']);

/** The exit code `spec diff` answers with: 0 safe, 3 needs a backfill, 4 breaking (1 and 2: bad input, usage). */
export const SPEC_DIFF_EXIT = { safe: 0, backfill: 3, breaking: 4 } as const;

function differences(was: FeatureSpec, now: FeatureSpec): string[] {
  const what: string[] = [];
  const show = (value: unknown) => (value === undefined ? 'none' : JSON.stringify(value));
  for (const key of ['agg', 'field', 'window', 'tile', 'where'] as const) {
    const a = was[key];
    const b = now[key];
    const same =
      key === 'window' || key === 'tile'
        ? durationMs(a as string) === durationMs(b as string)
        : JSON.stringify(a) === JSON.stringify(b);
    if (!same) what.push(`${key} ${show(a)} -> ${show(b)}`);
  }
  if (was.entity !== now.entity) what.push(`entity ${was.entity} -> ${now.entity}`);
  return what.length > 0 ? what : ['definition'];
}

function durationMs(text: string): number {
  const parsed = parseDuration(text);
  return 'error' in parsed ? Number.NaN : parsed.ms;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** 7d5m1s as text: the largest units first, zero parts left out. */
export function durationText(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text + (rest > 0 || text === '' ? `${rest}ms` : '');
}
