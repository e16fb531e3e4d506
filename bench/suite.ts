/** Reports one number: `report("exec_true_median", 1.8, "ms")`. */
export type Report = (metric: string, value: number, unit: string) => void;

/** One benchmark suite, registered by exporting it as `suite` from `bench/<name>.bench.ts`. */
export interface BenchSuite {
  name: string;
  description: string;
  run(report: Report): Promise<void>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
