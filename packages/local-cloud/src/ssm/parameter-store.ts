/**
 * SSM Parameter Store's data, in memory: parameters with their versions, as PutParameter, GetParameter(s),
 * GetParametersByPath, DescribeParameters and DeleteParameter(s) see them. SecureString values are kept as given
 * (no KMS locally) and answered as such whatever WithDecryption says.
 */

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface Parameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  lastModified: Date;
  description?: string;
  dataType: string;
  tier: string;
}

/** An error as SSM answers it: `code` is the exception's name (`ParameterNotFound`...). */
export class SsmError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^\/?[a-zA-Z0-9_.\-/]+$/;
const TYPES: readonly string[] = ['String', 'StringList', 'SecureString'];

export class ParameterStore {
  private readonly parameters = new Map<string, Parameter>();

  put(input: {
    name: string;
    value: string;
    type?: string;
    overwrite?: boolean;
    description?: string;
    dataType?: string;
  }): Parameter {
    const name = canonicalName(input.name);
    if (typeof input.value !== 'string') throw new SsmError('ValidationException', 'Value is required.');
    if (input.value.length > 4096) {
      throw new SsmError('ParameterMaxVersionLimitExceeded', `The value of ${name} is over 4096 characters.`);
    }
    const existing = this.parameters.get(name);
    if (existing !== undefined && input.overwrite !== true) {
      throw new SsmError(
        'ParameterAlreadyExists',
        `The parameter ${name} already exists. To overwrite this value, set the overwrite option in the request to true.`,
      );
    }
    const type = input.type ?? existing?.type;
    if (type === undefined)
      throw new SsmError('ValidationException', `Type is required for the new parameter ${name}.`);
    if (!TYPES.includes(type)) {
      throw new SsmError(
        'ValidationException',
        `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
      );
    }
    const parameter: Parameter = {
      name,
      type: type as ParameterType,
      value: input.value,
      version: (existing?.version ?? 0) + 1,
      lastModified: new Date(),
      dataType: input.dataType ?? existing?.dataType ?? 'text',
      tier: 'Standard',
      ...((input.description ?? existing?.description)
        ? { description: input.description ?? existing?.description }
        : {}),
    };
    this.parameters.set(name, parameter);
    return parameter;
  }

  /** The parameter, or a ParameterNotFound error naming it. */
  get(name: string): Parameter {
    const found = this.find(name);
    if (found === undefined) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
    return found;
  }

  /** The parameter by name (`name:version` selects a version only when it is the current one). */
  find(name: string): Parameter | undefined {
    const [base, selector] = name.split(':') as [string, string | undefined];
    const found = this.parameters.get(canonicalName(base));
    if (found === undefined) return undefined;
    if (selector !== undefined && selector !== String(found.version)) return undefined;
    return found;
  }

  delete(name: string): void {
    const key = canonicalName(name);
    if (!this.parameters.delete(key)) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
  }

  /** Every parameter, sorted by name. */
  all(): Parameter[] {
    return [...this.parameters.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The parameters under a path (`/a/b`): its direct children, or all below it when recursive. */
  byPath(path: string, recursive: boolean): Parameter[] {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return this.all().filter((p) => {
      if (!p.name.startsWith(prefix)) return false;
      return recursive || !p.name.slice(prefix.length).includes('/');
    });
  }
}

function canonicalName(name: string): string {
  if (typeof name !== 'string' || name === '' || name.length > 2048 || !NAME.test(name)) {
    throw new SsmError(
      'ValidationException',
      `Parameter name ${JSON.stringify(name)}: only a-z, A-Z, 0-9, _ . - and / are allowed.`,
    );
  }
  // SSM treats `name` and `/name` as different parameters, except that a hierarchy must start with a slash.
  if (name.includes('/') && !name.startsWith('/')) {
    throw new SsmError(
      'ValidationException',
      `Parameter name ${name}: a hierarchy must begin with a slash (/).`,
    );
  }
  return name;
}
