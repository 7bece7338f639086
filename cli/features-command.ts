import type { parseArgs } from 'node:util';
import { type EntityKey, FeatureClient, FeatureRequestError } from '../adapters/feature-client.js';
import { loadSpecFile } from '../adapters/files/spec-file.js';
import type { DefinedValues } from '../adapters/online-definitions.js';
import { specVersionOf } from '../core/index.js';
import { usageError } from './flags.js';
import { CliError, type CliIO } from './io.js';

export interface FeaturesGetOptions {
  readonly spec: string;
  readonly table: string;
  /** In the order given; an entity may come more than once (two cards). */
  readonly entities: readonly { readonly entity: string; readonly key: EntityKey }[];
  /** Epoch ms; none: now. */
  readonly at?: number | undefined;
  readonly consistent?: boolean;
  /** @default - the FeatureClient's own (the default credential chain, region and AWS_ENDPOINT_URL) */
  readonly client?: ConstructorParameters<typeof FeatureClient>[0]['client'];
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/**
 * The entities of `--entity card --key card_id=c1 --entity card_merchant --key card_id=c1 --key merchant_id=m1`:
 * each `--key` belongs to the `--entity` before it.
 */
export function entitiesFromFlags(tokens: readonly Token[], usage: string): FeaturesGetOptions['entities'] {
  const entities: { entity: string; key: Record<string, string> }[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name === 'entity') entities.push({ entity: token.value ?? '', key: {} });
    if (token.name !== 'key') continue;
    const current = entities.at(-1);
    if (!current) throw usageError(`--key ${token.value ?? ''} comes before any --entity`, usage);
    const match = /^([^=]+)=(.*)$/s.exec(token.value ?? '');
    if (!match) throw usageError(`--key must be FIELD=VALUE (got ${JSON.stringify(token.value)})`, usage);
    const [, field, value] = match as unknown as [string, string, string];
    if (field in current.key)
      throw usageError(`--key ${field} is given twice for --entity ${current.entity}`, usage);
    current.key[field] = value;
  }
  return entities;
}

/** `streamfeatures features get`: the features of each named entity key, as JSON on stdout. */
export async function featuresGet(options: FeaturesGetOptions, io: CliIO): Promise<number> {
  const client = new FeatureClient({
    spec: await loadSpecFile(options.spec),
    tableName: options.table,
    consistentReads: options.consistent === true,
    ...(options.client ? { client: options.client } : {}),
  });
  const problems: string[] = [];
  for (const { entity, key } of options.entities) {
    try {
      client.requestsFor({ [entity]: key });
    } catch (error) {
      if (!(error instanceof FeatureRequestError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new CliError(`features get: ${problems.join('; ')}`, 2);

  const t = options.at ?? Date.now();
  let values: DefinedValues[];
  try {
    values = await client.readWithDefinitions(options.entities, t);
  } catch (error) {
    throw new CliError(`cannot read table ${JSON.stringify(options.table)}: ${describeAwsError(error)}`);
  }
  // Beside each value, the definition it was computed under: the spec's fingerprint of the feature and what the
  // item holds under it (computed, since-added: not backfilled yet, none: it reads empty).
  const answer = {
    t,
    at: new Date(t).toISOString(),
    spec: { hash: specVersionOf(client.spec).hash },
    entities: options.entities.map(({ entity, key }, i) => ({
      entity,
      key,
      features: values[i]?.values,
      definitions: values[i]?.definitions.features,
      ...(values[i]?.definitions.others.length ? { otherDefinitions: values[i]?.definitions.others } : {}),
    })),
  };
  io.out(`${JSON.stringify(answer, null, 2)}\n`);
  return 0;
}

function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
}
