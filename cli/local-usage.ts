import type { Command } from './flags.js';

/** `streamfeatures local`: its usage and flags; the work is in local-command.ts, loaded when it runs. */
export function localCommandEntry(): Command {
  const usage = `usage: streamfeatures local up|down|status [--port P] [--state-dir D] [--foreground]

The embedded local cloud (Kinesis, DynamoDB, S3, SQS, SNS, Firehose, Lambda, HTTP API, SageMaker runtime) on one
LocalStack-style endpoint, in the background.

  --port P       the endpoint's port on 127.0.0.1 (default 4566; 0 picks a free one)
  --state-dir D  where up records pids, ports and its log
  --foreground   (up) run in this process until Ctrl-C
`;
  return {
    usage,
    summary: 'start, stop or check the embedded local cloud',
    run: async (args, io) => {
      const { localCommand } = await import('./local-command.js');
      return localCommand(args, io);
    },
  };
}
