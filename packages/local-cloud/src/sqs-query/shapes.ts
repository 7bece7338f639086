/**
 * The SQS actions as the query protocol (API version 2012-11-05) spells them: each request's and result's
 * members, with the names the form parameters and XML elements use where they differ from the JSON protocol's.
 * Taken from the query-protocol model the AWS CLI 2.9 ships (botocore data sqs/2012-11-05/service-2.json):
 * every list and map there is "flattened" (`AttributeName.1`, `Attribute.1.Name`, `<Attribute>` repeated).
 */

/** A value: a scalar, a flattened list, a flattened map, or a structure. */
export type Shape =
  | { readonly kind: 'string' | 'integer' | 'boolean' }
  | { readonly kind: 'list'; readonly member: Shape }
  | { readonly kind: 'map'; readonly key: string; readonly value: string; readonly valueShape: Shape }
  | { readonly kind: 'structure'; readonly members: Readonly<Record<string, Member>> };

/** A member of a structure: its shape, and its query name when that is not its JSON name. */
export type Member = Shape & { readonly query?: string; readonly alsoQuery?: string };

export interface Action {
  readonly input: Readonly<Record<string, Member>>;
  /** Absent for actions that answer nothing but their request id. */
  readonly output?: Readonly<Record<string, Member>>;
}

const string = { kind: 'string' } as const;
const integer = { kind: 'integer' } as const;
const boolean = { kind: 'boolean' } as const;
const list = (query: string, member: Shape = string): Member => ({ kind: 'list', member, query });
const structure = (members: Record<string, Member>): Shape => ({ kind: 'structure', members });
const map = (query: string, key: string, value: string, valueShape: Shape = string): Member => ({
  kind: 'map',
  key,
  value,
  valueShape,
  query,
});

const messageAttributeValue = structure({
  StringValue: string,
  // Base64 in both protocols: passed on as it is.
  BinaryValue: string,
  DataType: string,
});
const messageAttributes = map('MessageAttribute', 'Name', 'Value', messageAttributeValue);
const messageSystemAttributes = map('MessageSystemAttribute', 'Name', 'Value', messageAttributeValue);
const queueAttributes = map('Attribute', 'Name', 'Value');
const batchError = structure({ Id: string, SenderFault: boolean, Code: string, Message: string });
const sendResult = {
  MD5OfMessageBody: string,
  MD5OfMessageAttributes: string,
  MD5OfMessageSystemAttributes: string,
  MessageId: string,
  SequenceNumber: string,
};

