/**
 * The event buses of the local EventBridge: `default`, always there, and the custom buses made with
 * CreateEventBus or an AWS::Events::EventBus resource. A rule or a PutEvents entry naming a bus that does not
 * exist is refused, as EventBridge refuses it.
 */

export const DEFAULT_BUS = 'default';

/** EventBridge's rule for custom bus names: 1 to 256 of `[/.\-_A-Za-z0-9]`, not `default`, not `aws.*`. */
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

export interface EventBus {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly createdAtMs: number;
  /** Who made it: a stack's resource (`<stack>/<logical id>`) or the API (`CreateEventBus`). */
  readonly owner: string;
}

export class EventBuses {
  private readonly custom = new Map<string, EventBus>();

  /** Checks a custom bus name as EventBridge does; throws naming it. */
  static checkName(name: string): void {
    if (!BUS_NAME.test(name))
      throw new Error(
        `event bus name ${JSON.stringify(name)} must be 1 to 256 letters, digits or . - _ / characters`,
      );
    if (name === DEFAULT_BUS || name.startsWith('aws.'))
      throw new Error(`event bus name ${name} is reserved (default and aws.* are AWS's)`);
  }

  /** Adds a custom bus; throws when the name is not allowed or is taken. */
  create(bus: EventBus): void {
    EventBuses.checkName(bus.name);
    const existing = this.custom.get(bus.name);
    if (existing !== undefined) throw new BusExistsError(`Event bus ${bus.name} already exists.`);
    this.custom.set(bus.name, bus);
  }

  delete(name: string): void {
    this.custom.delete(name);
  }

  exists(name: string): boolean {
    return name === DEFAULT_BUS || this.custom.has(name);
  }

  find(name: string): EventBus | undefined {
    return this.custom.get(name);
  }

  /** The custom buses, by name. */
  list(): EventBus[] {
    return [...this.custom.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

export class BusExistsError extends Error {}

export function busArn(region: string, accountId: string, name: string): string {
  return `arn:aws:events:${region}:${accountId}:event-bus/${name}`;
}
