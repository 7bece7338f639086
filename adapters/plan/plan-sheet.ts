/**
 * The sheet a plan is written on, in the order it is worked out: needs, costs (each priced from prices.ts),
 * assumptions and warnings; and the two totals, one per DynamoDB capacity mode.
 */
import type { CostLine, Plan, PlanLine } from './plan-types.js';
import { PRICES, type PriceName } from './prices.js';

/** A figure as a reader would write it: whole numbers grouped, others to `digits` significant digits. */
export const fmt = (n: number, digits = 4) =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : Number(n.toPrecision(digits)).toLocaleString('en-US');

/** A price as a reader would write it: per million units when a unit costs under a thousandth of a cent. */
export function priceText(name: PriceName): string {
  const { usd, per } = PRICES[name];
  return usd < 1e-5 ? `$${Number((usd * 1e6).toPrecision(6))} per 1M x ${per}` : `$${usd} per ${per}`;
}

export class PlanSheet {
  private readonly needs: PlanLine[] = [];
  private readonly costs: CostLine[] = [];
  private readonly prices = new Set<PriceName>();
  readonly assumptions: string[] = [];
  readonly warnings: string[] = [];

  /** Writes down a need and answers its value, for the lines computed from it. */
  need(section: string, name: string, value: number, unit: string, formula: string): number {
    this.needs.push({ section, name, value, unit, formula });
    return value;
  }

  /** Prices `quantity` units of `price` a month. */
  cost(
    section: string,
    name: string,
    quantity: number,
    price: PriceName,
    counts: CostLine['counts'],
    quantityFormula: string,
  ): void {
    this.prices.add(price);
    const usd = quantity * PRICES[price].usd;
    this.costs.push({
      section,
      name,
      usdPerMonth: usd,
      counts,
      formula: `${quantityFormula}: ${fmt(quantity, 4)} x ${priceText(price)}`,
    });
  }

  plan(): Plan {
    const total = (mode: 'on-demand' | 'provisioned') =>
      this.costs
        .filter((c) => c.counts === 'both' || c.counts === mode)
        .reduce((sum, c) => sum + c.usdPerMonth, 0);
    return {
      needs: this.needs,
      costs: this.costs,
      totals: { onDemandUsdPerMonth: total('on-demand'), provisionedUsdPerMonth: total('provisioned') },
      assumptions: this.assumptions,
      warnings: this.warnings,
      prices: [...this.prices],
    };
  }
}
