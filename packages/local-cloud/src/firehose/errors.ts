/** The errors the local Firehose's API answers with. */

/** An error the API answers with: `{"__type": type, "message": ...}`. */
export class FirehoseApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const invalidArgument = (message: string) => new FirehoseApiError('InvalidArgumentException', message);
export const validation = (message: string) => new FirehoseApiError('ValidationException', message);
