/**
 * Intrinsic functions resolved against what is deployed so far: Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split, Fn::GetAZs, Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition, Fn::FindInMap,
 * Fn::Base64, Fn::Length, Fn::ToJsonString.
 */

import type { Local } from './naming.js';
import type { DeployedResource, Template } from './types.js';
import { isRecord } from './util.js';

export const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves intrinsic functions against what is deployed so far; `refs` collects the logical ids used. */
export class Resolver {
  private readonly conditions = new Map<string, boolean>();

  constructor(
    private readonly template: Template,
    private readonly local: Local & { stackId: string },
    private readonly parameters: Record<string, string>,
    private readonly deployed: Map<string, DeployedResource>,
    private readonly warn: (message: string) => void,
  ) {}

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`unknown condition ${name}`);
    const value = this.truth(definition);
    this.conditions.set(name, value);
    return value;
  }

  private truth(value: unknown): boolean {
    const result = this.resolve(value);
    if (typeof result === 'boolean') return result;
    if (result === 'true' || result === 'false') return result === 'true';
    throw new Error(`a condition evaluated to ${JSON.stringify(result)}, not a boolean`);
  }

  resolve(value: unknown, refs?: Set<string>): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, refs)).filter((v) => v !== NO_VALUE);
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = value[key];
      if (key === 'Ref') return this.ref(String(arg), refs);
      if (key === 'Condition') return this.condition(String(arg));
      if (key.startsWith('Fn::')) return this.fn(key, arg, refs);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.resolve(value[key], refs);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private list(value: unknown, refs?: Set<string>): unknown[] {
    const resolved = this.resolve(value, refs);
    if (!Array.isArray(resolved)) throw new Error(`expected a list, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private fn(name: string, arg: unknown, refs?: Set<string>): unknown {
    const args = Array.isArray(arg) ? arg : [arg];
    switch (name) {
      case 'Fn::GetAtt': {
        const [id, ...attribute] = typeof arg === 'string' ? arg.split('.') : (arg as string[]);
        return this.getAtt(String(id), attribute.join('.'), refs);
      }
      case 'Fn::Join':
        return this.list(args[1], refs)
          .map((v) => String(v))
          .join(String(args[0]));
      case 'Fn::Sub':
        return this.sub(arg, refs);
      case 'Fn::Select': {
        const index = Number(this.resolve(args[0], refs));
        const items = this.list(args[1], refs);
        if (!Number.isInteger(index) || index < 0 || index >= items.length) {
          throw new Error(`Fn::Select index ${index} is out of a list of ${items.length}`);
        }
        return items[index];
      }
      case 'Fn::Split':
        return String(this.resolve(args[1], refs)).split(String(args[0]));
      case 'Fn::GetAZs': {
        const region = String(this.resolve(args[0], refs) || this.local.region);
        return ['a', 'b', 'c'].map((z) => `${region}${z}`);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args;
        return this.resolve(this.condition(String(condition)) ? whenTrue : whenFalse, refs);
      }
      case 'Fn::Equals': {
        const [a, b] = args.map((v) => this.resolve(v, refs));
        return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b);
      }
      case 'Fn::And':
        return args.every((v) => this.truth(v));
      case 'Fn::Or':
        return args.some((v) => this.truth(v));
      case 'Fn::Not':
        return !this.truth(args[0]);
      case 'Fn::FindInMap': {
        const [map, top, second] = args.map((v) => String(this.resolve(v, refs)));
        const found = this.template.Mappings?.[map as string]?.[top as string]?.[second as string];
        if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${top}.${second}`);
        return found;
      }
      case 'Fn::Base64':
        return Buffer.from(String(this.resolve(arg, refs))).toString('base64');
      case 'Fn::Length':
        return this.list(arg, refs).length;
      case 'Fn::Contains': {
        // Rules only: whether the list holds the value.
        const list = this.list(args[0], refs);
        const wanted = this.resolve(args[1], refs);
        return list.some((item) => String(item) === String(wanted));
      }
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(arg, refs));
      default:
        throw new Error(`${name} is not supported by the local deployment`);
    }
  }

  private sub(arg: unknown, refs?: Set<string>): string {
    const [text, variables] = Array.isArray(arg)
      ? [String(arg[0]), this.resolve(arg[1] ?? {}, refs)]
      : [String(arg), {}];
    const vars = isRecord(variables) ? variables : {};
    return text.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in vars) return String(vars[name]);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) {
        return String(this.getAtt(name.slice(0, dot), name.slice(dot + 1), refs));
      }
      return String(this.ref(name, refs));
    });
  }

  ref(name: string, refs?: Set<string>): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.local.region;
      case 'AWS::AccountId':
        return this.local.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.local.stackName;
      case 'AWS::StackId':
        return this.local.stackId;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      const value = this.parameters[name] ?? parameter.Default;
      if (value === undefined) throw new Error(`parameter ${name} has no value and no Default`);
      const type = parameter.Type ?? 'String';
      return type.startsWith('List<') || type === 'CommaDelimitedList' ? String(value).split(',') : value;
    }
    const resource = this.deployed.get(name);
    if (resource === undefined) {
      if (this.template.Resources?.[name] !== undefined)
        throw new Error(`Ref ${name} before it was deployed`);
      throw new Error(`Ref to ${name}, which is no resource, parameter or pseudo parameter of the template`);
    }
    refs?.add(name);
    return resource.physicalId;
  }

  private getAtt(id: string, attribute: string, refs?: Set<string>): string {
    const resource = this.deployed.get(id);
    if (resource === undefined) throw new Error(`Fn::GetAtt ${id}.${attribute}: no such resource deployed`);
    refs?.add(id);
    const value = resource.attributes[attribute];
    if (value !== undefined) return value;
    if (resource.status === 'skipped') {
      this.warn(`Fn::GetAtt ${id}.${attribute} (${resource.type}, skipped) has no local value`);
      return `unresolved:${id}.${attribute}`;
    }
    throw new Error(`Fn::GetAtt ${id}.${attribute}: ${resource.type} has no attribute ${attribute} locally`);
  }
}