export const SQS_ACTIONS: Readonly<Record<string, Action>> = {
  AddPermission: {
    input: {
      QueueUrl: string,
      Label: string,
      AWSAccountIds: list('AWSAccountId'),
      Actions: list('ActionName'),
    },
  },
  CancelMessageMoveTask: {
    input: { TaskHandle: string },
    output: { ApproximateNumberOfMessagesMoved: integer },
  },
  ChangeMessageVisibility: { input: { QueueUrl: string, ReceiptHandle: string, VisibilityTimeout: integer } },
  ChangeMessageVisibilityBatch: {
    input: {
      QueueUrl: string,
      Entries: list(
        'ChangeMessageVisibilityBatchRequestEntry',
        structure({ Id: string, ReceiptHandle: string, VisibilityTimeout: integer }),
      ),
    },
    output: {
      Successful: list('ChangeMessageVisibilityBatchResultEntry', structure({ Id: string })),
      Failed: list('BatchResultErrorEntry', batchError),
    },
  },
  CreateQueue: {
    input: { QueueName: string, Attributes: queueAttributes, tags: map('Tag', 'Key', 'Value') },
    output: { QueueUrl: string },
  },
  DeleteMessage: { input: { QueueUrl: string, ReceiptHandle: string } },
  DeleteMessageBatch: {
    input: {
      QueueUrl: string,
      Entries: list('DeleteMessageBatchRequestEntry', structure({ Id: string, ReceiptHandle: string })),
    },
    output: {
      Successful: list('DeleteMessageBatchResultEntry', structure({ Id: string })),
      Failed: list('BatchResultErrorEntry', batchError),
    },
  },
  DeleteQueue: { input: { QueueUrl: string } },
  GetQueueAttributes: {
    input: { QueueUrl: string, AttributeNames: list('AttributeName') },
    output: { Attributes: queueAttributes },
  },
  GetQueueUrl: { input: { QueueName: string, QueueOwnerAWSAccountId: string }, output: { QueueUrl: string } },
  ListDeadLetterSourceQueues: {
    input: { QueueUrl: string, NextToken: string, MaxResults: integer },
    output: { queueUrls: list('QueueUrl'), NextToken: string },
  },
  ListMessageMoveTasks: {
    input: { SourceArn: string, MaxResults: integer },
    output: {
      Results: list(
        'ListMessageMoveTasksResultEntry',
        structure({
          TaskHandle: string,
          Status: string,
          SourceArn: string,
          DestinationArn: string,
          MaxNumberOfMessagesPerSecond: integer,
          ApproximateNumberOfMessagesMoved: integer,
          ApproximateNumberOfMessagesToMove: integer,
          FailureReason: string,
          StartedTimestamp: integer,
        }),
      ),
    },
  },
  ListQueueTags: { input: { QueueUrl: string }, output: { Tags: map('Tag', 'Key', 'Value') } },
  ListQueues: {
    input: { QueueNamePrefix: string, NextToken: string, MaxResults: integer },
    output: { QueueUrls: list('QueueUrl'), NextToken: string },
  },
  PurgeQueue: { input: { QueueUrl: string } },
  ReceiveMessage: {
    input: {
      QueueUrl: string,
      AttributeNames: list('AttributeName'),
      MessageSystemAttributeNames: list('MessageSystemAttributeName'),
      MessageAttributeNames: list('MessageAttributeName'),
      MaxNumberOfMessages: integer,
      VisibilityTimeout: integer,
      WaitTimeSeconds: integer,
      ReceiveRequestAttemptId: string,
    },
    output: {
      Messages: list(
        'Message',
        structure({
          MessageId: string,
          ReceiptHandle: string,
          MD5OfBody: string,
          Body: string,
          Attributes: queueAttributes,
          MD5OfMessageAttributes: string,
          MessageAttributes: messageAttributes,
        }),
      ),
    },
  },
  RemovePermission: { input: { QueueUrl: string, Label: string } },
  SendMessage: {
    input: {
      QueueUrl: string,
      MessageBody: string,
      DelaySeconds: integer,
      MessageAttributes: messageAttributes,
      MessageSystemAttributes: messageSystemAttributes,
      MessageDeduplicationId: string,
      MessageGroupId: string,
    },
    output: sendResult,
  },
  SendMessageBatch: {
    input: {
      QueueUrl: string,
      Entries: list(
        'SendMessageBatchRequestEntry',
        structure({
          Id: string,
          MessageBody: string,
          DelaySeconds: integer,
          MessageAttributes: messageAttributes,
          MessageSystemAttributes: messageSystemAttributes,
          MessageDeduplicationId: string,
          MessageGroupId: string,
        }),
      ),
    },
    output: {
      Successful: list('SendMessageBatchResultEntry', structure({ Id: string, ...sendResult })),
      Failed: list('BatchResultErrorEntry', batchError),
    },
  },
  SetQueueAttributes: { input: { QueueUrl: string, Attributes: queueAttributes } },
  StartMessageMoveTask: {
    input: { SourceArn: string, DestinationArn: string, MaxNumberOfMessagesPerSecond: integer },
    output: { TaskHandle: string },
  },
  // The model names TagQueue's map `Tags` (no location name): botocore sends `Tags.1.Key`, the API reference
  // `Tag.1.Key`. Both are read.
  TagQueue: { input: { QueueUrl: string, Tags: { ...map('Tags', 'Key', 'Value'), alsoQuery: 'Tag' } } },
  UntagQueue: { input: { QueueUrl: string, TagKeys: list('TagKey') } },
};
