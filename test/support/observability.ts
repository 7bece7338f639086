/** A handler's logger and metrics, recorded in memory for assertions (the handlers take them as dependencies). */
export function recorder() {
  const metrics: Record<string, number[]> = {};
  const logs: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  const log =
    (level: string) =>
    (message: string, extra: Record<string, unknown> = {}) =>
      void logs.push({ level, message, extra });
  return {
    /** Every value put for a metric, in order. */
    metrics,
    logs,
    /** The sum of a metric's values (0 when none was put). */
    sum: (name: string) => (metrics[name] ?? []).reduce((a, b) => a + b, 0),
    logger: { info: log('info'), warn: log('warn'), error: log('error'), addContext: () => {} } as never,
    metricsSink: {
      addMetric: (name: string, _unit: unknown, value: number) => {
        metrics[name] = [...(metrics[name] ?? []), value];
      },
      publishStoredMetrics: () => {},
    } as never,
  };
}
