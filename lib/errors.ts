/** A construct prop out of its range, or a spec the offline store cannot map: the message names the value. */
export class InvalidPropsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPropsError';
  }
}
