import { type Command, parseFlags, positiveInteger, usageError } from './flags.js';

/**
 * `streamfeatures demo`: its usage and flags; the work is in demo-command.ts (in process) and
 * cloud-demo-command.ts, loaded when it runs.
 */
export function demoCommandEntry(): Command {
  const usage = `usage: streamfeatures demo [--events N] [--keep-running]
       streamfeatures demo --in-process [--events N]

The fraud example on the embedded local cloud: the CDK stack deployed locally, traffic on Kinesis, features, the
Parquet archive and scoring, with a report. --in-process: a simulated stream into DynamoDB Local and the offline
replay, without the cloud.

  --events N      base events to generate (default 5000)
  --keep-running  leave the cloud up and print its endpoint and the scoring URL
`;
  return {
    usage,
    summary: 'the fraud example end to end, on the embedded local cloud',
    run: async (args, io) => {
      const { values } = parseFlags(usage, args, {
        events: { type: 'string' },
        'in-process': { type: 'boolean' },
        'keep-running': { type: 'boolean' },
      });
      const events = values.events === undefined ? undefined : positiveInteger('--events', values.events);
      if (values['in-process']) {
        if (values['keep-running']) throw usageError('demo --in-process has no cloud to keep running', usage);
        const { runDemo } = await import('./demo-command.js');
        return runDemo({ events }, io);
      }
      const { runCloudDemo } = await import('./cloud-demo-command.js');
      return runCloudDemo({ events, keepRunning: values['keep-running'] === true }, io);
    },
  };
}
