import { type Command, parseFlags, timeFlag, usageError } from './flags.js';

/** `streamfeatures features`: its usage and flags; the work is in features-command.ts, loaded when it runs. */
export function featuresCommandEntry(): Command {
  const usage = `usage: streamfeatures features get --spec S --table T --entity E --key F=V [--key F=V ...]
                                [--entity E2 --key ...] [--at T] [--consistent]

Reads the features of one or more entity keys from the online store (DynamoDB), in one round trip, and prints
them as JSON: {"t": ..., "at": "...", "entities": [{"entity": "card", "key": {"card_id": "c1"},
"features": {...}}, ...]}.

  --spec S       the feature spec the table was written with (as for spec check)
  --table T      the online-store table (the stack's TableName output)
  --entity E     an entity of the spec; the --key flags after it give its key fields
  --key F=V      a key field and its value (repeat for a composite key: --key card_id=c1 --key merchant_id=m1)
  --at T         read as of T: epoch ms or ISO-8601 with a zone (default now)
  --consistent   strongly consistent reads (twice the read units)

AWS: region and credentials from the usual environment and config files; AWS_ENDPOINT_URL for another
endpoint (the local cloud, LocalStack).
`;
  return {
    usage,
    summary: 'read entity features from the online store (like get-online-features)',
    run: async (args, io) => {
      const [verb, ...rest] = args;
      if (verb !== 'get') throw usageError('features needs get', usage);
      const { tokens, values } = parseFlags(usage, rest, {
        spec: { type: 'string' },
        table: { type: 'string' },
        entity: { type: 'string', multiple: true },
        key: { type: 'string', multiple: true },
        at: { type: 'string' },
        consistent: { type: 'boolean' },
      });
      if (!values.spec || !values.table || !values.entity)
        throw usageError(
          'features get needs --spec, --table and at least one --entity with its --key',
          usage,
        );
      const { entitiesFromFlags, featuresGet } = await import('./features-command.js');
      return featuresGet(
        {
          spec: values.spec,
          table: values.table,
          entities: entitiesFromFlags(tokens ?? [], usage),
          at: timeFlag('--at', values.at),
          consistent: values.consistent === true,
        },
        io,
      );
    },
  };
}
