import { type Command, parseFlags, usageError } from './flags.js';

/**
 * `streamfeatures spec`: its usage and flags; the work is in spec-commands.ts and spec-diff-command.ts, loaded when
 * it runs.
 */
export function specCommandEntry(): Command {
  const usage = `usage: streamfeatures spec check|print <spec>
       streamfeatures spec diff <old spec> <new spec> [--json]

  check   validates a feature spec and reports every problem at once (exit 1 when invalid)
  print   prints the normalized spec JSON (defaults filled in, durations spelled canonically)
  diff    what deploying <new> over <old> does to stored features: added, removed and changed features and
          entities, event fields added or retyped, which features need a backfill and from how much archive;
          exit 0 safe, 3 needs a backfill, 4 breaking (refused, with the reason)

<spec> is a JSON file, or a module (.ts, .mts, .js, .mjs) whose default export is the spec's JSON form or a
builder (defineSpec(...)); .ts modules load through tsx when it is installed.
`;
  return {
    usage,
    summary: 'check, print or diff feature specs',
    run: async (args, io) => {
      const { positionals, values } = parseFlags(usage, args, { json: { type: 'boolean' } }, true);
      const [verb, ...paths] = positionals;
      if (verb === 'diff') {
        const [oldPath, newPath, ...extra] = paths;
        if (!oldPath || !newPath || extra.length > 0)
          throw usageError('spec diff takes the old and the new spec', usage);
        const { specDiffCommand } = await import('./spec-diff-command.js');
        return specDiffCommand(oldPath, newPath, values.json === true, io);
      }
      if (verb !== 'check' && verb !== 'print') throw usageError('spec needs check, print or diff', usage);
      if (values.json) throw usageError('--json applies to spec diff only', usage);
      const [path, ...extra] = paths;
      if (!path || extra.length > 0) throw usageError(`spec ${verb} takes one spec file`, usage);
      const { specCheck, specPrint } = await import('./spec-commands.js');
      return verb === 'check' ? specCheck(path, io) : specPrint(path, io);
    },
  };
}
