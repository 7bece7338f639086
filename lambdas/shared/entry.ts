/**
 * Builds a handler at module scope (cold start: config, spec, clients), and keeps a failure to build it for the
 * invocations: the module always loads, and every invocation of a misconfigured function fails with the error
 * that names what is wrong (it is also logged once, at load).
 */
export function handlerAtColdStart<Args extends unknown[], Result>(
  functionName: string,
  build: () => (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  let built: ((...args: Args) => Promise<Result>) | undefined;
  let failure: unknown;
  try {
    built = build();
  } catch (error) {
    failure = error;
    console.error(
      JSON.stringify({
        level: 'ERROR',
        message: `the ${functionName} function could not start`,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  return async (...args: Args) => {
    if (!built) throw failure;
    return built(...args);
  };
}
