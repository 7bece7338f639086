import { definitionChanges, describeDefinitionChanges, type SpecVersion } from '../../core/index.js';
import type { LogisticModelDocument } from './embedded-model.js';

/**
 * Why a model must not be served under a spec: it was trained on features (by fingerprint, recorded by
 * `streamfeatures train`) that the spec no longer computes, or computes otherwise. Its inputs would then mean
 * something else than what its weights were fitted on, and it would score without an error. Undefined when the
 * model may be served. A document that records no spec version (trained before versions were recorded, or written
 * by hand) is not checked here; the score function warns when it reads features the spec lacks.
 */
export function modelSpecProblem(
  document: Pick<LogisticModelDocument, 'version' | 'spec'>,
  deployed: SpecVersion,
): string | undefined {
  const recorded = document.spec;
  if (recorded === undefined) return undefined;
  const changes = definitionChanges(recorded.fingerprints, deployed);
  if (changes.length === 0) return undefined;
  return (
    `model ${document.version} was trained on features the deployed spec (hash ${deployed.hash}) no longer ` +
    `computes: ${describeDefinitionChanges(changes)}. It was trained under spec hash ${recorded.hash}: train a ` +
    'model on a training set built with this spec, or deploy the spec the model was trained under'
  );
}
