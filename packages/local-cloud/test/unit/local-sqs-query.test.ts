import { describe, expect, it } from 'vitest';
import {
  escapeXml,
  jsonRequestOf,
  QueryRequestError,
  queryErrorCode,
  xmlErrorOf,
  xmlResultOf,
} from '../../src/sqs-query/translate.js';

const params = (text: string) => new Map(new URLSearchParams(text));

describe('SQS query protocol to JSON protocol', () => {
  it('reads attribute and tag maps of CreateQueue', () => {
    const { action, body } = jsonRequestOf(
      params(
        'Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5' +
          '&Attribute.2.Name=DelaySeconds&Attribute.2.Value=1&Tag.1.Key=team&Tag.1.Value=ml&Version=2012-11-05',
      ),
    );
    expect(action).toBe('CreateQueue');
    expect(body).toEqual({
      QueueName: 'q',
      Attributes: { VisibilityTimeout: '5', DelaySeconds: '1' },
      tags: { team: 'ml' },
    });
  });

  it('reads message attributes, integers and batch entries', () => {
    expect(
      jsonRequestOf(
        params(
          'Action=SendMessage&QueueUrl=http%3A%2F%2Fh%2F0%2Fq&MessageBody=a%20b&DelaySeconds=3' +
            '&MessageAttribute.1.Name=k&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v' +
            '&MessageAttribute.2.Name=b&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AQI%3D',
        ),
      ).body,
    ).toEqual({
      QueueUrl: 'http://h/0/q',
      MessageBody: 'a b',
      DelaySeconds: 3,
      MessageAttributes: {
        k: { DataType: 'String', StringValue: 'v' },
        b: { DataType: 'Binary', BinaryValue: 'AQI=' },
      },
    });
    expect(
      jsonRequestOf(
        params(
          'Action=SendMessageBatch&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one' +
            '&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two' +
            '&SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=n&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType=Number' +
            '&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=1',
        ),
      ).body,
    ).toEqual({
      QueueUrl: 'u',
      Entries: [
        { Id: 'a', MessageBody: 'one' },
        { Id: 'b', MessageBody: 'two', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
      ],
    });
    expect(
      jsonRequestOf(
        params(
          'Action=ReceiveMessage&QueueUrl=u&AttributeName.1=All&MessageAttributeName.1=All&MaxNumberOfMessages=10',
        ),
      ).body,
    ).toEqual({
      QueueUrl: 'u',
      AttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      MaxNumberOfMessages: 10,
    });
  });

  it('reads TagQueue tags under both names clients use', () => {
    expect(jsonRequestOf(params('Action=TagQueue&QueueUrl=u&Tags.1.Key=a&Tags.1.Value=1')).body.Tags).toEqual(
      {
        a: '1',
      },
    );
    expect(jsonRequestOf(params('Action=TagQueue&QueueUrl=u&Tag.1.Key=a&Tag.1.Value=1')).body.Tags).toEqual({
      a: '1',
    });
  });

  it('refuses a missing or unknown action and a malformed integer, naming them', () => {
    const refusal = (text: string) => {
      try {
        jsonRequestOf(params(text));
      } catch (error) {
        if (error instanceof QueryRequestError) return { code: error.code, message: error.message };
      }
      return undefined;
    };
    expect(refusal('QueueName=q')).toMatchObject({ code: 'MissingAction' });
    expect(refusal('Action=Frobnicate')).toEqual({
      code: 'InvalidAction',
      message: 'The action Frobnicate is not valid for this endpoint.',
    });
    expect(refusal('Action=SendMessage&QueueUrl=u&MessageBody=x&DelaySeconds=soon')).toEqual({
      code: 'InvalidParameterValue',
      message: 'Value soon for parameter DelaySeconds is invalid. Reason: must be an integer.',
    });
  });
});

describe('SQS JSON protocol results to query protocol XML', () => {
  it('writes a result with flattened lists and maps, escaping text', () => {
    const xml = xmlResultOf(
      'ReceiveMessage',
      {
        Messages: [
          {
            MessageId: 'm1',
            Body: 'a < b & "c"\r\n',
            Attributes: { SentTimestamp: '1' },
            MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
          },
        ],
      },
      'rid',
    );
    expect(xml).toBe(
      '<?xml version="1.0"?><ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
        '<ReceiveMessageResult><Message><MessageId>m1</MessageId><Body>a &#60; b &#38; &#34;c&#34;&#xD;\n</Body>' +
        '<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>' +
        '<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue><DataType>String</DataType></Value></MessageAttribute>' +
        '</Message></ReceiveMessageResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ReceiveMessageResponse>',
    );
  });

  it('writes list results under their element names and empty results as metadata only', () => {
    expect(xmlResultOf('ListQueues', { QueueUrls: ['u1', 'u2'] }, 'r')).toContain(
      '<ListQueuesResult><QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl></ListQueuesResult>',
    );
    expect(
      xmlResultOf('SendMessageBatch', { Successful: [{ Id: 'a', MessageId: 'm' }], Failed: [] }, 'r'),
    ).toContain(
      '<SendMessageBatchResult><SendMessageBatchResultEntry><Id>a</Id><MessageId>m</MessageId></SendMessageBatchResultEntry></SendMessageBatchResult>',
    );
    expect(xmlResultOf('DeleteQueue', {}, 'r')).toBe(
      '<?xml version="1.0"?><DeleteQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
        '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteQueueResponse>',
    );
  });

  it('answers errors with the query protocol codes and fault', () => {
    expect(queryErrorCode('com.amazonaws.sqs#QueueDoesNotExist')).toBe(
      'AWS.SimpleQueueService.NonExistentQueue',
    );
    expect(queryErrorCode('com.amazonaws.sqs#QueueNameExists')).toBe('QueueAlreadyExists');
    expect(queryErrorCode('com.amazonaws.sqs#InvalidParameterValue')).toBe('InvalidParameterValue');
    expect(xmlErrorOf(400, 'InvalidAction', 'bad <x>', 'r')).toBe(
      '<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>' +
        '<Code>InvalidAction</Code><Message>bad &#60;x&#62;</Message><Detail/></Error><RequestId>r</RequestId></ErrorResponse>',
    );
    expect(xmlErrorOf(500, 'InternalError', 'x', 'r')).toContain('<Type>Receiver</Type>');
    expect(escapeXml("'")).toBe('&#39;');
  });
});
