/**
 * `derive`, worked out once per object and kept while the object lives (an undefined result is worked out again).
 * For what follows from a compiled spec, entity or feature, which never change once made: the engine's per-entity
 * plans, field checks and window lists, fingerprints, spec versions.
 */
export function onceEach<K extends object, V>(derive: (key: K) => V): (key: K) => V {
  const derived = new WeakMap<K, V>();
  return (key) => {
    let value = derived.get(key);
    if (value === undefined) {
      value = derive(key);
      derived.set(key, value);
    }
    return value;
  };
}
