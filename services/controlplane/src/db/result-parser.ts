import { SchemaValidationError, type Interceptor, type QueryResultRow } from "slonik";

/**
 * Slonik only carries a query's zod schema (`sql.type(schema)`); this
 * interceptor applies it, so every typed query checks and converts its rows.
 */
export function createResultParserInterceptor(): Interceptor {
  return {
    name: "wrenn-result-parser",
    transformRow(context, query, row) {
      const parser = context.resultParser;
      if (!parser) return row;
      const result = parser.safeParse(row);
      if (!result.success) {
        throw new SchemaValidationError(query, row, result.error.issues);
      }
      return result.data as QueryResultRow;
    },
  };
}
