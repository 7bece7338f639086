import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';

/** What a handler logs through: a Powertools Logger in Lambda, a recorder in tests. */
export type HandlerLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'addContext'>;

/** What a handler counts through: Powertools Metrics (EMF) in Lambda, a recorder in tests. */
export type HandlerMetrics = Pick<Metrics, 'addMetric' | 'publishStoredMetrics'>;
