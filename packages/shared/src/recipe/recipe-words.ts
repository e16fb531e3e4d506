import { RecipeError } from "./recipe-types.js";

/**
 * Splits arguments on blanks; a double-quoted part may hold blanks, and inside
 * it \" and \\ stand for " and \. Used by COPY (paths with spaces) and ENV.
 */
export function splitWords(args: string, line: number): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (quoted) {
      if (c === "\\" && (args[i + 1] === '"' || args[i + 1] === "\\")) {
        current += args[++i];
      } else if (c === '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) {
        words.push(current);
        current = "";
        inWord = false;
      }
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quoted) {
    throw new RecipeError(line, "a double quote is not closed");
  }
  if (inWord) {
    words.push(current);
  }
  return words;
}
