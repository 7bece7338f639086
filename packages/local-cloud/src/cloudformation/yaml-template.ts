/**
 * Reads a YAML template (the CDK CLI sends the bootstrap template as YAML) with the `yaml` package, CloudFormation's
 * short forms (`!Ref X`, `!GetAtt A.B`, `!Sub ...`, `!If [...]`...) turned into their long JSON forms.
 */

import { parse, type Tags } from 'yaml';

const FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Contains',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Length',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'ToJsonString',
];

function tagsFor(tag: string, toValue: (value: unknown) => unknown): Tags {
  return (['scalar', 'seq', 'map'] as const).map((kind) => ({
    tag,
    ...(kind === 'scalar' ? {} : { collection: kind }),
    resolve: (value: unknown) =>
      toValue(
        value !== null && typeof value === 'object' && 'toJSON' in value
          ? (value as { toJSON(): unknown }).toJSON()
          : value,
      ),
  })) as unknown as Tags;
}

const CUSTOM_TAGS: Tags = [
  ...tagsFor('!Ref', (value) => ({ Ref: value })),
  ...tagsFor('!Condition', (value) => ({ Condition: value })),
  ...tagsFor('!GetAtt', (value) => ({
    'Fn::GetAtt':
      typeof value === 'string'
        ? [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)]
        : value,
  })),
  ...FUNCTIONS.flatMap((name) => tagsFor(`!${name}`, (value) => ({ [`Fn::${name}`]: value }))),
];

export function parseYamlTemplate(body: string): unknown {
  return parse(body, { customTags: CUSTOM_TAGS, maxAliasCount: -1 });
}
