/**
 * The feature spec without the constructs (`streamfeatures/spec`): the typed builders, validation and the spec
 * types, for code that defines or checks a spec and has no use for aws-cdk-lib.
 */
export {
  AGGREGATIONS,
  type Aggregation,
  type CompiledSpec,
  compileSpec,
  defineSpec,
  type EventSpec,
  type FeatureSpec,
  parseSpec,
  parseSpecJson,
  type Scalar,
  type Spec,
  SpecBuilder,
  SpecError,
  type WhereFilter,
} from '../core/index.js';
