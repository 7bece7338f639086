/** A user's mistake in the training set or the options, as opposed to a bug: the CLI prints its message. */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
}
